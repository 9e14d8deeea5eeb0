"""Model deployments: pending (while their build still builds) -> deploying -> deployed, served
by a model worker (`cml_magic.local.model_worker`) until stopped."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from cml_magic.local import ids, processes, sandbox
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import ZERO_TIME, now
from cml_magic.local.workloads.base import POLL_SECONDS, WORKER_START_SECONDS, Workloads
from cml_magic.local.workloads.builds import BUILD_ACTIVE

DEPLOYMENT_ACTIVE = ("pending", "deploying", "deployed", "stopping")


class Deployments(Workloads):
    kind = "deployment"
    prefix = "deployment"
    active = DEPLOYMENT_ACTIVE

    def create(self, build: Doc, username: str, options: dict[str, Any]) -> Doc:
        """Record a deployment of `build` in `pending` and start its model worker."""
        stamp = now()
        dep_id = ids.uuid_id()
        doc = {
            "id": dep_id,
            "project_id": build["project_id"],
            "model_id": build["model_id"],
            "build_id": build["id"],
            "cpu": options.get("cpu") or 1.0,
            "memory": options.get("memory") or 2.0,
            "nvidia_gpu": options.get("nvidia_gpus") or 0,
            "replicas": options.get("replicas") or 1,
            "environment": options.get("environment") or {},
            "creator": username,
            "created_at": stamp,
            "updated_at": stamp,
            "stopped_at": ZERO_TIME,
            "status": "pending",
            "crn": build["crn"].rsplit("/build/", 1)[0] + f"/deployment/{dep_id}",
        }
        self.store.put("deployment", doc)
        self._begin_walk(dep_id)
        return doc

    def start(self, deployment_id: str) -> Doc | None:
        """Start an existing deployment again (restart)."""
        dep = self.store.patch(
            "deployment", deployment_id, status="pending", updated_at=now(), stopped_at=ZERO_TIME
        )
        self._begin_walk(deployment_id)
        return dep

    def stop(self, deployment_id: str, wait: bool = False) -> Doc | None:
        """Ask a deployment to stop (`wait`: until it has); None for an unknown one."""
        dep = self.store.get("deployment", deployment_id)
        if dep is None:
            return None
        if dep["status"] in DEPLOYMENT_ACTIVE:
            dep = self.store.patch("deployment", deployment_id, status="stopping", updated_at=now())
            self._signal_stop(deployment_id)
        if wait:
            self.join(deployment_id)
            dep = self.store.get("deployment", deployment_id)
        return dep

    def restart(self, deployment_id: str) -> Doc | None:
        self.stop(deployment_id, wait=True)
        return self.start(deployment_id)

    def _crashed(self, dep_id: str) -> None:
        self.store.patch("deployment", dep_id, status="failed", updated_at=now(), port=None)

    def _stopped(self, dep_id: str) -> None:
        self.store.patch("deployment", dep_id, status="stopping", updated_at=now())
        time.sleep(self.settings.phase_delay)
        stamp = now()
        self.store.patch(
            "deployment", dep_id, status="stopped", stopped_at=stamp, updated_at=stamp, port=None
        )

    def _build_done(self, build_id: str, stop: threading.Event) -> bool | None:
        """Wait while the build builds: True once built, False if it failed, None on a stop."""
        while True:
            build = self.store.get("build", build_id)
            if build is None or build["status"] not in BUILD_ACTIVE:
                return build is not None and build["status"] == "built"
            if stop.wait(POLL_SECONDS):
                return None

    def _phases(self, dep_id: str, stop: threading.Event) -> None:
        pending = self.store.get("deployment", dep_id)
        assert pending is not None
        built = self._build_done(pending["build_id"], stop)  # stays `pending` meanwhile
        if built is None:
            return self._stopped(dep_id)
        if not built:
            self.store.patch("deployment", dep_id, status="failed", updated_at=now())
            return None
        if self._pause(stop):
            return self._stopped(dep_id)
        self._advance(dep_id, "stopping", status="deploying", updated_at=now())
        dep = self.store.get("deployment", dep_id)
        assert dep is not None
        folder = self.project_dir(dep["project_id"])
        port_file = folder / ".cml" / "deployments" / f"{dep_id}.port"
        port_file.unlink(missing_ok=True)
        proc = self._launch_worker(dep, folder / ".cml" / "deployments" / f"{dep_id}.log")
        started = time.monotonic()
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() - started > WORKER_START_SECONDS:
                processes.end(proc)
                self.store.patch(
                    "deployment", dep_id, status="failed", updated_at=now(), pid=None, pgid=None
                )
                return None
            if stop.wait(POLL_SECONDS):
                processes.end(proc)
                return self._stopped(dep_id)
        if self._pause(stop):
            processes.end(proc)
            return self._stopped(dep_id)
        port = int(port_file.read_text().strip())
        self._advance(dep_id, "stopping", status="deployed", updated_at=now(), port=port)
        while proc.poll() is None:
            if stop.wait(POLL_SECONDS):
                processes.end(proc)
                return self._stopped(dep_id)
        self.store.patch("deployment", dep_id, status="failed", updated_at=now(), port=None)
        return None

    def _launch_worker(self, dep: Doc, log_path: Path) -> processes.Child:
        """Start the model worker of `dep`: it writes its port to `<id>.port` once serving."""
        build = self.store.get("build", dep["build_id"])
        project = self.store.get("project", dep["project_id"])
        user = self.store.user(dep["creator"])
        assert build is not None and project is not None and user is not None
        env = self.environment(
            project,
            user,
            dep.get("environment"),
            engine_id=ids.run_id(),
            keys=self._workload_keys(user["username"], dep["id"]),
        )
        inside = self.workdir(project["id"])
        cmd = [
            sys.executable,
            "-m",
            "cml_magic.local.model_worker",
            "--file",
            str(inside / build["file_path"]),
            "--function",
            build["function_name"],
            "--port-file",
            str(inside / ".cml" / "deployments" / f"{dep['id']}.port"),
        ]
        # The package is mounted read-only at its own path in the sandbox.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(sandbox.package_folder().parent), env.get("PYTHONPATH")) if p
        )
        return self._launch(
            dep["id"],
            project["id"],
            cmd,
            env,
            log_path,
            lambda proc: self.store.patch("deployment", dep["id"], pid=proc.pid, pgid=proc.pgid),
        )

    def _orphaned(self, status: str, stamp: str) -> dict[str, Any]:
        final = "stopped" if status == "stopping" else "failed"
        return {"status": final, "stopped_at": stamp, "updated_at": stamp, "port": None}
