"""The work behind runs, applications, model builds and deployments: one thread per item
walks CML's status machine, with a configurable delay per phase so that watchers see each one.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cml_magic.local import ids, processes, sandbox
from cml_magic.local.errors import precondition
from cml_magic.local.scripts import path_problem
from cml_magic.local.store import Doc, Store
from cml_magic.local.timeutil import ZERO_TIME, now

RUN_ACTIVE = ("ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING", "ENGINE_STOPPING")
APP_ACTIVE = ("APPLICATION_STARTING", "APPLICATION_RUNNING", "APPLICATION_STOPPING")
BUILD_ACTIVE = ("pending", "queued", "pushing")
DEPLOYMENT_ACTIVE = ("pending", "deploying", "deployed", "stopping")

POLL_SECONDS = 0.05
WORKER_START_SECONDS = 20.0

# What a workload takes from the operator's environment: the command search path, locale, time
# zone and terminal. Nothing else (keys, cloud credentials, PYTHONPATH) reaches it.
OPERATOR_VARIABLES = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
OPERATOR_PREFIXES = ("LC_",)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def operator_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The allowed part of the operator's environment, PATH led by the server Python's folder
    (so `python` in a shell script is the Python `.py` scripts run with)."""
    kept = {
        k: v
        for k, v in environ.items()
        if k in OPERATOR_VARIABLES or k.startswith(OPERATOR_PREFIXES)
    }
    runtime = str(Path(sys.executable).parent)
    kept["PATH"] = os.pathsep.join([runtime, kept.get("PATH") or DEFAULT_PATH])
    return kept


@dataclass
class Settings:
    """How the server runs work."""

    phase_delay: float = 0.3
    base_url: str = "http://127.0.0.1"
    default_env: dict[str, str] = field(default_factory=dict)
    # None: workloads run unconfined (`serve --unsandboxed`, or no bubblewrap).
    sandbox: sandbox.Sandbox | None = None


