"""The project browser: search, project list, the selected project's jobs, a job's recent runs."""

from __future__ import annotations

import ipywidgets as w

from cml_magic.api.objects import Job
from cml_magic.widgets.controller import ClientOrController, Controller, as_controller
from cml_magic.widgets.panels.common import project_label
from cml_magic.widgets.parts import (
    Messages,
    button,
    calling,
    esc,
    grid,
    html_widget,
    status_badge,
)
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Activity, phase
from cml_magic.widgets.timefmt import clock, elapsed


class ProjectBrowser(w.VBox):  # type: ignore[misc]
    """Search box and project list; selecting a project lists its jobs; a job's name button
    lists its recent runs, its Run button opens the run form."""

    def __init__(self, cml: ClientOrController, poller: Poller | None = None) -> None:
        super().__init__()
        self.controller: Controller = as_controller(cml)
        self.poller = poller
        self.messages = Messages()
        self.search = w.Text(placeholder="search projects", continuous_update=False)
        self.search.add_class("cml-search")
        self.search.observe(lambda _change: self.refresh(), names="value")
        self.search_button = button("Search", "cml-search-button", lambda _b: self.refresh())
        self.projects = w.Select(options=[], rows=8, layout=w.Layout(width="360px"))
        self.projects.add_class("cml-projects")
        self.projects.observe(lambda _change: self.show_jobs(), names="value")
        self.jobs = w.VBox()
        self.jobs.add_class("cml-jobs")
        self.runs = w.VBox()
        self.runs.add_class("cml-runs")
        self.form_area = w.VBox()
        self.job_buttons: dict[str, w.Button] = {}
        self.run_buttons: dict[str, w.Button] = {}
        self.add_class("cml-project-browser")
        self.children = (
            w.HBox([self.search, self.search_button]),
            self.projects,
            self.messages.widget,
            self.jobs,
            self.runs,
            self.form_area,
        )
        self.refresh()

    def refresh(self) -> None:
        """Reload the project list for the search text."""
        found = self.messages.run(lambda: self.controller.projects(search=self.search.value))
        if found is None:
            return
        self.messages.say(f"{len(found)} project(s)" if found else "no project matches")
        self.projects.options = [(project_label(p), p.id) for p in found]
        if found and self.projects.value is None:
            self.projects.value = found[0].id

    @property
    def project(self) -> str | None:
        chosen: str | None = self.projects.value  # an id, None before a choice
        return chosen

    def show_jobs(self) -> None:
        """List the selected project's jobs."""
        self.runs.children = ()
        self.job_buttons, self.run_buttons = {}, {}
        if self.project is None:
            self.jobs.children = ()
            return
        project = self.project
        jobs = self.messages.run(lambda: self.controller.jobs(project))
        if jobs is None:
            return
        rows = []
        for job in jobs:
            name = button(job.name, "cml-job", calling(self.show_runs, job))
            name.tooltip = f"recent runs of {job.name}"
            run = button("Run…", "cml-job-run", calling(self.open_form, job), icon="play")
            self.job_buttons[job.name], self.run_buttons[job.name] = name, run
            schedule = job.schedule or job.type
            rows.append([name, f"<code>{esc(job.script)}</code>", esc(schedule), run])
        if not rows:
            self.jobs.children = (html_widget("<i>no jobs in this project</i>"),)
            return
        self.jobs.children = (grid(["job", "script", "schedule", ""], rows, "cml-jobs-table"),)

    def show_runs(self, job: Job) -> None:
        """Show a job's most recent runs below the job table."""
        project = self.project
        runs = self.messages.run(lambda: self.controller.runs(job.id, project))
        if runs is None:
            return
        header = html_widget(f"<b>Recent runs of {esc(job.name)}</b>", "cml-runs-title")
        if not runs:
            self.runs.children = (header, html_widget("<i>no runs yet</i>"))
            return
        rows = []
        for run in runs:
            final = phase("run", run.status).activity is Activity.FINAL
            rows.append(
                [
                    f"<code>{esc(run.id)}</code>",
                    status_badge("run", run.status),
                    clock(run.created_at),
                    clock(run.finished_at),
                    elapsed(run, final),
                ]
            )
        table = grid(["run", "status", "created", "finished", "elapsed"], rows, "cml-runs-table")
        self.runs.children = (header, table)

    def open_form(self, job: Job) -> None:
        """Open the run form for `job` under the tables."""
        from cml_magic.widgets.panels.run_form import RunJobForm

        form = RunJobForm(self.controller, job=job, project=self.project, poller=self.poller)
        self.form_area.children = (form,)
