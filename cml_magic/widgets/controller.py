"""Everything the widgets ask of CML, in one place: the only code here that calls the client.

Widgets hold a `Controller` and never send HTTP themselves, so tests drive them with a real
`CML` client against the local server. Look-ups that rarely change (a project's owner and slug,
used for web UI links) are cached per controller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal, TypeAlias, TypeVar

from cml_magic.api.objects import Job, Project
from cml_magic.api.run_objects import JobRun
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
# Runs of a sweep looked up on their own in one look-up of API v1's job list, at most.
ALONE_PER_LOOKUP = 3
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
        self._calls: dict[str, tuple[str, dict[str, str]]] = {}
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

    def look_up_now(self, obj: Watched, poller: Poller, *, every_of_kind: bool = False) -> int:
        """Have the widgets of `obj` (with `every_of_kind`: of every item of its kind on this
        server) shown by `poller` look it up at once, after an action on it."""
        host, kind, item_id = self.host, kind_of(obj), obj.id  # as in `key`

        def match(key: Hashable) -> bool:
            if not (isinstance(key, tuple) and key[:2] == (host, kind)):
                return False
            return every_of_kind or key[2] == item_id

        return poller.look_up_now(match)

    def fetcher(self, obj: W, project: str | None = None) -> Callable[[], W]:
        """A function returning a fresh copy of `obj` (run in the poller's thread)."""
        kind_of(obj)
        from cml_magic.api.transport import single_attempt  # loaded with the client already

        def fetch() -> W:
            with single_attempt():  # the poller retries on its own schedule, and says so
                return self.cml.refresh(obj, project)

        return fetch

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

    def build_log(self, build: ModelBuild, project: str | None = None) -> str | None:
        """The build's log (None where CML keeps none that the API can reach)."""
        text: str | None = self.cml.builds.log(build, project=build.project_id or project)
        return text

    def job(self, job: str, project: str | None = None) -> Job:
        return self.cml.jobs.get(job, project=project)

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

    def create_model(self, name: str, project: str | None) -> Model:
        return self.cml.models.create(name, project=project)

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

    def model_call(self, dep: ModelDeployment) -> tuple[str, dict[str, str]] | None:
        """(endpoint, ready-to-copy calls, the access key masked) of a deployment's model,
        looked up once per model; None when the model cannot be had."""
        with self._lock:
            if dep.model_id in self._calls:
                return self._calls[dep.model_id]
        try:
            model = self.cml.models.get(dep.model_id, project=dep.project_id or None)
        except Exception:  # the call is a nicety: never fail a widget for it
            return None
        found = (self.cml.models.endpoint, self.cml.models.call_examples(model))
        with self._lock:
            self._calls[dep.model_id] = found
        return found

    # -- many runs at once (a sweep) ---------------------------------------------------------

    def runs_fetcher(self, runs: Sequence[JobRun]) -> Callable[[], tuple[JobRun, ...]]:
        """A function returning fresh copies of `runs`, all runs of one job, in their order.

        One listing of the job's runs replaces one look-up per run: newest first (a sweep's
        runs are among the newest), a page as large as the runs wanted, and further pages only
        while some are missing. A run the listing lacks is looked up on its own (a deleted one
        then fails as a look-up of it would).
        """
        if not runs:
            raise ValueError("no runs to fetch")
        job_id, project_id = runs[0].job_id, runs[0].project_id
        if any((run.job_id, run.project_id) != (job_id, project_id) for run in runs):
            raise ValueError("runs_fetcher takes runs of one job")
        from cml_magic.api.transport import single_attempt  # loaded with the client already

        wanted = [run.id for run in runs]
        page = max(10, len(wanted))

        def fetch() -> tuple[JobRun, ...]:
            found: dict[str, JobRun] = {}
            with single_attempt():  # the poller retries on its own schedule, and says so
                listed = self.cml.runs.iter(
                    job_id, project=project_id, sort="-created_at", page_size=page
                )
                for run in listed:
                    if run.id in wanted:
                        found[run.id] = run
                        if len(found) == len(wanted):
                            break
                for run in runs:
                    if run.id not in found:
                        found[run.id] = self.cml.refresh(run)
            return tuple(found[run_id] for run_id in wanted)

        return fetch

    def follow_runs(
        self, runs: Sequence[JobRun], listener: Listener, poller: Poller
    ) -> list[Subscription]:
        """Have `poller` tell `listener` about fresh copies of `runs`, until each is final.

        Runs are grouped by job: a job with one run watched is one item of the poller (shared
        with any run widget of the same run; its `update` gets a `JobRun`), a job with several
        is one item looked up by one listing of the job's runs (its `update` gets a tuple of
        `JobRun`s). CML has no call returning runs of different jobs, so that is the fewest
        requests: one per job per interval, under the poller's rate cap.
        """
        groups: dict[tuple[str, str], list[JobRun]] = {}
        for run in runs:
            groups.setdefault((run.project_id, run.job_id), []).append(run)
        subs = []
        if self.cml.has_legacy_key:
            # With a legacy key, the runs that are alone in their job are watched through the
            # v1 job list of their project instead: one request for all of them.
            by_project: dict[str, list[JobRun]] = {}
            for group in groups.values():
                if len(group) == 1:
                    by_project.setdefault(group[0].project_id, []).append(group[0])
            for project_id, alone in by_project.items():
                page = self.project_page(project_id)
                if len(alone) < 2 or page is None:
                    continue
                for run in alone:
                    del groups[(run.project_id, run.job_id)]
                subs.append(
                    self._watch_runs(
                        self.latest_runs_fetcher(alone, *page), alone, listener, poller
                    )
                )
        for group in groups.values():
            if len(group) == 1:
                subs.append(self.follow(group[0], listener, poller))
                continue
            subs.append(self._watch_runs(self.runs_fetcher(group), group, listener, poller))
        return subs

    def _watch_runs(
        self,
        fetch: Callable[[], tuple[JobRun, ...]],
        runs: Sequence[JobRun],
        listener: Listener,
        poller: Poller,
    ) -> Subscription:
        return poller.watch(
            self.runs_key(runs),
            fetch,
            listener,
            activity=_runs_activity,
            status_of=lambda found: tuple(run.status for run in found),
            group=self.host,
            transitional=lambda found: any(phase("run", run.status).transitional for run in found),
        )

    def runs_key(self, runs: Sequence[JobRun]) -> Hashable:
        """Identifies one look-up of several runs on one server."""
        return (self.host, "runs", frozenset(run.id for run in runs))

    def latest_runs_fetcher(
        self, runs: Sequence[JobRun], owner: str, slug: str
    ) -> Callable[[], tuple[JobRun, ...]]:
        """A function returning fresh copies of `runs` (each the newest run of its job, all in
        the project `owner/slug`) from one request: API v1's job list, where each job comes
        with its newest run (`latest`: id, status, times).

        A run whose copy there is not its own (a newer run of its job hides it) or whose status
        word is not one of API v2's is looked up on its own, `ALONE_PER_LOOKUP` of them a look-up
        at most (the longest unseen first); a final run is not looked up again.
        """
        from cml_magic.api.convert import timestamp
        from cml_magic.api.statuses import RUN
        from cml_magic.api.transport import single_attempt  # loaded with the client already

        current = {run.id: run for run in runs}
        asked: dict[str, float] = {}  # when a run the list did not vouch for was last looked up

        def fetch() -> tuple[JobRun, ...]:
            with single_attempt():  # the poller retries on its own schedule, and says so
                jobs = self.cml.legacy.jobs(owner, slug)
                latest = {
                    str(job.get("public_identifier") or ""): job.get("latest") for job in jobs
                }
                alone = []
                for run_id, run in list(current.items()):
                    if RUN.is_final(run.status):
                        continue  # it will not change again
                    seen = latest.get(run.job_id)
                    if not (isinstance(seen, dict) and str(seen.get("id") or "") == run_id):
                        alone.append(run)
                        continue
                    status = "ENGINE_" + str(seen.get("status") or "").upper()
                    if status not in RUN.active | RUN.final:
                        alone.append(run)
                    elif status != run.status:
                        current[run_id] = replace(
                            run,
                            status=status,
                            scheduling_at=timestamp(seen.get("scheduling_at")) or run.scheduling_at,
                            running_at=timestamp(seen.get("running_at")) or run.running_at,
                            finished_at=timestamp(seen.get("finished_at")) or run.finished_at,
                        )
                # A few a look-up, the longest unseen first: one look-up of the poller stays a
                # few requests, under its rate cap, however many runs the list cannot vouch for.
                alone.sort(key=lambda run: asked.get(run.id, 0.0))
                for run in alone[:ALONE_PER_LOOKUP]:
                    asked[run.id] = time.monotonic()
                    current[run.id] = self.cml.refresh(run)
            return tuple(current[run.id] for run in runs)

        return fetch

    def stop_runs(self, runs: Iterable[JobRun]) -> tuple[list[JobRun], list[str]]:
        """Stop every run of `runs` still active (one `:stop` each: CML has no call for many).

        Returns the runs as CML answered them and one line per run that could not be stopped.
        A run already stopping, or final, is left alone.
        """
        from cml_magic.widgets.failures import one_line

        stopped: list[JobRun] = []
        failed: list[str] = []
        for run in runs:
            if run.status == "ENGINE_STOPPING" or phase("run", run.status).activity is not (
                Activity.ACTIVE
            ):
                continue
            try:
                stopped.append(self.cml.stop(run))
            except Exception as exc:  # one run's failure must not keep the others running
                failed.append(f"{run.id}: {one_line(exc)}")
        return stopped, failed

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


def _runs_activity(found: tuple[JobRun, ...]) -> Activity:
    """Final once every run of the group is; active while any is."""
    activities = {phase("run", run.status).activity for run in found}
    return Activity.FINAL if activities == {Activity.FINAL} else Activity.ACTIVE


# What widgets and panels accept: a client, or a controller already wrapping one.
ClientOrController: TypeAlias = "CML | Controller"


def acted_on(cml: ClientOrController, obj: Watched, *, every_of_kind: bool = False) -> int:
    """After this kernel acted on `obj` outside its widgets (a magic stopped or deployed it):
    the live widgets showing it look it up now, through the kernel's shared poller."""
    from cml_magic.widgets.poller import get_poller

    return as_controller(cml).look_up_now(obj, get_poller(), every_of_kind=every_of_kind)


def as_controller(cml_or_controller: ClientOrController) -> Controller:
    """Accept either a `CML` client or an existing `Controller`."""
    if isinstance(cml_or_controller, Controller):
        return cml_or_controller
    return Controller(cml_or_controller)
