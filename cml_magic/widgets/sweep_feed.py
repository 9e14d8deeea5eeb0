"""The live state of a sweep: one row per run (its combination of sweep values, the run as last
seen, its last output line), fed by the shared poller, with Stop all.

Shared by the sweep widget (`sweep.py`) and its text fallback (`text.SweepProgress`); no
ipywidgets here. The runs are followed through `Controller.follow_runs`: one poller item per job
(a job with several runs watched is looked up by one listing), so a sweep takes from the
poller's one rate cap like any other widget. The last output line comes from the run's log,
downloaded as the run widget does it (`poller.later`, spaced out while the run goes on, once
more when it ends) and masked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cml_magic.api.masking import mask_text
from cml_magic.api.run_objects import JobRun
from cml_magic.widgets.controller import Controller
from cml_magic.widgets.poller import Poller, Subscription
from cml_magic.widgets.run_widget import TAIL_CHARS, output_every
from cml_magic.widgets.status import RED, Activity, Phase, phase
from cml_magic.widgets.timefmt import duration

if TYPE_CHECKING:
    import pandas as pd

# The columns of `SweepFeed.frame()` after the sweep keys.
FRAME_COLUMNS = ("run_id", "status", "duration", "last_line")
LAST_LINE_CHARS = 200  # of the last output line kept: a table cell, not a log


def last_line(text: str | None) -> str | None:
    """The last non-blank line of a run's output, masked and cut; None without output."""
    if text is None:
        return None
    for line in reversed(text[-TAIL_CHARS:].splitlines()):
        if line.strip():
            shown = mask_text(line.rstrip())
            return shown if len(shown) <= LAST_LINE_CHARS else shown[: LAST_LINE_CHARS - 1] + "…"
    return ""


@dataclass
class Row:
    """One run of the sweep; `set(run)` keeps it current."""

    combination: dict[str, str]
    run: JobRun
    output_at: float  # when the last log download was asked for (or the row was made)
    last_line: str | None = None  # None: no output known (yet, or none through the API)
    output_final: bool = False  # the download after the run ended was asked for
    output_queued: bool = False
    output_done: bool = False  # that download came back (with a log or without)
    phase: Phase = field(init=False)

    def __post_init__(self) -> None:
        self.set(self.run)

    def set(self, run: JobRun) -> None:
        # The phase is read for every row on each redraw and count: worked out once per copy.
        self.run, self.phase = run, phase("run", run.status)

    @property
    def final(self) -> bool:
        return self.phase.activity is Activity.FINAL

    @property
    def seconds(self) -> float | None:
        """How long the run has run: from running (else scheduling) to its end, or to now."""
        run = self.run
        begin = run.running_at or run.scheduling_at or run.created_at
        if begin is None:
            return None
        end = run.finished_at if self.final else None
        return max(0.0, ((end or datetime.now(UTC)) - begin).total_seconds())

    @property
    def duration(self) -> str:
        """`seconds` as `0:07`; empty when unknown."""
        seconds = self.seconds
        return "" if seconds is None else duration(seconds)


