"""Everything the widgets ask of CML, in one place: the only code here that calls the client.

Widgets hold a `Controller` and never send HTTP themselves, so tests drive them with a real
`CML` client against the local server. Look-ups that rarely change (a project's owner and slug,
used for web UI links) are cached per controller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Literal, TypeAlias, TypeVar

from cml_magic.api.objects import Job, JobRun, Project
from cml_magic.api.serving_objects import Application, Model, ModelBuild, ModelDeployment
from cml_magic.widgets import links
from cml_magic.widgets.poller import Listener, Poller, Subscription
from cml_magic.widgets.status import Activity, phase

if TYPE_CHECKING:
    from cml_magic.api.client import CML

# What a widget can watch, and the name of each kind in the status tables.
Watched: TypeAlias = JobRun | ModelBuild | ModelDeployment | Application
Kind: TypeAlias = Literal["run", "build", "deployment", "application"]
W = TypeVar("W", bound=Watched)
Stoppable = TypeVar("Stoppable", JobRun, ModelDeployment, Application)  # CML cannot stop builds
KINDS: tuple[tuple[type[Watched], Kind], ...] = (
    (JobRun, "run"),
    (ModelBuild, "build"),
    (ModelDeployment, "deployment"),
    (Application, "application"),
)


def kind_of(obj: object) -> Kind:
    """ "run", "build", "deployment" or "application" for a JobRun, ModelBuild,
    ModelDeployment or Application; a TypeError for anything else."""
    for cls, kind in KINDS:
        if isinstance(obj, cls):
            return kind
    raise TypeError(
        f"cannot watch a {type(obj).__name__}: pass a JobRun, ModelBuild, ModelDeployment"
        " or Application"
    )


def username(user: object) -> str:
    """The username of a ShortUser, whether it came as an object or a dict."""
    if user is None:
        return ""
    if isinstance(user, Mapping):
        return str(user.get("username") or "")
    return str(getattr(user, "username", "") or "")


class Controller:
    """The widgets' door to CML: wraps one `cml_magic.api.CML` client."""

    def __init__(self, cml: CML) -> None:
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

    def key(self, obj: Watched) -> Hashable:
        """Identifies one item on one server: widgets showing the same item share a look-up."""
        return (self.host, kind_of(obj), obj.id)

    def fetcher(self, obj: W, project: str | None = None) -> Callable[[], W]:
        """A function returning a fresh copy of `obj` (run in the poller's thread)."""
        kind_of(obj)
        return lambda: self.cml.refresh(obj, project)

    @staticmethod
    def activity(kind: str) -> Callable[[Watched], Activity]:
        return lambda obj: phase(kind, obj.status).activity

    @staticmethod
    def transitional(kind: str) -> Callable[[Watched], bool]:
        return lambda obj: phase(kind, obj.status).transitional

    def follow(
        self, obj: Watched, listener: Listener, poller: Poller, project: str | None = None
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

    # -- actions --------------------------------------------------------------------------

    def stop(self, obj: Stoppable, project: str | None = None) -> Stoppable:
        """Stop a run, a deployment or an application; returns the updated item."""
        return self.cml.stop(obj, project)

    def restart_deployment(self, dep: ModelDeployment) -> ModelDeployment:
        return self.cml.deployments.restart(
            dep.id, dep.model_id, build=dep.build_id, project=dep.project_id
        )

    def deploy(self, build: ModelBuild, project: str | None = None) -> ModelDeployment:
        """Deploy a built model build with the default resources; returns the deployment."""
        return self.cml.deployments.create(
            build.id, build.model_id, project=build.project_id or project
        )

    def output(self, run: JobRun) -> str | None:
        """The run's log (None where CML keeps none that the API can reach)."""
        return self.cml.runs.output(run)

    def start_run(
        self, job: str, project: str | None = None, environment: Mapping[str, str] | None = None
    ) -> JobRun:
        return self.cml.runs.create(job, project=project, environment=dict(environment or {}))

    # -- listings for the panels ------------------------------------------------------------

    def projects(self, search: str | None = None, limit: int = 50) -> list[Project]:
        return list(self.cml.projects.list(search=search or None, limit=limit))

    @property
    def default_project(self) -> str | None:
        """The client's default project (a name or an id), if it has one."""
        return self.cml.project

    def project(self, project: str) -> Project:
        return self.cml.projects.get(project)

    def jobs(self, project: str | None) -> list[Job]:
        return list(self.cml.jobs.list(project=project))

    def runs(self, job: str, project: str | None, limit: int = 10) -> list[JobRun]:
        return list(self.cml.runs.list(job, project=project, sort="-created_at", limit=limit))

    def models(self, project: str | None) -> list[Model]:
        return list(self.cml.models.list(project=project))

    def builds(self, model: str, project: str | None) -> list[ModelBuild]:
        return list(self.cml.builds.list(model, project=project))

    def deployments(self, model: str, project: str | None) -> list[ModelDeployment]:
        return list(self.cml.deployments.list(model, project=project))

    def create_build(
        self, model: str, file_path: str, function_name: str, project: str | None
    ) -> ModelBuild:
        return self.cml.builds.create(model, file_path, function_name, project=project)

    def applications(self, project: str | None) -> list[Application]:
        return list(self.cml.applications.list(project=project))

    def restart_application(self, app: Application, project: str | None) -> Application:
        return self.cml.applications.restart(app.id, project=project)

    def stop_application(self, app: Application, project: str | None) -> Application:
        return self.cml.stop(app, project)

    # -- links ----------------------------------------------------------------------------

    def job_name(self, run: JobRun) -> str:
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

    def link(self, obj: Watched, project: str | None = None) -> str | None:
        """The item's page in the CML web UI, or None."""
        page = self.project_page(obj.project_id or project)
        if page is None or not self.host:
            return None
        if isinstance(obj, JobRun):
            return links.run_url(self.host, *page, obj.id)
        if isinstance(obj, Application):
            return links.application_url(self.host, *page, obj.id)
        return links.model_url(self.host, *page, obj.model_id)


# What widgets and panels accept: a client, or a controller already wrapping one.
ClientOrController: TypeAlias = "CML | Controller"


def as_controller(cml_or_controller: ClientOrController) -> Controller:
    """Accept either a `CML` client or an existing `Controller`."""
    if isinstance(cml_or_controller, Controller):
        return cml_or_controller
    return Controller(cml_or_controller)
