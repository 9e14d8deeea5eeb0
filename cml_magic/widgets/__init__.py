"""Live progress widgets, click-through panels and the shared poller for CML.

Importing this package is cheap: ipywidgets and the HTTP client load on first use.

    from cml_magic import widgets
    widgets.watch(run, cml)              # a live RunWidget (or text progress outside Jupyter)
    widgets.panel(cml)                   # projects, jobs, models and applications as tabs
    widgets.show_sweep(cml, [(combination, run), ...])   # one table for a sweep's runs

See docs/widgets.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cml_magic.widgets.frontend import in_widget_frontend
from cml_magic.widgets.poller import Poller, get_poller

if TYPE_CHECKING:
    from cml_magic.api.objects import Job
    from cml_magic.widgets.build_widget import BuildWidget
    from cml_magic.widgets.controller import ClientOrController, Watched
    from cml_magic.widgets.deployment_widget import DeploymentWidget
    from cml_magic.widgets.panels.apps import AppsPanel
    from cml_magic.widgets.panels.models import ModelPanel
    from cml_magic.widgets.panels.projects import ProjectBrowser
    from cml_magic.widgets.panels.run_form import RunJobForm
    from cml_magic.widgets.run_widget import RunWidget
    from cml_magic.widgets.sweep import SweepWidget, show_sweep
    from cml_magic.widgets.text import SweepProgress, TextProgress

__all__ = [
    "BuildWidget",
    "DeploymentWidget",
    "Poller",
    "RunWidget",
    "TextProgress",
    "apps_panel",
    "get_poller",
    "in_widget_frontend",
    "model_panel",
    "panel",
    "project_browser",
    "run_job_form",
    "watch",
    "SweepWidget",
    "SweepProgress",
    "show_sweep",
]

_LAZY = {
    "RunWidget": "cml_magic.widgets.run_widget",
    "BuildWidget": "cml_magic.widgets.build_widget",
    "DeploymentWidget": "cml_magic.widgets.deployment_widget",
    "TextProgress": "cml_magic.widgets.text",
    "SweepWidget": "cml_magic.widgets.sweep",
    "SweepProgress": "cml_magic.widgets.text",
    "show_sweep": "cml_magic.widgets.sweep",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cml_magic.widgets' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def watch(
    obj: Watched, cml: ClientOrController, project: str | None = None, poller: Poller | None = None
) -> RunWidget | BuildWidget | DeploymentWidget | TextProgress:
    """Follow a JobRun, ModelBuild or ModelDeployment live.

    In a widget front end this returns a live widget, not yet displayed: make it a cell's value
    (or return it from a magic) to show it. Elsewhere it returns a `TextProgress` that prints
    one line now and one per status change; its `.wait(timeout)` blocks until the item is final.
    `project` is needed only for a ModelBuild outside the client's default project.
    """
    from cml_magic.api.run_objects import JobRun
    from cml_magic.api.serving_objects import Application, ModelBuild
    from cml_magic.widgets.controller import as_controller, kind_of

    kind_of(obj)  # a clear error for anything else, before any import of ipywidgets
    if isinstance(obj, Application):
        raise TypeError(
            "applications are followed in apps_panel(); watch() takes runs, builds, deployments"
        )
    controller = as_controller(cml)
    if not in_widget_frontend():
        from cml_magic.widgets.text import TextProgress

        return TextProgress(obj, controller, project=project, poller=poller)
    if isinstance(obj, JobRun):
        from cml_magic.widgets.run_widget import RunWidget

        return RunWidget(obj, controller, poller=poller)
    if isinstance(obj, ModelBuild):
        from cml_magic.widgets.build_widget import BuildWidget

        return BuildWidget(obj, controller, project=project, poller=poller)
    from cml_magic.widgets.deployment_widget import DeploymentWidget

    return DeploymentWidget(obj, controller, poller=poller)


def project_browser(cml: ClientOrController, poller: Poller | None = None) -> ProjectBrowser:
    """Search box, project list, the selected project's jobs; click a job for its recent runs."""
    from cml_magic.widgets.panels import project_browser as build

    return build(cml, poller=poller)


def run_job_form(
    cml: ClientOrController,
    job: Job | str | None = None,
    project: str | None = None,
    poller: Poller | None = None,
) -> RunJobForm:
    """Pick a job, edit environment overrides, press Run: the live run widget opens below."""
    from cml_magic.widgets.panels import run_job_form as build

    return build(cml, job=job, project=project, poller=poller)


def model_panel(
    cml: ClientOrController, project: str | None = None, poller: Poller | None = None
) -> ModelPanel:
    """Models of a project with their builds and deployments; Build and Deploy buttons."""
    from cml_magic.widgets.panels import model_panel as build

    return build(cml, project=project, poller=poller)


def apps_panel(
    cml: ClientOrController, project: str | None = None, poller: Poller | None = None
) -> AppsPanel:
    """Applications of a project with their status; Restart and Stop buttons."""
    from cml_magic.widgets.panels import apps_panel as build

    return build(cml, project=project, poller=poller)


def panel(
    cml: ClientOrController,
    name: str | None = None,
    project: str | None = None,
    job: Job | str | None = None,
    poller: Poller | None = None,
) -> Any:
    """`%cml panel [name]`: all panels as tabs, or one of "projects", "jobs", "models", "apps".

    `project` preselects a project (default: the client's); `job` a job in the "jobs" panel.

    Outside a widget front end prints a one-line hint and returns the matching listing as a
    DataFrame instead.
    """
    from cml_magic.widgets.panels import panel as build

    return build(cml, name=name, project=project, job=job, poller=poller)
