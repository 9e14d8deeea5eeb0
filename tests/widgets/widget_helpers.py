"""Small helpers for the widget tests: bounded waits, a recording listener, a quick client and a
record of the run logs a client downloads."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from cml_magic.api import CML


def wait_for(
    condition: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "",
    show: Callable[[], Any] | None = None,
) -> Any:
    """Poll `condition` every 20 ms until it is truthy; fail after `timeout` seconds, saying
    what was awaited and (with `show`) what was seen instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"; seen: {show()!r}" if show else ""
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or condition}{seen}"
            )
        time.sleep(0.02)


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


def client(server: Any, project: str | None = "risk-analysis") -> CML:
    """A client that gives up quickly when the server is away (the poller retries, not it)."""
    return CML(
        host=server.url,
        api_key=server.api_key,
        project=project,
        timeout=5.0,
        max_retries=1,
        backoff=0.05,
        max_backoff=0.1,
    )


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
