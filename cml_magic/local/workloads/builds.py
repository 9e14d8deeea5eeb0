"""Model builds: pending -> queued -> pushing -> built (or build failed), the build being a
check, in a child Python, that the model's file defines its function; a build asked to deploy
itself starts its deployment once built."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from cml_magic.local import ids, processes
from cml_magic.local.scripts import path_problem
from cml_magic.local.store import Doc, Store
from cml_magic.local.timeutil import now
from cml_magic.local.workloads.base import (
    WORKER_START_SECONDS,
    Settings,
    Workloads,
    append_to_log,
)

BUILD_ACTIVE = ("pending", "queued", "pushing")

# Imports the model's file (argv[1]) and checks that it defines the function (argv[2]).
CHECK = (
    "import runpy, sys\n"
    "ns = runpy.run_path(sys.argv[1], run_name='cml_model')\n"
    "fn = ns.get(sys.argv[2])\n"
    "if not callable(fn):\n"
    "    sys.exit(f'function {sys.argv[2]!r} not found in {sys.argv[1]}')\n"
    "print(f'found {sys.argv[2]} in {sys.argv[1]}')\n"
)

# How a built build is deployed: (build, username, the deployment's options) -> the deployment.
Deploy = Callable[[Doc, str, dict[str, Any]], Doc]


class Builds(Workloads):
    kind = "build"
    prefix = "build"
    active = BUILD_ACTIVE

    def __init__(self, store: Store, settings: Settings, deploy: Deploy) -> None:
        super().__init__(store, settings)
        self._deploy = deploy

    def start(self, build_id: str) -> None:
        """Walk a recorded build (in `pending`) to built or build failed."""
        self._begin_walk(build_id)

    def _crashed(self, build_id: str) -> None:
        self.store.patch("build", build_id, status="build failed", updated_at=now())

    def _phases(self, build_id: str, stop: threading.Event) -> None:
        self._pause(stop)
        self.store.patch("build", build_id, status="queued", updated_at=now())
        build = self.store.get("build", build_id)
        assert build is not None
        ok = self._check_model_function(build)
        if ok:
            # CML pushes the built image before calling the build done.
            self.store.patch("build", build_id, status="pushing", updated_at=now())
            self._pause(stop)
        stamp = now()
        if ok:
            built = self.store.patch(
                "build", build_id, status="built", built_at=stamp, updated_at=stamp
            )
            if built is not None and built.get("auto_deploy") is not None:
                self._deploy(built, built["creator"], built["auto_deploy"])
        else:
            self.store.patch("build", build_id, status="build failed", updated_at=stamp)

    def _check_model_function(self, build: Doc) -> bool:
        """Import the build's file in a child Python and check that the function exists."""
        folder = self.project_dir(build["project_id"])
        log_path = folder / ".cml" / "builds" / f"{build['id']}.log"
        project = self.store.get("project", build["project_id"])
        user = self.store.user(build["creator"])
        if project is None or user is None or path_problem(folder, build["file_path"]):
            append_to_log(
                log_path, f"cml-local: file {build['file_path']!r} not found in project\n"
            )
            return False
        script = self.workdir(project["id"]) / build["file_path"]
        env = self.environment(
            project,
            user,
            engine_id=ids.run_id(),
            keys=self._workload_keys(user["username"], build["id"]),
        )
        proc = self._launch(
            build["id"],
            project["id"],
            [sys.executable, "-c", CHECK, str(script), build["function_name"]],
            env,
            log_path,
            lambda proc: self.store.patch("build", build["id"], pid=proc.pid, pgid=proc.pgid),
        )
        try:
            return proc.wait(WORKER_START_SECONDS) == 0
        except subprocess.TimeoutExpired:
            append_to_log(log_path, "cml-local: build timed out\n")
            return False
        finally:
            processes.end(proc)
            self.store.patch("build", build["id"], pid=None, pgid=None)

    def _orphaned(self, status: str, stamp: str) -> dict[str, Any]:
        return {"status": "build failed", "updated_at": stamp}
