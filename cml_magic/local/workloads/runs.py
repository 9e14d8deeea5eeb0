"""Job runs: ENGINE_SCHEDULING -> ENGINE_STARTING -> ENGINE_RUNNING -> a final status, one run
of a job at a time; a succeeded run starts the job's dependent jobs."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from cml_magic.local import ids, processes
from cml_magic.local.errors import precondition
from cml_magic.local.scripts import path_problem
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import ZERO_TIME, now
from cml_magic.local.workloads.base import POLL_SECONDS, Workloads, append_to_log

RUN_ACTIVE = ("ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING", "ENGINE_STOPPING")


class Runs(Workloads):
    kind = "run"
    prefix = "run"
    active = RUN_ACTIVE
    shutdown_status = "ENGINE_STOPPING"

    def create(
        self,
        job: Doc,
        username: str,
        environment: dict[str, str] | None = None,
        arguments: str | None = None,
    ) -> Doc:
        """Record a new run of `job` in ENGINE_SCHEDULING and start walking it."""
        with self.store.transaction():
            active = [
                r
                for r in self.store.find("run", job["project_id"], job_id=job["id"])
                if r["status"] in RUN_ACTIVE
            ]
            if active:
                raise precondition(
                    f"job {job['id']} already has an active run {active[0]['id']}"
                    " (a job runs at most once at a time); stop it or wait for it to finish"
                )
            stamp = now()
            run = {
                "id": ids.run_id(),
                "project_id": job["project_id"],
                "job_id": job["id"],
                "status": "ENGINE_SCHEDULING",
                "created_at": stamp,
                "scheduling_at": stamp,
                "starting_at": ZERO_TIME,
                "running_at": ZERO_TIME,
                "finished_at": ZERO_TIME,
                "kernel": job.get("kernel", ""),
                "cpu": job.get("cpu", 1),
                "memory": job.get("memory", 1),
                "nvidia_gpu": job.get("nvidia_gpu", 0),
                "arguments": arguments if arguments is not None else job.get("arguments", ""),
                "environment": environment,
                "creator": username,
                "runtime_identifier": job.get("runtime_identifier", ""),
            }
            self.store.put("run", run)
        self._begin_walk(run["id"])
        return run

    def stop(self, run: Doc) -> Doc:
        """Ask a run to stop: it answers ENGINE_STOPPING, later ENGINE_STOPPED."""
        with self.store.transaction():
            current = self.store.get("run", run["id"]) or run
            if current["status"] not in RUN_ACTIVE:
                raise precondition(f"run {run['id']} is not active (status {current['status']})")
            if current["status"] != "ENGINE_STOPPING":
                current = self.store.patch("run", run["id"], status="ENGINE_STOPPING") or current
        self._signal_stop(run["id"])
        return current

    def _crashed(self, run_id: str) -> None:
        self._finish(run_id, "ENGINE_FAILED")

    def _phases(self, run_id: str, stop: threading.Event) -> None:
        if self._pause(stop):
            return self._stopped(run_id)
        created = self.store.get("run", run_id)
        assert created is not None
        # Minted as the run starts: from here to its pid, the run writes nothing else.
        keys = self._workload_keys(created["creator"], run_id)
        self._advance(run_id, "ENGINE_STOPPING", status="ENGINE_STARTING", starting_at=now())
        if self._pause(stop):
            return self._stopped(run_id)

        run = self.store.get("run", run_id)
        assert run is not None
        job = self.store.get("job", run["job_id"])
        project = self.store.get("project", run["project_id"])
        user = self.store.user(run["creator"])
        folder = self.project_dir(run["project_id"])
        # The console stays with the server, as CML's does: the API reaches a run's output
        # only where the job saves it in the project itself (`cml_magic.runlog`).
        log_path = self.store.run_console(run_id)
        if job is None or project is None or user is None:
            return self._finish(run_id, "ENGINE_FAILED")
        if path_problem(folder, job["script"]) is not None:
            append_to_log(log_path, f"cml-local: script {job['script']!r} not found in project\n")
            return self._finish(run_id, "ENGINE_FAILED")
        script = self.workdir(project["id"]) / job["script"]
        arguments = run.get("arguments", "")
        env = self.environment(
            project,
            user,
            job.get("environment"),
            run.get("environment"),
            {"CDSW_JOB_ID": job["id"], "JOB_ARGUMENTS": arguments},
            engine_id=run_id,
            keys=keys,
        )

        def record(proc: processes.Child) -> None:
            self._advance(
                run_id,
                "ENGINE_STOPPING",
                status="ENGINE_RUNNING",
                running_at=now(),
                pid=proc.pid,
                pgid=proc.pgid,
            )

        # Arguments also arrive in JOB_ARGUMENTS; per-run overrides may not replace it.
        proc = self._launch(
            run_id, project["id"], processes.command_for(script, arguments), env, log_path, record
        )

        timeout = int(job.get("timeout") or 0)
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while proc.poll() is None:
            if stop.wait(POLL_SECONDS):
                processes.end(proc)
                return self._stopped(run_id)
            if deadline is not None and time.monotonic() > deadline:
                processes.end(proc)
                append_to_log(log_path, f"cml-local: run timed out after {timeout} seconds\n")
                return self._finish(run_id, "ENGINE_TIMEDOUT")
        processes.end(proc)  # children the script left in its group
        status = "ENGINE_SUCCEEDED" if proc.returncode == 0 else "ENGINE_FAILED"
        self._finish(run_id, status)
        if status == "ENGINE_SUCCEEDED" and not self.closing:
            self._start_dependents(job, run["creator"])

    def _stopped(self, run_id: str) -> None:
        self.store.patch("run", run_id, status="ENGINE_STOPPING")
        time.sleep(self.settings.phase_delay)  # STOPPING stays visible for a phase
        self._finish(run_id, "ENGINE_STOPPED")

    def _finish(self, run_id: str, status: str) -> None:
        self.store.patch("run", run_id, status=status, finished_at=now(), pid=None, pgid=None)

    def _start_dependents(self, parent: Doc, username: str) -> None:
        for job in self.store.find("job", parent["project_id"], parent_id=parent["id"]):
            with contextlib.suppress(Exception):
                self.create(job, username)

    def _orphaned(self, status: str, stamp: str) -> dict[str, Any]:
        final = "ENGINE_STOPPED" if status == "ENGINE_STOPPING" else "ENGINE_FAILED"
        return {"status": final, "finished_at": stamp}
