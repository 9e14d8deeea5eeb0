"""Applications: long-running scripts serving on a port of their own, APPLICATION_STARTING ->
APPLICATION_RUNNING until stopped (or until the script ends)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from cml_magic.local import ids, processes
from cml_magic.local.scripts import path_problem
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import ZERO_TIME, now
from cml_magic.local.workloads.base import POLL_SECONDS, Workloads, append_to_log

APP_ACTIVE = ("APPLICATION_STARTING", "APPLICATION_RUNNING", "APPLICATION_STOPPING")


class Applications(Workloads):
    kind = "application"
    prefix = "app"
    active = APP_ACTIVE

    def start(self, app_id: str) -> Doc | None:
        """Move an application to APPLICATION_STARTING and launch it."""
        app = self.store.patch(
            "application",
            app_id,
            status="APPLICATION_STARTING",
            starting_at=now(),
            running_at=ZERO_TIME,
            stopped_at=ZERO_TIME,
        )
        self._begin_walk(app_id)
        return app

    def stop(self, app_id: str, wait: bool = False) -> Doc | None:
        """Ask an application to stop (`wait`: until it has); None for an unknown one."""
        app = self.store.get("application", app_id)
        if app is None:
            return None
        if app["status"] in APP_ACTIVE:
            app = self.store.patch("application", app_id, status="APPLICATION_STOPPING")
            self._signal_stop(app_id)
        if wait:
            self.join(app_id)
            app = self.store.get("application", app_id)
        return app

    def restart(self, app_id: str) -> Doc | None:
        self.stop(app_id, wait=True)
        return self.start(app_id)

    def _crashed(self, app_id: str) -> None:
        self._finish(app_id, "APPLICATION_FAILED")

    def _phases(self, app_id: str, stop: threading.Event) -> None:
        if self._pause(stop):
            return self._finish(app_id, "APPLICATION_STOPPED")
        app = self.store.get("application", app_id)
        assert app is not None
        project = self.store.get("project", app["project_id"])
        user = self.store.user(app["creator"])
        folder = self.project_dir(app["project_id"])
        log_path = folder / ".cml" / "applications" / f"{app_id}.log"
        if project is None or user is None or path_problem(folder, app["script"]) is not None:
            append_to_log(log_path, f"cml-local: script {app['script']!r} not found in project\n")
            return self._finish(app_id, "APPLICATION_FAILED")
        port = _free_port()
        engine_id = ids.run_id()
        env = self.environment(
            project,
            user,
            app.get("environment"),
            {"CDSW_APP_PORT": str(port), "CDSW_READONLY_PORT": str(port)},
            engine_id=engine_id,
            keys=self._workload_keys(user["username"], app_id),
        )
        env["CDSW_PUBLIC_PORT"] = str(port)
        script = self.workdir(project["id"]) / app["script"]

        def record(proc: processes.Child) -> None:
            self._advance(
                app_id,
                "APPLICATION_STOPPING",
                status="APPLICATION_RUNNING",
                running_at=now(),
                pid=proc.pid,
                pgid=proc.pgid,
                port=port,
            )

        proc = self._launch(
            app_id, project["id"], processes.command_for(script, ""), env, log_path, record
        )
        while proc.poll() is None:
            if stop.wait(POLL_SECONDS):
                processes.end(proc)
                time.sleep(self.settings.phase_delay)  # STOPPING stays visible for a phase
                return self._finish(app_id, "APPLICATION_STOPPED")
        processes.end(proc)
        self._finish(
            app_id, "APPLICATION_STOPPED" if proc.returncode == 0 else "APPLICATION_FAILED"
        )

    def _finish(self, app_id: str, status: str) -> None:
        self.store.patch(
            "application", app_id, status=status, stopped_at=now(), pid=None, pgid=None
        )

    def _orphaned(self, status: str, stamp: str) -> dict[str, Any]:
        final = "APPLICATION_STOPPED" if status == "APPLICATION_STOPPING" else "APPLICATION_FAILED"
        return {"status": final, "stopped_at": stamp}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
