"""The server's one owner of running work: every kind of workload (`workloads/`), what the
routes ask of them, and the server's life (recovery after a crash, a clean shutdown).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cml_magic.local import processes
from cml_magic.local.store import Doc, Store
from cml_magic.local.timeutil import now
from cml_magic.local.workloads.applications import Applications
from cml_magic.local.workloads.base import Settings, Workloads
from cml_magic.local.workloads.builds import Builds
from cml_magic.local.workloads.deployments import Deployments
from cml_magic.local.workloads.runs import Runs


class Supervisor:
    """Owns every child process and the thread watching it."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.runs = Runs(store, settings)
        self.applications = Applications(store, settings)
        self.deployments = Deployments(store, settings)
        self.builds = Builds(store, settings, deploy=self.deployments.create)
        self._kinds: tuple[Workloads, ...] = (
            self.runs,
            self.applications,
            self.builds,
            self.deployments,
        )

    def project_dir(self, project_id: str) -> Path:
        """The project's folder, where its files and its workloads' logs are."""
        return self.store.projects_dir / project_id

    # what the routes ask ------------------------------------------------------------------

    def create_run(
        self,
        job: Doc,
        username: str,
        environment: dict[str, str] | None = None,
        arguments: str | None = None,
    ) -> Doc:
        return self.runs.create(job, username, environment, arguments)

    def stop_run(self, run: Doc) -> Doc:
        return self.runs.stop(run)

    def start_application(self, app_id: str) -> Doc | None:
        return self.applications.start(app_id)

    def stop_application(self, app_id: str, wait: bool = False) -> Doc | None:
        return self.applications.stop(app_id, wait)

    def restart_application(self, app_id: str) -> Doc | None:
        return self.applications.restart(app_id)

    def start_build(self, build_id: str) -> None:
        self.builds.start(build_id)

    def create_deployment(self, build: Doc, username: str, options: dict[str, Any]) -> Doc:
        return self.deployments.create(build, username, options)

    def stop_deployment(self, deployment_id: str, wait: bool = False) -> Doc | None:
        return self.deployments.stop(deployment_id, wait)

    def restart_deployment(self, deployment_id: str) -> Doc | None:
        return self.deployments.restart(deployment_id)

    # server life --------------------------------------------------------------------------

    def recover(self) -> None:
        """After a crash: what was active when the server died failed; every process a dead
        server left behind is ended, found by its marker (also one whose pid was never stored),
        and no workload's key works any more."""
        self.store.revoke_workload_keys()
        stamp = now()
        processes.kill_marked(set().union(*(kind.markers() for kind in self._kinds)))
        for kind in self._kinds:
            kind.recover(stamp)

    def shutdown(self) -> None:
        """Clean stop: every run, application and deployment is stopped, processes ended."""
        stopped = [(kind, id_) for kind in self._kinds for id_ in kind.close()]
        for kind, id_ in stopped:
            kind.join(id_)
