"""Everything the widgets ask of CML, in one place: the only code here that calls the client.

Widgets hold a `Controller` and never send HTTP themselves, so tests drive them with a real
`CML` client against the local server. Look-ups that rarely change (a project's owner and slug,
used for web UI links) are cached per controller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from cml_magic.widgets import links
from cml_magic.widgets.poller import Listener, Poller, Subscription
from cml_magic.widgets.status import Activity, phase

KINDS = {
    "JobRun": "run",
    "ModelBuild": "build",
    "ModelDeployment": "deployment",
    "Application": "application",
}


def kind_of(obj: Any) -> str:
    """ "run", "build" or "deployment" for a JobRun, ModelBuild or ModelDeployment."""
    kind = KINDS.get(type(obj).__name__)
    if kind is None:
        raise TypeError(
            f"cannot watch a {type(obj).__name__}: pass a JobRun, ModelBuild, ModelDeployment"
            " or Application"
        )
    return kind


def username(user: Any) -> str:
    """The username of a ShortUser, whether it came as an object or a dict."""
    if user is None:
        return ""
    if isinstance(user, Mapping):
        return str(user.get("username") or "")
    return str(getattr(user, "username", "") or "")


class Controller:
    """The widgets' door to CML: wraps one `cml_magic.api.CML` client."""

    def __init__(self, cml: Any) -> None:
        self.cml = cml
        self._projects: dict[str, tuple[str, str]] = {}
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # the client's own repr masks the key
        return f"Controller({self.cml!r})"

    @property
    def host(self) -> str:
        return str(getattr(self.cml, "host", "")).rstrip("/")

    # -- watching -------------------------------------------------------------------------

    def key(self, obj: Any) -> Hashable:
        """Identifies one item on one server: widgets showing the same item share a look-up."""
        return (self.host, kind_of(obj), obj.id)

    def look_up_now(self, obj: Any, poller: Poller, *, every_of_kind: bool = False) -> int:
        """Have the widgets of `obj` (with `every_of_kind`: of every item of its kind on this
        server) shown by `poller` look it up at once, after an action on it."""
        host, kind, item_id = self.host, kind_of(obj), obj.id  # as in `key`

        def match(key: Hashable) -> bool:
            if not (isinstance(key, tuple) and key[:2] == (host, kind)):
                return False
            return every_of_kind or key[2] == item_id

        return poller.look_up_now(match)

    def fetcher(self, obj: Any, project: str | None = None) -> Callable[[], Any]:
        """A function returning a fresh copy of `obj` (run in the poller's thread)."""
        kind_of(obj)
        return lambda: self.cml.refresh(obj, project)

    @staticmethod
    def activity(kind: str) -> Callable[[Any], Activity]:
        return lambda obj: phase(kind, obj.status).activity

    @staticmethod
    def transitional(kind: str) -> Callable[[Any], bool]:
        return lambda obj: phase(kind, obj.status).transitional

    def follow(
        self, obj: Any, listener: Listener, poller: Poller, project: str | None = None
    ) -> Subscription:
        """Have `poller` tell `listener` about fresh copies of `obj` until it is final."""
        return poller.watch(
            self.key(obj),
            self.fetcher(obj, project),
            listener,
            activity=self.activity(kind_of(obj)),
            group=self.host,
            transitional=self.transitional(kind_of(obj)),
        )

    def build_project(self, build: Any, project: str | None) -> str | None:
        """The project of a model build (ModelBuild itself does not say)."""
        return getattr(build, "project_id", None) or project

    # -- actions --------------------------------------------------------------------------

    def stop(self, obj: Any, project: str | None = None) -> Any:
        """Stop a run, a deployment or an application; returns the updated item."""
        return self.cml.stop(obj, project)

    def restart_deployment(self, dep: Any) -> Any:
        return self.cml.deployments.restart(
            dep.id, dep.model_id, build=dep.build_id, project=dep.project_id
        )

    def deploy(self, build: Any, project: str | None = None) -> Any:
        """Deploy a built model build with the default resources; returns the deployment."""
        return self.cml.deployments.create(
            build.id, build.model_id, project=self.build_project(build, project)
        )

    def output(self, run: Any) -> str | None:
        """The run's log (None where CML keeps none that the API can reach)."""
        text: str | None = self.cml.runs.output(run)
        return text

    def build_log(self, build: Any, project: str | None = None) -> str | None:
        """The build's log (None where CML keeps none that the API can reach)."""
        text: str | None = self.cml.builds.log(build, project=self.build_project(build, project))
        return text

    def start_run(
        self, job: Any, project: str | None = None, environment: Mapping[str, str] | None = None
    ) -> Any:
        return self.cml.runs.create(job, project=project, environment=dict(environment or {}))

    # -- listings for the panels ------------------------------------------------------------

    def projects(self, search: str | None = None, limit: int = 50) -> list[Any]:
        return list(self.cml.projects.list(search=search or None, limit=limit))

    def jobs(self, project: Any) -> list[Any]:
        return list(self.cml.jobs.list(project=project))

    def job(self, job: Any, project: Any = None) -> Any:
        return self.cml.jobs.get(job, project=project)

    def runs(self, job: Any, project: Any, limit: int = 10) -> list[Any]:
        return list(self.cml.runs.list(job, project=project, sort="-created_at", limit=limit))

    def models(self, project: Any) -> list[Any]:
        return list(self.cml.models.list(project=project))

    def builds(self, model: Any, project: Any) -> list[Any]:
        return list(self.cml.builds.list(model, project=project))

    def deployments(self, model: Any, project: Any) -> list[Any]:
        return list(self.cml.deployments.list(model, project=project))

    def create_model(self, name: str, project: Any) -> Any:
        return self.cml.models.create(name, project=project)

    def create_build(self, model: Any, file_path: str, function_name: str, project: Any) -> Any:
        return self.cml.builds.create(model, file_path, function_name, project=project)

    def applications(self, project: Any) -> list[Any]:
        return list(self.cml.applications.list(project=project))

    def restart_application(self, app: Any, project: Any) -> Any:
        return self.cml.applications.restart(app.id, project=project)

    def stop_application(self, app: Any, project: Any) -> Any:
        return self.cml.stop(app, project)

    # -- links ----------------------------------------------------------------------------

    def job_name(self, run: Any) -> str:
        """The name of a run's job (looked up once per job), else its id."""
        key = f"job:{run.job_id}"
        with self._lock:
            if key in self._names:
                return self._names[key]
        try:
            name = str(self.cml.jobs.get(run.job_id, project=run.project_id).name)
        except Exception:  # a name is a nicety: never fail a widget for it
            return str(run.job_id)
        with self._lock:
            self._names[key] = name
        return name

    def project_page(self, project_id: str | None) -> tuple[str, str] | None:
        """(owner, slug) of a project, looked up once; None when it cannot be had."""
        if not project_id:
            return None
        with self._lock:
            if project_id in self._projects:
                return self._projects[project_id]
        try:
            project = self.cml.projects.get(project_id)
        except Exception:  # a link is a nicety: never fail a widget for it
            return None
        owner = username(getattr(project, "owner", None))
        slug = getattr(project, "slug", None) or getattr(project, "name", "")
        if not owner or not slug:
            return None
        with self._lock:
            self._projects[project_id] = (owner, slug)
        return owner, slug

    def link(self, obj: Any, project: str | None = None) -> str | None:
        """The item's page in the CML web UI, or None."""
        kind = kind_of(obj)
        if kind == "build":
            project_id = self.build_project(obj, project)
        else:
            project_id = getattr(obj, "project_id", None) or project
        page = self.project_page(project_id)
        if page is None or not self.host:
            return None
        if kind == "run":
            return links.run_url(self.host, *page, obj.id)
        if kind == "application":
            return links.application_url(self.host, *page, obj.id)
        return links.model_url(self.host, *page, obj.model_id)


def acted_on(cml: Any, obj: Any, *, every_of_kind: bool = False) -> int:
    """After this kernel acted on `obj` outside its widgets (a magic stopped or deployed it):
    the live widgets showing it look it up now, through the kernel's shared poller."""
    from cml_magic.widgets.poller import get_poller

    return as_controller(cml).look_up_now(obj, get_poller(), every_of_kind=every_of_kind)


def as_controller(cml_or_controller: Any) -> Controller:
    """Accept either a `CML` client or an existing `Controller`."""
    if isinstance(cml_or_controller, Controller):
        return cml_or_controller
    return Controller(cml_or_controller)
