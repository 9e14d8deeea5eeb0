"""Blocking waits with one line of text progress, and Ctrl-C that stops the work.

Used by `--wait` (and by `--watch` where no widget can be shown).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


class ProgressLine:
    """One status line rewritten in place with a carriage return."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self._width = 0
        self._last = ""

    def update(self, status: str) -> None:
        """Show `status` and the time since the wait began."""
        elapsed = int(time.monotonic() - self.started)
        text = f"{self.label}: {status} ({elapsed // 60}m{elapsed % 60:02d}s)"
        if text == self._last:
            return
        self._last = text
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        """End the line so later output starts on a fresh one."""
        if self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0


@contextmanager
def stop_on_interrupt(label: str, stop: Callable[[], Any] | None) -> Iterator[None]:
    """On Ctrl-C inside the block: stop the work when it can be stopped (a run, a
    deployment), say what happened, and let the KeyboardInterrupt go on up."""
    try:
        yield
    except KeyboardInterrupt:
        if stop is None:
            print(f"Interrupted: stopped waiting; {label} goes on in CML (it cannot be stopped).")
            raise
        try:
            stopped = stop()
        except Exception as exc:  # noqa: BLE001 - the interrupt matters more than this error
            print(f"Interrupted, but {label} could not be stopped: {exc}")
            raise KeyboardInterrupt from None
        status = getattr(stopped, "status", "")
        print(f"Interrupted: asked CML to stop {label}" + (f" (now {status})." if status else "."))
        raise


def wait_with_progress(
    wait: Callable[..., T],
    target: T,
    label: str,
    *,
    timeout: float | None,
    poll_interval: float,
    stop: Callable[[], object] | None,
) -> T:
    """Call `wait(target, timeout=, poll_interval=, on_status=)`, showing each status on
    one line; Ctrl-C stops the work (see `stop_on_interrupt`)."""
    line = ProgressLine(label)
    line.update(str(getattr(target, "status", "") or "waiting"))
    with stop_on_interrupt(label, stop):
        try:
            result = wait(
                target,
                timeout=timeout,
                poll_interval=poll_interval,
                on_status=lambda now: line.update(str(getattr(now, "status", now))),
            )
        except BaseException:
            line.close()  # the messages that follow start on a line of their own
            raise
    line.update(str(getattr(result, "status", "done")))
    line.close()
    return result
