"""What every kind of workload shares: one thread per item walking its status machine (with a
configurable delay per phase so that watchers see each one), the workload's environment and
keys, and its processes held at the gate until they are recorded.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from cml_magic.local import processes, sandbox
from cml_magic.local.store import Doc, Store

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


def append_to_log(path: Path, text: str) -> None:
    """Add the server's own words to a workload's log (why it failed before or after running)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as log:
        log.write(text)


class Workloads(ABC):
    """One kind of workload: its items in the store, each walked by its own thread.

    An item's key, `<prefix>:<id>`, names its thread, marks its processes (so that a restarted
    server finds them) and owns its keys (revoked when the item ends)."""

    kind: ClassVar[str]  # the store's kind of document
    prefix: ClassVar[str]
    active: ClassVar[tuple[str, ...]]  # statuses whose walk has not ended
    shutdown_status: ClassVar[str | None] = None  # shown at once when the server stops the item

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.closing = False
        self._stops: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def key(self, id_: str) -> str:
        return f"{self.prefix}:{id_}"

    # the walk ----------------------------------------------------------------------------

    @abstractmethod
    def _phases(self, id_: str, stop: threading.Event) -> None:
        """Walk item `id_` through its statuses to a final one (early when `stop` is set)."""

    @abstractmethod
    def _crashed(self, id_: str) -> None:
        """Give item `id_` its failed status after a bug in `_phases`."""

    def _begin_walk(self, id_: str) -> None:
        """Start the thread walking item `id_`."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self._walk, args=(id_, stop), name=self.key(id_), daemon=True
        )
        with self._lock:
            self._stops[id_] = stop
            self._threads[id_] = thread
        thread.start()

    def _walk(self, id_: str, stop: threading.Event) -> None:
        try:
            self._phases(id_, stop)
        except Exception as exc:  # a bug here must not leave the item active forever
            self._crashed(id_)
            print(f"cml-local: {self.kind} {id_} failed internally: {exc!r}", file=sys.stderr)
        finally:
            self._forget(id_)

    def _signal_stop(self, id_: str) -> None:
        with self._lock:
            stop = self._stops.get(id_)
        if stop is not None:
            stop.set()

    def join(self, id_: str, timeout: float = 10.0) -> None:
        """Wait for the walk of item `id_` to end (not from that walk's own thread)."""
        with self._lock:
            thread = self._threads.get(id_)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _forget(self, id_: str) -> None:
        """Item `id_` ended: its keys stop working (a key in its log is dead)."""
        self.store.revoke_keys(self.key(id_))
        with self._lock:
            self._stops.pop(id_, None)
            self._threads.pop(id_, None)

    def _advance(self, id_: str, stopping: str, **fields: Any) -> None:
        """Move to the next phase, unless a stop arrived meanwhile: then only the other
        fields change and the `stopping` status stays (the walker ends the item next)."""

        def change(doc: Doc) -> None:
            if doc.get("status") == stopping:
                fields.pop("status", None)
            doc.update(fields)

        self.store.update(self.kind, id_, change)

    def _pause(self, stop: threading.Event) -> bool:
        """Wait one phase; True when a stop was asked for meanwhile."""
        return stop.wait(self.settings.phase_delay)

    # what a workload runs with -----------------------------------------------------------

    def project_dir(self, project_id: str) -> Path:
        return self.store.projects_dir / project_id

    def workdir(self, project_id: str) -> PurePosixPath:
        """The project folder as its workloads see it: /home/cdsw in the sandbox."""
        if self.settings.sandbox is not None:
            return PurePosixPath(sandbox.HOME)
        return PurePosixPath(self.project_dir(project_id))

    def _workload_keys(self, username: str, id_: str) -> dict[str, str]:
        """Keys acting as `username`, valid until item `id_` ends and `_forget` revokes them."""
        return self.store.mint_workload_keys(username, self.key(id_))

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

    def _launch(
        self,
        id_: str,
        project_id: str,
        cmd: list[str],
        env: dict[str, str],
        log_path: Path,
        record: Callable[[processes.Child], object],
    ) -> processes.Child:
        """Start a process of item `id_` in its project, held at its gate (see
        `processes.spawn`) until `record` has stored its pid and group, then let it run."""
        proc = processes.spawn(
            cmd, self.project_dir(project_id), env, log_path, self.key(id_), self.settings.sandbox
        )
        try:
            record(proc)
        except BaseException:
            processes.end(proc)  # not recorded: it must not run
            raise
        proc.release()
        return proc

    # server life -------------------------------------------------------------------------

    @abstractmethod
    def _orphaned(self, status: str, stamp: str) -> dict[str, Any]:
        """The fields, beyond pid and group, of an item left in `status` by a dead server."""

    def markers(self) -> set[str]:
        """The marker of every item's processes, running or not (see `processes.kill_marked`)."""
        return {self.key(doc["id"]) for doc in self.store.find(self.kind)}

    def recover(self, stamp: str) -> None:
        """After a crash (its processes ended): every item still active ends, as of `stamp`."""
        for doc in self.store.find(self.kind):
            if doc["status"] in self.active:
                fields = self._orphaned(doc["status"], stamp)
                self.store.patch(self.kind, doc["id"], **fields, pid=None, pgid=None)

    def close(self) -> list[str]:
        """Ask every walk to stop, for good: answers the items stopped (to `join`)."""
        self.closing = True
        with self._lock:
            walking = list(self._stops)
        for id_ in walking:
            if self.shutdown_status is not None:
                with contextlib.suppress(Exception):
                    self.store.patch(self.kind, id_, status=self.shutdown_status)
            self._signal_stop(id_)
        return walking
