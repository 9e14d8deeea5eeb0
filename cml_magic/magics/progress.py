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

BRIEF_POLL = 0.5  # seconds between looks during a short step (starting, stopping): it shows
TICK = 1.0  # seconds between two rewrites of the clock while no status comes


class ProgressLine:
    """One status line rewritten in place with a carriage return."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self._width = 0
        self._last = ""
        self._status = ""

    def update(self, status: str | None = None) -> None:
        """Show `status` (None: the last one again) and the time since the wait began."""
        status = self._status if status is None else status
        self._status = status
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


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a wait, already told in one line: IPython shows that line (or nothing
    more) instead of the traceback through the magic's frames. Still a KeyboardInterrupt,
    so the cell counts as interrupted and the cells queued after it do not run."""

    def __init__(self, message: str, printed: bool) -> None:
        super().__init__(message)
        self.message = message
        self.printed = printed

    def _render_traceback_(self) -> list[str]:
        """What IPython shows in place of a traceback (its hook for exceptions)."""
        return [] if self.printed else [self.message]


def _shown_by_kernel() -> bool:
    """True in a Jupyter kernel: it sends an exception to the front end, which shows at least
    one line for it (JupyterLab: the exception's name and message when there is no traceback),
    so the message goes there rather than being printed as well."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return type(get() if get else None).__name__ == "ZMQInteractiveShell"


def _interrupted(message: str) -> Interrupted:
    printed = not _shown_by_kernel()
    if printed:
        print(message)
    return Interrupted(message, printed)


@contextmanager
def stop_on_interrupt(label: str, stop: Callable[[], Any] | None) -> Iterator[None]:
    """On Ctrl-C inside the block: stop the work when it can be stopped (a run, a
    deployment), say what happened in one line, and raise `Interrupted` (no traceback)."""
    try:
        yield
    except KeyboardInterrupt:
        if stop is None:
            raise _interrupted(
                f"Interrupted: stopped waiting; {label} goes on in CML (it cannot be stopped)."
            ) from None
        try:
            stopped = stop()
        except Exception as exc:  # noqa: BLE001 - the interrupt matters more than this error
            raise _interrupted(f"Interrupted, but {label} could not be stopped: {exc}") from None
        status = getattr(stopped, "status", "")
        raise _interrupted(
            f"Interrupted: asked CML to stop {label}" + (f" (now {status})." if status else ".")
        ) from None


def wait_with_progress(
    fetch: Callable[[T], T],
    target: T,
    label: str,
    *,
    kind: str,
    timeout: float | None,
    poll_interval: float,
    stop: Callable[[], object] | None,
) -> T:
    """Poll `fetch(target)` until the `kind` item ("run", "build", "deployment") is finished,
    showing each status on one line whose clock moves every second; Ctrl-C stops the work
    (see `stop_on_interrupt`).

    Short steps (scheduling, starting, stopping) are looked at every `BRIEF_POLL` seconds at
    most, so that the line shows them rather than jumping from scheduling to running; long
    ones every `poll_interval`."""
    from cml_magic.api.statuses import of
    from cml_magic.api.waits import wait_until

    statuses = of(kind)
    line = ProgressLine(label)
    brief = [statuses.is_brief(getattr(target, "status", None))]

    def seen(now: T) -> None:
        brief[0] = statuses.is_brief(getattr(now, "status", None))
        line.update(str(getattr(now, "status", now)))

    def pause(seconds: float) -> None:
        if brief[0]:
            seconds = min(seconds, BRIEF_POLL)
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(TICK, left))
            line.update()  # the clock moves while the status stays

    line.update(str(getattr(target, "status", "") or "waiting"))
    with stop_on_interrupt(label, stop):
        try:
            result = wait_until(
                target,
                fetch,
                lambda item: bool(getattr(item, "finished", False)),
                what=f"{kind} {getattr(target, 'id', '')}",
                timeout=timeout,
                poll_interval=poll_interval,
                on_status=seen,
                sleep=pause,
            )
        except BaseException:
            line.close()  # the messages that follow start on a line of their own
            raise
    line.update(str(getattr(result, "status", "done")))
    line.close()
    return result
