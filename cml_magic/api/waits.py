"""Waiting for a run, build or deployment to finish, polling its status."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from cml_magic.api.errors import WaitTimeout

T = TypeVar("T")


def wait_until(
    obj: T,
    fetch: Callable[[T], T],
    finished: Callable[[T], bool],
    *,
    what: str,
    timeout: float | None = None,
    poll_interval: float = 2.0,
    on_status: Callable[[T], object] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Poll `fetch(obj)` every `poll_interval` seconds until `finished`; return the last object.

    `on_status` is called with the object after every poll (and once at the start).
    Raises `WaitTimeout` (with `.last`) when `timeout` seconds pass first.
    """
    if poll_interval <= 0:
        raise ValueError("poll_interval must be positive")
    deadline = None if timeout is None else time.monotonic() + timeout
    current = obj
    if on_status is not None:
        on_status(current)
    while not finished(current):
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                status = getattr(current, "status", "")
                raise WaitTimeout(
                    f"{what} still {status or 'unfinished'} after {timeout:g} s", current
                )
            sleep(min(poll_interval, remaining))
        else:
            sleep(poll_interval)
        current = fetch(current)
        if on_status is not None:
            on_status(current)
    return current
