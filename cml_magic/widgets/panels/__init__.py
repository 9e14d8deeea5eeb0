"""The click-through panels: project browser, run form, models, applications, and all as tabs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cml_magic.widgets.controller import ClientOrController, Controller, as_controller
from cml_magic.widgets.frontend import in_widget_frontend

if TYPE_CHECKING:
    from cml_magic.api.objects import Job, Resource
    from cml_magic.widgets.panels.apps import AppsPanel
    from cml_magic.widgets.panels.models import ModelPanel
    from cml_magic.widgets.panels.projects import ProjectBrowser
    from cml_magic.widgets.panels.run_form import RunJobForm
    from cml_magic.widgets.poller import Poller

PANELS = ("projects", "jobs", "models", "apps")
ALIASES = {
    "project": "projects",
    "job": "jobs",
    "run": "jobs",
    "model": "models",
    "app": "apps",
    "applications": "apps",
    "application": "apps",
}


def project_browser(cml: ClientOrController, poller: Poller | None = None) -> ProjectBrowser:
    from cml_magic.widgets.panels.projects import ProjectBrowser

    return ProjectBrowser(cml, poller=poller)


def run_job_form(
    cml: ClientOrController,
    job: Job | str | None = None,
    project: str | None = None,
    poller: Poller | None = None,
) -> RunJobForm:
    from cml_magic.widgets.panels.run_form import RunJobForm

    return RunJobForm(cml, job=job, project=project, poller=poller)


def model_panel(
    cml: ClientOrController, project: str | None = None, poller: Poller | None = None
) -> ModelPanel:
    from cml_magic.widgets.panels.models import ModelPanel

    return ModelPanel(cml, project=project, poller=poller)


def apps_panel(
    cml: ClientOrController, project: str | None = None, poller: Poller | None = None
) -> AppsPanel:
    from cml_magic.widgets.panels.apps import AppsPanel

    return AppsPanel(cml, project=project, poller=poller)


def panel_name(name: str | None) -> str | None:
    """The canonical panel name; ValueError (one line, listing the choices) when unknown."""
    if name is None or name == "":
        return None
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PANELS:
        raise ValueError(f"unknown panel {name!r}: choose one of {', '.join(PANELS)}")
    return key


def panel(
    cml: ClientOrController,
    name: str | None = None,
    project: str | None = None,
    job: Job | str | None = None,
    poller: Poller | None = None,
) -> Any:
    """One panel by name, or all of them as tabs; a DataFrame and a hint without a widget
    front end (what is returned depends on both, hence `Any`)."""
    key = panel_name(name)
    controller = as_controller(cml)
    if not in_widget_frontend():
        return text_listing(controller, key, project)
    builders: dict[str, Callable[[], object]] = {
        "projects": lambda: project_browser(controller, poller=poller),
        "jobs": lambda: run_job_form(controller, job=job, project=project, poller=poller),
        "models": lambda: model_panel(controller, project=project, poller=poller),
        "apps": lambda: apps_panel(controller, project=project, poller=poller),
    }
    if key is not None:
        return builders[key]()
    import ipywidgets as w

    tabs = w.Tab(children=[builders[k]() for k in PANELS])
    for i, title in enumerate(("Projects", "Run a job", "Models", "Applications")):
        tabs.set_title(i, title)
    tabs.add_class("cml-panel-tabs")
    return tabs


def text_listing(controller: Controller, key: str | None, project: str | None) -> Any:
    """What a panel shows, as a table, for terminals and batch runs."""
    print(
        "cml: panels need a widget front end (JupyterLab or Jupyter Notebook); "
        "showing a listing instead",
        file=sys.stderr,
    )
    items: Sequence[Resource]
    if key in (None, "projects"):
        items, kind = controller.projects(), "projects"
    elif key == "jobs":
        items, kind = controller.jobs(project), "jobs"
    elif key == "models":
        items, kind = controller.models(project), "models"
    else:
        items, kind = controller.applications(project), "applications"
    try:
        from cml_magic.frames import to_frame
    except ImportError:
        return items
    return to_frame(items, kind=kind)
