"""`CML`: the client object; every resource hangs off it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from cml_magic.api import paths
from cml_magic.api.config import (
    Settings,
    default_model_endpoint,
    mask,
    normalize_host,
    resolve,
)
from cml_magic.api.errors import ConfigError
from cml_magic.api.masking import remember_keys
from cml_magic.api.transport import Transport

# Each resource module loads on first use of its accessor (`cml.jobs` ...): a first listing
# imports only what it needs.
if TYPE_CHECKING:
    from cml_magic.api.applications import Applications
    from cml_magic.api.builds import Builds
    from cml_magic.api.collection import Collection
    from cml_magic.api.deployments import Deployments
    from cml_magic.api.experiments import ExperimentRuns, Experiments
    from cml_magic.api.files import Files
    from cml_magic.api.jobs import Jobs
    from cml_magic.api.keys import Keys
    from cml_magic.api.legacy import Legacy
    from cml_magic.api.models import Models
    from cml_magic.api.objects import Resource
    from cml_magic.api.projects import Projects
    from cml_magic.api.registry import Registry
    from cml_magic.api.run_objects import JobRun
    from cml_magic.api.runs import Runs
    from cml_magic.api.runtimes import Runtimes
    from cml_magic.api.serving_objects import ModelBuild, ModelDeployment
    from cml_magic.api.usage import Usage
    from cml_magic.api.workloads import Workloads
    from cml_magic.api.workspace_objects import KeyCheck

    R = TypeVar("R", bound=Resource)

# The collection (an accessor of `CML`) of each kind of result object.
COLLECTIONS = {
    "project": "projects",
    "job": "jobs",
    "run": "runs",
    "model": "models",
    "build": "builds",
    "deployment": "deployments",
    "application": "applications",
    "experiment": "experiments",
    "experiment_run": "experiment_runs",
    "registered model": "registry",
}
STOPPABLE = frozenset({"run", "deployment", "application"})


class CML:
    """A client of one CML workspace (API v2, plus the legacy Jobs API v1).

    ```python
    cml = CML(host="https://ml.example.com", api_key="...")
    cml = CML.from_env()   # arguments > CML_MAGIC_* > CDSW_* > config file
    ```
    """

    def __init__(
        self,
        host: str,
        api_key: str,
        project: str | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        *,
        legacy_api_key: str | None = None,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        model_endpoint: str | None = None,
    ) -> None:
        if not host:
            raise ConfigError("no CML host given")
        api_key = api_key.strip() if api_key else api_key
        if not api_key:
            raise ConfigError("no CML API key given")
        if any(c.isspace() for c in api_key):
            raise ConfigError("the API key contains spaces or line breaks; copy it again")
        legacy_api_key = legacy_api_key.strip() if legacy_api_key else ""
        if any(c.isspace() for c in legacy_api_key):
            raise ConfigError("the legacy API key contains spaces or line breaks; copy it again")
        if timeout <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds, not {timeout}")
        # Hidden from every display of this process from now on: logs, reprs, errors.
        remember_keys(api_key, legacy_api_key)
        self.host = normalize_host(host)
        self.project = project or None
        # Where `cml.models.predict` sends model calls (see `default_model_endpoint`).
        self.model_endpoint = (model_endpoint or "").strip().rstrip("/") or (
            default_model_endpoint(self.host)
        )
        self.transport = Transport(
            self.host,
            api_key,
            legacy_api_key,
            verify=verify,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_backoff=max_backoff,
        )
        self._masked_key = mask(api_key)
        self._has_legacy_key = bool(legacy_api_key)

    @cached_property
    def projects(self) -> Projects:
        """The projects the caller can see."""
        from cml_magic.api.projects import Projects

        return Projects(self)

    @cached_property
    def jobs(self) -> Jobs:
        """The jobs of a project."""
        from cml_magic.api.jobs import Jobs

        return Jobs(self)

    @cached_property
    def runs(self) -> Runs:
        """The runs of a job."""
        from cml_magic.api.runs import Runs

        return Runs(self)

    @cached_property
    def models(self) -> Models:
        """The models of a project."""
        from cml_magic.api.models import Models

        return Models(self)

    @cached_property
    def builds(self) -> Builds:
        """The builds of a model."""
        from cml_magic.api.builds import Builds

        return Builds(self)

    @cached_property
    def deployments(self) -> Deployments:
        """The deployments of a model build."""
        from cml_magic.api.deployments import Deployments

        return Deployments(self)

    @cached_property
    def applications(self) -> Applications:
        """The applications of a project."""
        from cml_magic.api.applications import Applications

        return Applications(self)

    @cached_property
    def runtimes(self) -> Runtimes:
        """The runtime images of the workspace."""
        from cml_magic.api.runtimes import Runtimes

        return Runtimes(self)

    @cached_property
    def files(self) -> Files:
        """The files of a project."""
        from cml_magic.api.files import Files

        return Files(self)

    @cached_property
    def experiments(self) -> Experiments:
        """The experiments of a project."""
        from cml_magic.api.experiments import Experiments

        return Experiments(self)

    @cached_property
    def experiment_runs(self) -> ExperimentRuns:
        """The runs of an experiment: what they logged, and logging to them."""
        from cml_magic.api.experiments import ExperimentRuns

        return ExperimentRuns(self)

    @cached_property
    def registry(self) -> Registry:
        """The model registry of the workspace: registered models and their versions."""
        from cml_magic.api.registry import Registry

        return Registry(self)

    @cached_property
    def keys(self) -> Keys:
        """The caller's own API v2 keys."""
        from cml_magic.api.keys import Keys

        return Keys(self)

    @cached_property
    def usage(self) -> Usage:
        """What the workspace's workloads used."""
        from cml_magic.api.usage import Usage

        return Usage(self)

    @cached_property
    def workloads(self) -> Workloads:
        """What runs and ran: workload executions."""
        from cml_magic.api.workloads import Workloads

        return Workloads(self)

    @property
    def has_legacy_key(self) -> bool:
        """Whether the client has a legacy key (API v1 calls need one; the v2 key is never
        sent in its place)."""
        return self._has_legacy_key

    @cached_property
    def legacy(self) -> Legacy:
        """The legacy Jobs API v1."""
        from cml_magic.api.legacy import Legacy

        return Legacy(self)

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> CML:
        """A client from resolved `Settings`."""
        return cls(
            settings.host,
            settings.api_key,
            project=settings.project,
            verify=settings.verify,
            legacy_api_key=settings.legacy_api_key,
            model_endpoint=settings.model_endpoint or None,
            **options,
        )

    @classmethod
    def from_env(
        cls,
        host: str | None = None,
        api_key: str | None = None,
        project: str | None = None,
        verify: bool | str | None = None,
        *,
        legacy_api_key: str | None = None,
        model_endpoint: str | None = None,
        profile: str | None = None,
        env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> CML:
        """A client configured from arguments, `CML_MAGIC_*`, CML's `CDSW_*` session
        variables, then the config file (`$CML_MAGIC_CONFIG` or
        `~/.config/cml_magic/config.toml`), first found wins per setting. With a workspace
        profile (`profile=`, `CML_MAGIC_PROFILE` or the file's `profile`): arguments, then the
        profile's settings, its key from the variable it names or the system keyring."""
        settings = resolve(
            host=host,
            api_key=api_key,
            legacy_api_key=legacy_api_key,
            project=project,
            verify=verify,
            model_endpoint=model_endpoint,
            profile=profile,
            env=env,
        )
        return cls.from_settings(settings, **options)

    def __repr__(self) -> str:
        project = f", project={self.project!r}" if self.project else ""
        return f"CML(host={self.host!r}, api_key={self._masked_key!r}{project})"

    def close(self) -> None:
        """Close pooled connections."""
        self.transport.close()

    def __enter__(self) -> CML:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def default_project_ref(self, project: str | None) -> str:
        """`project`, else the client's default project; `ConfigError` when there is neither."""
        ref = project or self.project
        if not ref:
            raise ConfigError(
                "no project given and no default project: pass project=, or set"
                " CML_MAGIC_PROJECT (inside CML: CDSW_PROJECT_ID)"
            )
        return ref

    def _collection_of(self, obj: Resource) -> Collection[Any]:
        """The collection `obj` came from (`cml.runs` for a `JobRun`); `TypeError` for an
        object that is not a project, job, run, model, build, deployment, application or
        registered model."""
        from cml_magic.api.collection import Collection

        name = COLLECTIONS.get(getattr(obj, "kind", ""))
        found = getattr(self, name) if name else None
        if not isinstance(found, Collection) or not isinstance(obj, found._item):
            raise TypeError(f"a {type(obj).__name__} is not an item the client can fetch again")
        return found

    def refresh(self, obj: R, project: str | None = None) -> R:
        """`obj` as it is now: fetched again by its kind and ids (a project, job, run, model,
        build, deployment, application or registered model). `project`: where an object that
        does not say which project it is in lives (None: the default project)."""
        found: R = self._collection_of(obj)._refresh(obj, project)
        return found

    def stop(self, obj: R, project: str | None = None) -> R:
        """Stop a run, a deployment or an application (`:stop`); answers it as CML left it,
        typically stopping. `TypeError` for anything else (CML cannot stop a build)."""
        if getattr(obj, "kind", "") not in STOPPABLE:
            raise TypeError(f"a {getattr(obj, 'kind', type(obj).__name__)} cannot be stopped")
        found: R = self._collection_of(obj)._stop(obj, project)
        return found

    def whoami(self) -> KeyCheck:
        """Check the API key (`POST /api/v2/auth/validate_key`); `.username` is its owner."""
        answer = self.transport.request(
            "POST",
            f"{paths.V2}/auth/validate_key",
            json_body={"audience": "API"},
            idempotent=True,
        )
        from cml_magic.api.workspace_objects import KeyCheck

        return KeyCheck.from_json(answer)

    def wait_for_run(
        self,
        run: JobRun,
        timeout: float | None = None,
        poll_interval: float = 2.0,
        on_status: Callable[[JobRun], object] | None = None,
    ) -> JobRun:
        """Poll a run until it finished (succeeded, failed, timed out, stopped, skipped)."""
        from cml_magic.api.waits import wait_until

        return wait_until(
            run,
            self.refresh,
            lambda r: r.finished,
            what=f"run {run.id}",
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
        )

    def wait_for_build(
        self,
        build: ModelBuild,
        timeout: float | None = None,
        poll_interval: float = 2.0,
        on_status: Callable[[ModelBuild], object] | None = None,
    ) -> ModelBuild:
        """Poll a model build until it is built or failed."""
        from cml_magic.api.waits import wait_until

        return wait_until(
            build,
            self.refresh,
            lambda b: b.finished,
            what=f"build {build.id}",
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
        )

    def wait_for_deployment(
        self,
        deployment: ModelDeployment,
        timeout: float | None = None,
        poll_interval: float = 2.0,
        on_status: Callable[[ModelDeployment], object] | None = None,
    ) -> ModelDeployment:
        """Poll a model deployment until it is deployed, failed or stopped."""
        from cml_magic.api.waits import wait_until

        return wait_until(
            deployment,
            self.refresh,
            lambda d: d.finished,
            what=f"deployment {deployment.id}",
            timeout=timeout,
            poll_interval=poll_interval,
            on_status=on_status,
        )

    def start_job_v1(
        self,
        username: str,
        project: str,
        job_id: int | str,
        environment: Mapping[str, str] | None = None,
    ) -> str:
        """`cml.legacy.start_job`: start a job through API v1 by its numeric id (Basic auth with
        the legacy key); answers the engine id (the run's id). Without a legacy key it raises
        `ConfigError` before sending anything."""
        return self.legacy.start_job(username, project, job_id, environment)
