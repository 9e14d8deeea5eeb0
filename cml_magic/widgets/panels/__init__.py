"""The click-through panels: project browser, run form, models, applications, and all as tabs."""

from __future__ import annotations

import sys
from typing import Any

from cml_magic.widgets.controller import as_controller
from cml_magic.widgets.frontend import in_widget_frontend

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


def project_browser(cml: Any, poller: Any = None) -> Any:
    from cml_magic.widgets.panels.projects import ProjectBrowser

    return ProjectBrowser(cml, poller=poller)


def run_job_form(cml: Any, job: Any = None, project: Any = None, poller: Any = None) -> Any:
    from cml_magic.widgets.panels.run_form import RunJobForm

    return RunJobForm(cml, job=job, project=project, poller=poller)


def model_panel(cml: Any, project: Any = None, poller: Any = None) -> Any:
    from cml_magic.widgets.panels.models import ModelPanel

    return ModelPanel(cml, project=project, poller=poller)


def apps_panel(cml: Any, project: Any = None, poller: Any = None) -> Any:
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
    cml: Any, name: str | None = None, project: Any = None, job: Any = None, poller: Any = None
) -> Any:
    """One panel by name, or all of them as tabs; a DataFrame and a hint without a widget
    front end."""
    key = panel_name(name)
    controller = as_controller(cml)
    if not in_widget_frontend():
        return text_listing(controller, key, project)
    builders = {
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


def text_listing(controller: Any, key: str | None, project: Any) -> Any:
    """What a panel shows, as a table, for terminals and batch runs."""
    print(
        "cml: panels need a widget front end (JupyterLab or Jupyter Notebook); "
        "showing a listing instead",
        file=sys.stderr,
    )
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
