"""For the widget tests: a poller listener that records what it is told, a record of the run
logs a client downloads, and a job made idle."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from cml_magic.api import CML


class Recorder:
    """A poller listener that remembers what it was told."""

    def __init__(self) -> None:
        self.updates: list[Any] = []
        self.troubles: list[tuple[str, float | None]] = []
        self.closed = False
        self.lock = threading.Lock()

    def update(self, obj: Any) -> None:
        with self.lock:
            self.updates.append(obj)

    def trouble(self, message: str, retry_in: float | None) -> None:
        with self.lock:
            self.troubles.append((message, retry_in))

    def alive(self) -> bool:
        return not self.closed


def idle_job(cml: CML, job: str = "nightly", project: str = "risk-analysis") -> None:
    """Stop and wait out any active run of `job`: CML runs a job at most once at a time, and
    the session's server is shared with other tests."""
    for run in cml.runs.list(job, project=project, limit=5):
        if run.finished:
            continue
        if run.status != "ENGINE_STOPPING":
            with contextlib.suppress(Exception):  # it may have ended meanwhile
                cml.runs.stop(run.id, job, project=project)
        cml.wait_for_run(run, timeout=30, poll_interval=0.05)


def log_downloads(cml: CML) -> list[str]:
    """The URLs of the run logs `cml` downloads from now on (the poller's thread included)."""
    urls: list[str] = []

    def seen(response: Any, *args: Any, **kwargs: Any) -> None:
        if ":download" in response.url:
            urls.append(response.url)

    cml.transport.session.hooks["response"].append(seen)
    return urls
