"""Text progress for where widgets are not drawn (terminal IPython, nbconvert, nbval).

One line when watching starts and one per status change, never more, so logs stay short. Lines
are printed from the poller's thread into the output of the cell that started the watch.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from cml_magic.api.masking import mask_text
from cml_magic.api.run_objects import JobRun
from cml_magic.widgets.controller import Controller, Watched, kind_of
from cml_magic.widgets.poller import Poller, Subscription, get_poller
from cml_magic.widgets.status import Activity, phase
from cml_magic.widgets.timefmt import elapsed

if TYPE_CHECKING:
    import pandas as pd

NOUNS = {"run": "job run", "build": "model build", "deployment": "model deployment"}


class _Lines:
    """What both text forms share: masked lines printed into the cell that waits, and one
    line per outage of the server (`trouble`). Subclasses set the attributes and `_prefix`."""

    _stream: TextIO | None
    _context: contextvars.Context
    _done: threading.Event
    _trouble: str | None

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def trouble(self, message: str, retry_in: float | None) -> None:
        first = self._trouble is None
        self._trouble = message
        if retry_in is None:
            self._print(f"{self._prefix()}: {message}; stopped watching")
            self._done.set()
        elif first:  # one line per outage, not one per retry
            self._print(f"{self._prefix()}: reconnecting… ({message})")

    def _prefix(self) -> str:
        raise NotImplementedError

    def _print(self, line: str) -> None:
        line = mask_text(line)  # trouble messages quote errors

        def write() -> None:
            print(line, file=self._stream or sys.stdout, flush=True)

        if threading.current_thread() is threading.main_thread():
            write()
        else:
            self._context.copy().run(write)


class TextProgress(_Lines):
    """Prints an item's status changes; `wait()` blocks until it is final (or, for a
    deployment, serving)."""

    def __init__(
        self,
        obj: Watched,
        controller: Controller,
        project: str | None = None,
        poller: Poller | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.kind = kind_of(obj)
        self.obj = obj
        self.controller = controller
        self._stream = stream
        self._context = contextvars.copy_context()  # ipykernel routes output by context
        self._done = threading.Event()
        self._closed = False
        self._last_line = ""
        self._last_label: str | None = None
        self._trouble: str | None = None
        self.link = controller.link(obj, project)
        self._emit(obj)
        self._sub: Subscription | None = None
        if phase(self.kind, obj.status).activity is not Activity.ACTIVE:
            self._done.set()
        else:
            self._sub = controller.follow(obj, self, poller or get_poller(), project)

    def __repr__(self) -> str:
        return f"<TextProgress {self._last_line}>"

    @property
    def status(self) -> str:
        return str(self.obj.status)

    def wait(self, timeout: float | None = None) -> Watched:
        """Block until the item is final or serving (at most `timeout` seconds); returns the
        latest copy. Lines printed meanwhile go to the cell that waits."""
        self._context = contextvars.copy_context()
        self._done.wait(timeout)
        return self.obj

    def close(self) -> None:
        """Stop printing."""
        self._closed = True
        if self._sub is not None:
            self._sub.cancel()
        self._done.set()

    # -- Listener -------------------------------------------------------------------------

    def alive(self) -> bool:
        return not self._closed

    def update(self, obj: Watched) -> None:
        self.obj = obj
        recovered = self._trouble is not None
        self._trouble = None
        info = phase(self.kind, obj.status)
        if info.label != self._last_label or recovered:
            self._emit(obj)
        if info.activity is not Activity.ACTIVE:
            # Final, or settled (a serving deployment): nothing more worth a line.
            self._done.set()
            if self._sub is not None:
                self._sub.cancel()

    # -- output ---------------------------------------------------------------------------

    def _prefix(self) -> str:
        return f"[cml] {NOUNS[self.kind]} {self.obj.id}"

    def _emit(self, obj: Watched) -> None:
        info = phase(self.kind, obj.status)
        self._last_label = info.label
        final = info.activity is not Activity.ACTIVE
        parts = [f"{self._prefix()}: {info.label}"]
        spent = elapsed(obj, final)
        if spent:
            parts.append(spent)
        if final and self.link:
            parts.append(self.link)
        self._last_line = " · ".join(parts)
        self._print(self._last_line)


class SweepProgress(_Lines):
    """A sweep's runs as text: one line now, one per status change of a run, and the summary
    once every run ended; `wait()` blocks until then and each run's last output line is known,
    `frame()` is the runs as a DataFrame."""

    def __init__(
        self,
        runs: Sequence[tuple[Mapping[str, str], JobRun]],
        controller: Controller,
        poller: Poller | None = None,
        stream: TextIO | None = None,
    ) -> None:
        from cml_magic.widgets.sweep_feed import SweepFeed

        self._stream = stream
        self._context = contextvars.copy_context()  # ipykernel routes output by context
        self._done = threading.Event()
        self._closed = False
        self._summed_up = False
        self._labels: dict[str, str] = {}
        self._trouble: str | None = None
        self.feed = SweepFeed(
            runs,
            controller,
            poller or get_poller(),
            on_change=self._changed,
            alive=lambda: not self._closed,
            on_trouble=self.trouble,
        )
        self._print(f"[cml] sweep of {self.feed.summary()}")
        for run_id, row in self.feed.rows.items():
            self._labels[run_id] = row.phase.label
        self._summed_up = self.feed.finished  # ended already: the line above said it all
        self.feed.follow()

    def __repr__(self) -> str:
        return f"<SweepProgress {self.feed.summary()}>"

    @property
    def runs(self) -> list[JobRun]:
        return [row.run for row in self.feed.rows.values()]

    def frame(self) -> pd.DataFrame:
        """The runs as a DataFrame: the sweep keys, run_id, status, duration, last_line."""
        return self.feed.frame()

    def wait(self, timeout: float | None = None) -> list[JobRun]:
        """Block until every run ended and its last output line was looked up (at most
        `timeout` seconds); returns the runs."""
        self._context = contextvars.copy_context()
        self._done.wait(timeout)
        return self.runs

    def stop_all(self) -> tuple[int, list[str]]:
        """Stop every run still active (see `SweepFeed.stop_all`)."""
        return self.feed.stop_all()

    def close(self) -> None:
        """Stop printing."""
        self._closed = True
        self.feed.close()
        self._done.set()

    def _prefix(self) -> str:
        return "[cml] sweep"

    def _changed(self, run_ids: list[str]) -> None:
        self._trouble = None
        for run_id in run_ids:
            row = self.feed.rows[run_id]
            label = row.phase.label
            if label == self._labels.get(run_id):
                continue  # a duration or an output line: no line of its own
            self._labels[run_id] = label
            values = ", ".join(f"{k}={v}" for k, v in row.combination.items())
            parts = [f"[cml] job run {run_id} ({values}): {label}"]
            if row.final and row.duration:
                parts.append(row.duration)
            self._print(" · ".join(parts))
        if self.feed.finished and not self._summed_up:
            self._summed_up = True
            self._print(f"[cml] sweep of {self.feed.summary()}")
        if self.feed.settled:
            self._done.set()