def sweep_keys(combinations: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
    """Every key of the combinations, in the order they first appear."""
    keys: dict[str, None] = {}
    for combination in combinations:
        keys.update(dict.fromkeys(combination))
    return tuple(keys)


class SweepFeed:
    """The rows of a sweep, kept current; `on_change(run_ids)` hears which rows changed
    (called from the poller's thread, or the thread that pressed Stop all)."""

    def __init__(
        self,
        runs: Sequence[tuple[Mapping[str, str], JobRun]],
        controller: Controller,
        poller: Poller,
        on_change: Callable[[list[str]], None],
        alive: Callable[[], bool],
        on_trouble: Callable[[str, float | None], None],
    ) -> None:
        if not runs:
            raise ValueError("a sweep needs at least one run")
        self.controller = controller
        self.poller = poller
        self.keys = sweep_keys([combination for combination, _run in runs])
        self.rows: dict[str, Row] = {}
        made = time.monotonic()  # a running run's first log comes one period after this
        for combination, run in runs:
            if not isinstance(run, JobRun):
                raise TypeError(f"a sweep shows JobRuns, not {type(run).__name__}")
            if run.id in self.rows:
                raise ValueError(f"run {run.id} is in the sweep twice")
            self.rows[run.id] = Row({str(k): str(v) for k, v in combination.items()}, run, made)
        self._on_change = on_change
        self._alive = alive
        self._on_trouble = on_trouble
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._closed = False
        self.started = time.monotonic()

    # -- following --------------------------------------------------------------------------

    def follow(self) -> None:
        """Watch every run not yet final; ask for the log of those already final."""
        for sub in self._subs:
            sub.cancel()
        active = [row.run for row in self.rows.values() if not row.final]
        self._subs = self.controller.follow_runs(active, self, self.poller) if active else []
        watched = self._watched()
        for row in self.rows.values():
            self._refresh_output(row, watched)

    def close(self) -> None:
        """Stop following (idempotent)."""
        self._closed = True
        for sub in self._subs:
            sub.cancel()
        self._subs = []

    def keys_watched(self) -> set[Hashable]:
        return {sub.key for sub in self._subs}

    # -- Listener (the poller's thread) -------------------------------------------------------

    def alive(self) -> bool:
        return not self._closed and self._alive()

    def update(self, obj: JobRun | tuple[JobRun, ...]) -> None:
        """Fresh copies: one run, or the runs of one job."""
        found = obj if isinstance(obj, tuple) else (obj,)
        changed = []
        with self._lock:
            for run in found:
                row = self.rows.get(run.id)
                if row is None:
                    continue
                if run.status != row.run.status or not row.final:
                    changed.append(run.id)  # a running row's duration moves on too
                row.set(run)
        watched = self._watched()
        for run_id in changed:
            self._refresh_output(self.rows[run_id], watched)
        if changed:
            self._on_change(changed)

    def trouble(self, message: str, retry_in: float | None) -> None:
        self._on_trouble(message, retry_in)

    # -- Stop all -----------------------------------------------------------------------------

    def stop_all(self) -> tuple[int, list[str]]:
        """Stop every run still active; returns how many were asked to stop and one line per
        failure. The rows show the answers at once, and the poller looks them up anew."""
        with self._lock:
            runs = [row.run for row in self.rows.values()]
        stopped, failed = self.controller.stop_runs(runs)
        with self._lock:
            for run in stopped:
                if run.id in self.rows:
                    self.rows[run.id].set(run)
        if stopped:
            self._on_change([run.id for run in stopped])
            keys = self.keys_watched()
            self.poller.look_up_now(lambda key: key in keys)
        return len(stopped), failed

    # -- output -------------------------------------------------------------------------------

    def _watched(self) -> int:
        # Every active run of the sweep counts as a watched item for the log downloads, however
        # few look-ups the poller makes for them: their logs are downloaded one by one.
        return max(self.poller.watched(), self.active())

    def _refresh_output(self, row: Row, watched: int) -> None:
        """Ask for the run's log while it runs (spaced out, `watched` items sharing the rate)
        and once more when it ended."""
        if self._closed or row.output_final:
            return
        final = row.final
        if not final and row.phase.step < 2:  # scheduling, starting: no output yet
            return
        now = time.monotonic()
        if not final and now - row.output_at < output_every(watched, self.poller.rate):
            return
        row.output_at, row.output_final = now, final
        if not row.output_queued:  # one queued download fetches the latest log
            row.output_queued = True
            self.poller.later(lambda: self._fetch_output(row))

    def _fetch_output(self, row: Row) -> None:
        row.output_queued = False
        if self._closed:
            return
        final = row.output_final  # asked for after the run ended: its last line is known then
        try:
            line = last_line(self.controller.output(row.run))
        except Exception:
            line = row.last_line  # the log is a nicety; the status still updates
        changed = line != row.last_line
        row.last_line = line
        if final:
            row.output_done = True
        if changed or final:  # the final one tells `settled` waiters even when unchanged
            self._on_change([row.run.id])

    # -- what the rows say --------------------------------------------------------------------

    def active(self) -> int:
        return sum(1 for row in self.rows.values() if not row.final)

    @property
    def finished(self) -> bool:
        return all(row.final for row in self.rows.values())

    @property
    def settled(self) -> bool:
        """Every run ended and its last output line was looked up after it ended."""
        return all(row.final and row.output_done for row in self.rows.values())

    def counts(self) -> dict[str, int]:
        """How many runs wait (scheduling, starting), run (or stop), succeeded, failed (or
        timed out), were stopped (or skipped)."""
        counts = dict.fromkeys(("waiting", "running", "succeeded", "failed", "stopped"), 0)
        for row in self.rows.values():
            counts[_bucket(row.phase)] += 1
        return counts

    def summary(self) -> str:
        """`12 runs: 3 running · 8 succeeded · 1 failed` (waiting and stopped when any)."""
        counts = self.counts()
        parts = [f"{counts[name]} {name}" for name in ("running", "succeeded", "failed")]
        if counts["waiting"]:
            parts.insert(0, f"{counts['waiting']} waiting")
        if counts["stopped"]:
            parts.append(f"{counts['stopped']} stopped")
        total = len(self.rows)
        return f"{total} run{'s' if total != 1 else ''}: " + " · ".join(parts)

    def records(self) -> list[dict[str, Any]]:
        """One dict per run: the sweep keys, then `FRAME_COLUMNS`."""
        with self._lock:
            rows = list(self.rows.values())
        return [
            {
                **{key: row.combination.get(key) for key in self.keys},
                "run_id": row.run.id,
                "status": row.run.status,
                "duration": row.seconds,
                "last_line": row.last_line,
            }
            for row in rows
        ]

    def frame(self) -> pd.DataFrame:
        """The runs as a DataFrame: the sweep keys, run_id, status, duration, last_line."""
        import pandas as pd

        frame = pd.DataFrame(self.records(), columns=[*self.keys, *FRAME_COLUMNS])
        frame["duration"] = pd.to_timedelta(frame["duration"], unit="s")  # as `%cml runs list`
        return frame


def _bucket(info: Phase) -> str:
    """The summary's word for a run's phase, from its look (`status.py`): an unknown status,
    shown on the first step, counts as waiting."""
    if info.activity is not Activity.FINAL:
        return "waiting" if info.step < 2 else "running"
    if info.succeeded:
        return "succeeded"
    return "failed" if info.colour == RED else "stopped"
