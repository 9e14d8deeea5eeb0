"""The "run job" form: pick a job, edit environment overrides, press Run, watch the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from cml_magic.api.convert import is_env_name
from cml_magic.api.masking import MASK, mask_environment
from cml_magic.api.objects import Job
from cml_magic.widgets.controller import ClientOrController, Controller, as_controller
from cml_magic.widgets.panels.common import project_picker
from cml_magic.widgets.parts import Messages, button
from cml_magic.widgets.poller import Poller

if TYPE_CHECKING:
    from cml_magic.widgets.run_widget import RunWidget


def _hidden(name: str, value: str) -> bool:
    """The masking rule of every display: a secret-looking name, or a value holding a key."""
    return mask_environment({name: value})[name] == MASK != value


class EnvRow(w.HBox):  # type: ignore[misc]
    """One key/value row; the value is hidden when the key looks secret or the value holds a
    key the client knows."""

    def __init__(
        self, on_remove: Callable[[EnvRow], object], key: str = "", value: str = ""
    ) -> None:
        super().__init__()
        self.key = w.Text(value=key, placeholder="NAME", layout=w.Layout(width="14em"))
        self.key.add_class("cml-env-key")
        self.value_box = self._value_widget(value, _hidden(key, value))
        self.remove = button("", "cml-env-remove", lambda _b: on_remove(self), icon="minus")
        self.remove.layout.width = "3em"
        self.remove.tooltip = "remove this variable"
        self.key.observe(self._key_changed, names="value")
        self.add_class("cml-env-row")
        self.children = (self.key, self.value_box, self.remove)

    @staticmethod
    def _value_widget(value: str, secret: bool) -> w.Text | w.Password:
        cls = w.Password if secret else w.Text
        box = cls(value=value, placeholder="value", layout=w.Layout(width="22em"))
        box.add_class("cml-env-value")
        return box

    def _key_changed(self, change: dict[str, Any]) -> None:
        secret = _hidden(change["new"], self.value_box.value)
        if secret != isinstance(self.value_box, w.Password):
            old = self.value_box
            self.value_box = self._value_widget(old.value, secret)
            self.children = (self.key, self.value_box, self.remove)
            old.close()

    @property
    def pair(self) -> tuple[str, str]:
        return self.key.value.strip(), self.value_box.value


class RunJobForm(w.VBox):  # type: ignore[misc]
    """Job picker, arguments, environment editor and a Run button; each run opens a live
    RunWidget (newest on top) below the form."""

    def __init__(
        self,
        cml: ClientOrController,
        job: Job | str | None = None,
        project: str | None = None,
        poller: Poller | None = None,
    ) -> None:
        super().__init__()
        self.controller: Controller = as_controller(cml)
        self.poller = poller
        self.messages = Messages()
        self.project_picker = project_picker(self.controller, project, self.messages)
        self.job_picker = w.Dropdown(options=[], description="Job")
        self.job_picker.add_class("cml-job-picker")
        self.rows = w.VBox()
        self.rows.add_class("cml-env-rows")
        self.add_button = button(
            "Add variable", "cml-env-add", lambda _b: self.add_row(), icon="plus"
        )
        self.run_button = button(
            "Run", "cml-run", lambda _b: self.run(), button_style="primary", icon="play"
        )
        self.runs = w.VBox()
        self.runs.add_class("cml-started-runs")
        self.run_widgets: list[RunWidget] = []
        self.add_class("cml-run-form")
        self.children = (
            self.project_picker,
            self.job_picker,
            w.HTML("<b>Environment overrides for this run</b>"),
            self.rows,
            self.add_button,
            self.run_button,
            self.messages.widget,
            self.runs,
        )
        self.project_picker.observe(lambda _c: self.load_jobs(), names="value")
        self.load_jobs(job)

    def load_jobs(self, wanted: Job | str | None = None) -> None:
        """Fill the job picker from the chosen project (selecting `wanted`: a Job, id or name)."""
        project = self.project_picker.value
        if project is None:
            self.job_picker.options = []
            return
        jobs = self.messages.run(lambda: self.controller.jobs(project)) or []
        self.job_picker.options = [(j.name, j.id) for j in jobs]
        if jobs:
            self.job_picker.value = jobs[0].id  # ipywidgets 8 leaves a new Dropdown unselected
        if wanted is not None:
            key = wanted.id if isinstance(wanted, Job) else wanted
            for j in jobs:
                if key in (j.id, j.name):
                    self.job_picker.value = j.id
                    return
            name = wanted.name if isinstance(wanted, Job) else wanted
            self.messages.say(f"job {name} not found", error=True)

    def add_row(self, key: str = "", value: str = "") -> EnvRow:
        """Add one key/value row to the environment editor."""
        row = EnvRow(self.remove_row, key, value)
        self.rows.children = (*self.rows.children, row)
        return row

    def remove_row(self, row: EnvRow) -> None:
        self.rows.children = tuple(r for r in self.rows.children if r is not row)
        row.close()

    def environment(self) -> dict[str, str]:
        """The overrides typed so far; ValueError (one line) for a bad or repeated name."""
        env: dict[str, str] = {}
        for i, row in enumerate(self.rows.children, start=1):
            key, value = row.pair
            if not key and not value:
                continue
            if not key:
                raise ValueError(f"row {i}: the value has no variable name")
            if not is_env_name(key):
                raise ValueError(
                    f"row {i}: {key!r} is not a variable name (letters, digits, _; not first digit)"
                )
            if key in env:
                raise ValueError(f"row {i}: {key} is set twice")
            env[key] = value
        return env

    def run(self) -> RunWidget | None:
        """Start the chosen job with the overrides; returns the live RunWidget (None on error)."""
        job, project = self.job_picker.value, self.project_picker.value
        if job is None:
            self.messages.say("choose a job first", error=True)
            return None
        try:
            env = self.environment()
        except ValueError as exc:
            self.messages.say(str(exc), error=True)
            return None
        self.run_button.disabled = True
        try:
            run = self.messages.run(lambda: self.controller.start_run(job, project, env))
        finally:
            self.run_button.disabled = False
        if run is None:
            return None
        from cml_magic.widgets.run_widget import RunWidget

        widget = RunWidget(run, self.controller, poller=self.poller, job_name=self.job_picker.label)
        self.run_widgets.insert(0, widget)
        self.runs.children = (widget, *self.runs.children)
        self.messages.say(f"started run {run.id}")
        return widget
