"""Bounded waits: poll a condition every 20 ms and fail, saying what was awaited, at a deadline.

A deadline bounds a wait so that a broken change fails instead of hanging; it never judges speed
(speed lives in bench/).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cml_magic.api.statuses import RUN

WAIT_SECONDS = 30.0
RUN_FINAL = RUN.final
_STEP = 0.02


def wait_for(
    check: Callable[[], Any],
    what: str = "",
    timeout: float = 20.0,
    show: Callable[[], Any] | None = None,
) -> Any:
    """`check()` until it returns something truthy (returned); fail after `timeout` seconds,
    saying `what` was awaited and (with `show`) what was seen instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"; seen: {show()!r}" if show else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}{seen}")
        time.sleep(_STEP)


def wait_status(
    read: Callable[[], dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    timeout: float = WAIT_SECONDS,
) -> tuple[dict[str, Any], list[str]]:
    """`read()` until `done(item)`; returns the item and every `status` seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        item = read()
        if not seen or seen[-1] != item["status"]:
            seen.append(item["status"])
        if done(item):
            return item, seen
        if time.monotonic() > deadline:
            raise AssertionError(f"still {item['status']} after {timeout} s (seen {seen})")
        time.sleep(_STEP)