class Supervisor:
    """Owns every child process and the thread watching it."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._stops: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closing = False

    # shared helpers --------------------------------------------------------------------------

    def project_dir(self, project_id: str) -> Path:
        return self.store.projects_dir / project_id

    def workdir(self, project_id: str) -> PurePosixPath:
        """The project folder as its workloads see it: /home/cdsw in the sandbox."""
        if self.settings.sandbox is not None:
            return PurePosixPath(sandbox.HOME)
        return PurePosixPath(self.project_dir(project_id))

    def _launch(
        self, project_id: str, cmd: list[str], env: dict[str, str], log_path: Path, marker: str
    ) -> processes.Child:
        """Start a workload of the project, held at its gate (see `processes.spawn`)."""
        return processes.spawn(
            cmd, self.project_dir(project_id), env, log_path, marker, self.settings.sandbox
        )

    def _start(self, key: str, target: Any, *args: Any) -> None:
        stop = threading.Event()
        thread = threading.Thread(target=target, args=(*args, stop), name=key, daemon=True)
        with self._lock:
            self._stops[key] = stop
            self._threads[key] = thread
        thread.start()

    def _signal_stop(self, key: str) -> None:
        with self._lock:
            stop = self._stops.get(key)
        if stop is not None:
            stop.set()

    def _join(self, key: str, timeout: float = 10.0) -> None:
        with self._lock:
            thread = self._threads.get(key)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _forget(self, key: str) -> None:
        """The workload `key` ended: its keys stop working (a key in its log is dead)."""
        self.store.revoke_keys(key)
        with self._lock:
            self._stops.pop(key, None)
            self._threads.pop(key, None)

    def _advance(self, kind: str, id_: str, stopping: str, **fields: Any) -> None:
        """Move to the next phase, unless a stop arrived meanwhile: then only the other
        fields change and the `stopping` status stays (the walker ends the item next)."""

        def change(doc: Doc) -> None:
            if doc.get("status") == stopping:
                fields.pop("status", None)
            doc.update(fields)

        self.store.update(kind, id_, change)

    def _pause(self, stop: threading.Event) -> bool:
        """Wait one phase; True when a stop was asked for meanwhile."""
        return stop.wait(self.settings.phase_delay)

    def _workload_keys(self, username: str, owner: str) -> dict[str, str]:
        """Keys acting as `username`, valid until the workload `owner` (its supervisor key,
        e.g. `run:<id>`) ends and `_forget` revokes them."""
        return self.store.mint_workload_keys(username, owner)

    def environment(
        self,
        project: Doc,
        user: dict[str, str],
        *layers: dict[str, str] | None,
        engine_id: str,
        keys: dict[str, str],
    ) -> dict[str, str]:
        """Allowed operator variables < CML's own variables < server defaults < project < each
        later layer. Never the rest of the operator's environment.

        `keys` are the workload's own (`_workload_keys`), revoked when the workload ends."""
        base = self.settings.base_url
        domain = urllib.parse.urlsplit(base).netloc
        home = str(self.workdir(project["id"]))
        env = operator_variables(os.environ)
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "HOME": home,
                "PWD": home,
                "CDSW_PROJECT_ID": project["id"],
                "CDSW_PROJECT": project["slug"],
                "CDSW_PROJECT_URL": f"{base}/api/v1/projects/{project['owner']}/{project['slug']}",
                "CDSW_ENGINE_ID": engine_id,
                "CDSW_API_URL": f"{base}/api/v1",
                "CDSW_DOMAIN": domain,
                # The network is the host's: a workload listens and is reached on loopback.
                "CDSW_IP_ADDRESS": "127.0.0.1",
                "CDSW_APIV2_KEY": keys["api_key"],
                "CDSW_API_KEY": keys["legacy_key"],
                "HOSTNAME": engine_id,
                "CDSW_USER": user["username"],
                "HADOOP_USER_NAME": user["username"],
                "PROJECT_OWNER": project["owner"],
            }
        )
        env.update(self.settings.default_env)
        env.update(project.get("environment") or {})
        for layer in layers:
            env.update(layer or {})
        return env

    # job runs --------------------------------------------------------------------------------

    def create_run(
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
        self._start("run:" + run["id"], self._walk_run, run["id"])
        return run

    def stop_run(self, run: Doc) -> Doc:
        """Ask a run to stop: it answers ENGINE_STOPPING, later ENGINE_STOPPED."""
        with self.store.transaction():
            current = self.store.get("run", run["id"]) or run
            if current["status"] not in RUN_ACTIVE:
                raise precondition(f"run {run['id']} is not active (status {current['status']})")
            if current["status"] != "ENGINE_STOPPING":
                current = self.store.patch("run", run["id"], status="ENGINE_STOPPING") or current
        self._signal_stop("run:" + run["id"])
        return current

    def _walk_run(self, run_id: str, stop: threading.Event) -> None:
        try:
            self._walk_run_phases(run_id, stop)
        except Exception as exc:  # a bug here must not leave the run "running" forever
            self._finish_run(run_id, "ENGINE_FAILED")
            print(f"cml-local: run {run_id} failed internally: {exc!r}", file=sys.stderr)
        finally:
            self._forget("run:" + run_id)

    def _walk_run_phases(self, run_id: str, stop: threading.Event) -> None:
        if self._pause(stop):
            return self._stopped_run(run_id)
        created = self.store.get("run", run_id)
        assert created is not None
        # Minted as the run starts: from here to its pid, the run writes nothing else.
        keys = self._workload_keys(created["creator"], "run:" + run_id)
        self._advance("run", run_id, "ENGINE_STOPPING", status="ENGINE_STARTING", starting_at=now())
        if self._pause(stop):
            return self._stopped_run(run_id)

        run = self.store.get("run", run_id)
        assert run is not None
        job = self.store.get("job", run["job_id"])
        project = self.store.get("project", run["project_id"])
        user = self.store.user(run["creator"])
        folder = self.project_dir(run["project_id"])
        log_path = folder / ".cml" / "runs" / f"{run_id}.log"
        if job is None or project is None or user is None:
            return self._finish_run(run_id, "ENGINE_FAILED")
        if path_problem(folder, job["script"]) is not None:
            _append(log_path, f"cml-local: script {job['script']!r} not found in project\n")
            return self._finish_run(run_id, "ENGINE_FAILED")
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
        # Arguments also arrive in JOB_ARGUMENTS; per-run overrides may not replace it.
        proc = self._launch(
            project["id"], processes.command_for(script, arguments), env, log_path, "run:" + run_id
        )
        try:
            self._advance(
                "run",
                run_id,
                "ENGINE_STOPPING",
                status="ENGINE_RUNNING",
                running_at=now(),
                pid=proc.pid,
                pgid=proc.pgid,
            )
        except BaseException:
            processes.end(proc)  # not recorded: it must not run
            raise
        proc.release()

        timeout = int(job.get("timeout") or 0)
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while proc.poll() is None:
            if stop.wait(POLL_SECONDS):
                processes.end(proc)
                return self._stopped_run(run_id)
            if deadline is not None and time.monotonic() > deadline:
                processes.end(proc)
                _append(log_path, f"cml-local: run timed out after {timeout} seconds\n")
                return self._finish_run(run_id, "ENGINE_TIMEDOUT")
        processes.end(proc)  # children the script left in its group
        status = "ENGINE_SUCCEEDED" if proc.returncode == 0 else "ENGINE_FAILED"
        self._finish_run(run_id, status)
        if status == "ENGINE_SUCCEEDED" and not self._closing:
            self._start_dependents(job, run["creator"])

    def _stopped_run(self, run_id: str) -> None:
        self.store.patch("run", run_id, status="ENGINE_STOPPING")
        time.sleep(self.settings.phase_delay)  # STOPPING stays visible for a phase
        self._finish_run(run_id, "ENGINE_STOPPED")

    def _finish_run(self, run_id: str, status: str) -> None:
        self.store.patch("run", run_id, status=status, finished_at=now(), pid=None, pgid=None)

    def _start_dependents(self, parent: Doc, username: str) -> None:
        for job in self.store.find("job", parent["project_id"], parent_id=parent["id"]):
            with contextlib.suppress(Exception):
                self.create_run(job, username)

    # applications ----------------------------------------------------------------------------

    def start_application(self, app_id: str) -> Doc | None:
        """Move an application to APPLICATION_STARTING and launch it."""
        app = self.store.patch(
            "application",
            app_id,
            status="APPLICATION_STARTING",
            starting_at=now(),
            running_at=ZERO_TIME,
            stopped_at=ZERO_TIME,
        )
        self._start("app:" + app_id, self._walk_application, app_id)
        return app

    def stop_application(self, app_id: str, wait: bool = False) -> Doc | None:
        app = self.store.get("application", app_id)
        if app is None:
            return None
        if app["status"] in APP_ACTIVE:
            app = self.store.patch("application", app_id, status="APPLICATION_STOPPING")
            self._signal_stop("app:" + app_id)
        if wait:
            self._join("app:" + app_id)
            app = self.store.get("application", app_id)
        return app

    def restart_application(self, app_id: str) -> Doc | None:
        self.stop_application(app_id, wait=True)
        return self.start_application(app_id)

    def _walk_application(self, app_id: str, stop: threading.Event) -> None:
        try:
            self._walk_application_phases(app_id, stop)
        except Exception as exc:
            self._finish_app(app_id, "APPLICATION_FAILED")
            print(f"cml-local: application {app_id} failed internally: {exc!r}", file=sys.stderr)
        finally:
            self._forget("app:" + app_id)

    def _walk_application_phases(self, app_id: str, stop: threading.Event) -> None:
        if self._pause(stop):
            return self._finish_app(app_id, "APPLICATION_STOPPED")
        app = self.store.get("application", app_id)
        assert app is not None
        project = self.store.get("project", app["project_id"])
        user = self.store.user(app["creator"])
        folder = self.project_dir(app["project_id"])
        log_path = folder / ".cml" / "applications" / f"{app_id}.log"
        if project is None or user is None or path_problem(folder, app["script"]) is not None:
            _append(log_path, f"cml-local: script {app['script']!r} not found in project\n")
            return self._finish_app(app_id, "APPLICATION_FAILED")
        port = _free_port()
        engine_id = ids.run_id()
        env = self.environment(
            project,
            user,
            app.get("environment"),
            {"CDSW_APP_PORT": str(port), "CDSW_READONLY_PORT": str(port)},
            engine_id=engine_id,
            keys=self._workload_keys(user["username"], "app:" + app_id),
        )
        env["CDSW_PUBLIC_PORT"] = str(port)
        script = self.workdir(project["id"]) / app["script"]
        proc = self._launch(
            project["id"], processes.command_for(script, ""), env, log_path, "app:" + app_id
        )
        try:
            self._advance(
                "application",
                app_id,
                "APPLICATION_STOPPING",
                status="APPLICATION_RUNNING",
                running_at=now(),
                pid=proc.pid,
                pgid=proc.pgid,
                port=port,
            )
        except BaseException:
            processes.end(proc)
            raise
        proc.release()
        while proc.poll() is None:
            if stop.wait(POLL_SECONDS):
                processes.end(proc)
                time.sleep(self.settings.phase_delay)  # STOPPING stays visible for a phase
                return self._finish_app(app_id, "APPLICATION_STOPPED")
        processes.end(proc)
        self._finish_app(
            app_id, "APPLICATION_STOPPED" if proc.returncode == 0 else "APPLICATION_FAILED"
        )

    def _finish_app(self, app_id: str, status: str) -> None:
        self.store.patch(
            "application", app_id, status=status, stopped_at=now(), pid=None, pgid=None
        )

    # model builds ----------------------------------------------------------------------------

    def start_build(self, build_id: str) -> None:
        self._start("build:" + build_id, self._walk_build, build_id)

    def _walk_build(self, build_id: str, stop: threading.Event) -> None:
        try:
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
                    self.create_deployment(built, built["creator"], built["auto_deploy"])
            else:
                self.store.patch("build", build_id, status="build failed", updated_at=stamp)
        except Exception as exc:
            self.store.patch("build", build_id, status="build failed", updated_at=now())
            print(f"cml-local: build {build_id} failed internally: {exc!r}", file=sys.stderr)
        finally:
            self._forget("build:" + build_id)

    def _check_model_function(self, build: Doc) -> bool:
        """Import the build's file in a child Python and check that the function exists."""
        folder = self.project_dir(build["project_id"])
        log_path = folder / ".cml" / "builds" / f"{build['id']}.log"
        check = (
            "import runpy, sys\n"
            "ns = runpy.run_path(sys.argv[1], run_name='cml_model')\n"
            "fn = ns.get(sys.argv[2])\n"
            "if not callable(fn):\n"
            "    sys.exit(f'function {sys.argv[2]!r} not found in {sys.argv[1]}')\n"
            "print(f'found {sys.argv[2]} in {sys.argv[1]}')\n"
        )
        project = self.store.get("project", build["project_id"])
        user = self.store.user(build["creator"])
        if project is None or user is None or path_problem(folder, build["file_path"]):
            _append(log_path, f"cml-local: file {build['file_path']!r} not found in project\n")
            return False
        script = self.workdir(project["id"]) / build["file_path"]
        env = self.environment(
            project,
            user,
            engine_id=ids.run_id(),
            keys=self._workload_keys(user["username"], "build:" + build["id"]),
        )
        proc = self._launch(
            project["id"],
            [sys.executable, "-c", check, str(script), build["function_name"]],
            env,
            log_path,
            "build:" + build["id"],
        )
        try:
            self.store.patch("build", build["id"], pid=proc.pid, pgid=proc.pgid)
        except BaseException:
            processes.end(proc)
            raise
        proc.release()
        try:
            return proc.wait(WORKER_START_SECONDS) == 0
        except subprocess.TimeoutExpired:
            _append(log_path, "cml-local: build timed out\n")
            return False
        finally:
            processes.end(proc)
            self.store.patch("build", build["id"], pid=None, pgid=None)

    # model deployments -----------------------------------------------------------------------

    def create_deployment(self, build: Doc, username: str, options: dict[str, Any]) -> Doc:
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
        self._start("deployment:" + dep_id, self._walk_deployment, dep_id)
        return doc

    def start_deployment(self, deployment_id: str) -> Doc | None:
        """Start an existing deployment again (restart)."""
        dep = self.store.patch(
            "deployment", deployment_id, status="pending", updated_at=now(), stopped_at=ZERO_TIME
        )
        self._start("deployment:" + deployment_id, self._walk_deployment, deployment_id)
        return dep

    def stop_deployment(self, deployment_id: str, wait: bool = False) -> Doc | None:
        dep = self.store.get("deployment", deployment_id)
        if dep is None:
            return None
        if dep["status"] in DEPLOYMENT_ACTIVE:
            dep = self.store.patch("deployment", deployment_id, status="stopping", updated_at=now())
            self._signal_stop("deployment:" + deployment_id)
        if wait:
            self._join("deployment:" + deployment_id)
            dep = self.store.get("deployment", deployment_id)
        return dep

    def restart_deployment(self, deployment_id: str) -> Doc | None:
        self.stop_deployment(deployment_id, wait=True)
        return self.start_deployment(deployment_id)

    def _walk_deployment(self, dep_id: str, stop: threading.Event) -> None:
        try:
            self._walk_deployment_phases(dep_id, stop)
        except Exception as exc:
            self.store.patch("deployment", dep_id, status="failed", updated_at=now(), port=None)
            print(f"cml-local: deployment {dep_id} failed internally: {exc!r}", file=sys.stderr)
        finally:
            self._forget("deployment:" + dep_id)

    def _stopped_deployment(self, dep_id: str) -> None:
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

    def _walk_deployment_phases(self, dep_id: str, stop: threading.Event) -> None:
        pending = self.store.get("deployment", dep_id)
        assert pending is not None
        built = self._build_done(pending["build_id"], stop)  # stays `pending` meanwhile
        if built is None:
            return self._stopped_deployment(dep_id)
        if not built:
            self.store.patch("deployment", dep_id, status="failed", updated_at=now())
            return None
        if self._pause(stop):
            return self._stopped_deployment(dep_id)
        self._advance("deployment", dep_id, "stopping", status="deploying", updated_at=now())
        dep = self.store.get("deployment", dep_id)
        assert dep is not None
        build = self.store.get("build", dep["build_id"])
        project = self.store.get("project", dep["project_id"])
        user = self.store.user(dep["creator"])
        assert build is not None and project is not None and user is not None
        folder = self.project_dir(dep["project_id"])
        log_path = folder / ".cml" / "deployments" / f"{dep_id}.log"
        port_file = folder / ".cml" / "deployments" / f"{dep_id}.port"
        port_file.unlink(missing_ok=True)
        env = self.environment(
            project,
            user,
            dep.get("environment"),
            engine_id=ids.run_id(),
            keys=self._workload_keys(user["username"], "deployment:" + dep_id),
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
            str(inside / ".cml" / "deployments" / f"{dep_id}.port"),
        ]
        # The package is mounted read-only at its own path in the sandbox.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(sandbox.package_folder().parent), env.get("PYTHONPATH")) if p
        )
        proc = self._launch(project["id"], cmd, env, log_path, "deployment:" + dep_id)
        try:
            self.store.patch("deployment", dep_id, pid=proc.pid, pgid=proc.pgid)
        except BaseException:
            processes.end(proc)
            raise
        proc.release()
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
                return self._stopped_deployment(dep_id)
        if self._pause(stop):
            processes.end(proc)
            return self._stopped_deployment(dep_id)
        port = int(port_file.read_text().strip())
        self._advance(
            "deployment", dep_id, "stopping", status="deployed", updated_at=now(), port=port
        )
        while proc.poll() is None:
            if stop.wait(POLL_SECONDS):
                processes.end(proc)
                return self._stopped_deployment(dep_id)
        self.store.patch("deployment", dep_id, status="failed", updated_at=now(), port=None)
        return None

    # server life -----------------------------------------------------------------------------

    def recover(self) -> None:
        """After a crash: what was active when the server died failed; every process a dead
        server left behind is ended, found by its marker (also one whose pid was never stored),
        and no workload's key works any more."""
        self.store.revoke_workload_keys()
        stamp = now()
        markers = {
            f"{prefix}:{doc['id']}"
            for kind, prefix in (
                ("run", "run"),
                ("application", "app"),
                ("build", "build"),
                ("deployment", "deployment"),
            )
            for doc in self.store.find(kind)
        }
        processes.kill_marked(markers)
        for run in self.store.find("run"):
            if run["status"] in RUN_ACTIVE:
                final = "ENGINE_STOPPED" if run["status"] == "ENGINE_STOPPING" else "ENGINE_FAILED"
                self.store.patch(
                    "run", run["id"], status=final, finished_at=stamp, pid=None, pgid=None
                )
        for app in self.store.find("application"):
            if app["status"] in APP_ACTIVE:
                final = (
                    "APPLICATION_STOPPED"
                    if app["status"] == "APPLICATION_STOPPING"
                    else "APPLICATION_FAILED"
                )
                self.store.patch(
                    "application", app["id"], status=final, stopped_at=stamp, pid=None, pgid=None
                )
        for build in self.store.find("build"):
            if build["status"] in BUILD_ACTIVE:
                self.store.patch(
                    "build",
                    build["id"],
                    status="build failed",
                    updated_at=stamp,
                    pid=None,
                    pgid=None,
                )
        for dep in self.store.find("deployment"):
            if dep["status"] in DEPLOYMENT_ACTIVE:
                final = "stopped" if dep["status"] == "stopping" else "failed"
                self.store.patch(
                    "deployment",
                    dep["id"],
                    status=final,
                    stopped_at=stamp,
                    updated_at=stamp,
                    pid=None,
                    pgid=None,
                    port=None,
                )

    def shutdown(self) -> None:
        """Clean stop: every run, application and deployment is stopped, processes ended."""
        self._closing = True
        with self._lock:
            keys = list(self._stops)
        for key in keys:
            kind, _, item = key.partition(":")
            if kind == "run":
                with contextlib.suppress(Exception):
                    self.store.patch("run", item, status="ENGINE_STOPPING")
            self._signal_stop(key)
        for key in keys:
            self._join(key)


def _append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as log:
        log.write(text)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
