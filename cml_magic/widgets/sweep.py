"""The summary widget of a sweep: one table row per run (its combination of sweep values, status,
duration, last output line), a summary line and Stop all, fed by the shared poller.

    from cml_magic.widgets.sweep import show_sweep
    sweep = show_sweep(cml, [({"LR": "0.1"}, run_a), ({"LR": "0.2"}, run_b)])
    sweep                       # the widget (a cell's value shows it)
    sweep.frame()               # the runs as a DataFrame

Outside a widget front end `show_sweep` returns the text fallback (`text.SweepProgress`) with the
same `frame()`. The rows live in `sweep_feed.SweepFeed`; this module only draws them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets as w

from cml_magic.api.run_objects import JobRun
from cml_magic.widgets.controller import ClientOrController, as_controller
from cml_magic.widgets.failures import one_line
from cml_magic.widgets.frontend import in_widget_frontend
from cml_magic.widgets.live import show_once
from cml_magic.widgets.parts import (
    BORDER,
    LINK,
    MUTED,
    TEXT,
    Messages,
    badge,
    button,
    esc,
    html_widget,
)
from cml_magic.widgets.poller import Poller, get_poller
from cml_magic.widgets.sweep_feed import Row, SweepFeed

if TYPE_CHECKING:
    import pandas as pd

    from cml_magic.widgets.text import SweepProgress

Runs = Sequence[tuple[Mapping[str, str], JobRun]]
CELL = f"padding:2px 10px 2px 0;border-bottom:1px solid {BORDER};text-align:left"
HEAD = f"{CELL};color:{MUTED};font-weight:600"
DURATION_EVERY = 1.0  # least seconds between two redraws for running rows' durations alone


def show_sweep(
    controller: ClientOrController, runs: Runs, poller: Poller | None = None
) -> SweepWidget | SweepProgress:
    """One summary of a sweep's runs: `runs` pairs each run's combination of sweep values with
    the run as the client returned it (runs of one job or of several).

    In a widget front end a `SweepWidget`, not yet displayed (make it a cell's value, or call
    `.show()`); elsewhere a `text.SweepProgress` printing a line per status change, whose
    `.wait(timeout)` blocks until every run ended. Both have `.frame()`.
    """
    if not in_widget_frontend():
        from cml_magic.widgets.text import SweepProgress

        return SweepProgress(runs, as_controller(controller), poller=poller)
    return SweepWidget(runs, controller, poller=poller)


class SweepWidget(w.VBox):  # type: ignore[misc]
    """A sweep's runs, updated live; `stop_button.click()` stops every run still active."""

    def __init__(self, runs: Runs, cml: ClientOrController, poller: Poller | None = None) -> None:
        super().__init__()
        self.controller = as_controller(cml)
        self.poller = poller or get_poller()
        self._closed = False
        self._lock = threading.Lock()  # rows are drawn from the poller's thread and from clicks
        self.feed = SweepFeed(
            runs,
            self.controller,
            self.poller,
            on_change=self._changed,
            alive=lambda: not self._closed and self.comm is not None,
            on_trouble=self.trouble,
        )
        self._links = {
            row.run.id: self.controller.link(row.run, row.run.project_id)
            for row in self.feed.rows.values()
        }
        self._cells: dict[str, str] = {}
        self._drawn: dict[str, tuple[str, str | None]] = {}  # run id: (status, last line) drawn
        self._pending: set[str] = set()  # rows whose duration alone moved since they were drawn
        self._drawn_at = -math.inf
        self.add_class("cml-live")
        self.add_class("cml-sweep")
        self.layout = w.Layout(border=f"1px solid {BORDER}", padding="2px 10px", margin="4px 0")
        self.title = html_widget(cls="cml-title")
        self.summary = html_widget(cls="cml-summary")
        self.header = w.HBox([self.title, self.summary])
        self.summary.layout.margin = "0 0 0 10px"
        self.table = html_widget(cls="cml-sweep-table")
        self.messages = Messages()
        self.message = self.messages.widget
        self.say = self.messages.say
        # Red, not JupyterLab's orange "warning", whose white label is 2.7:1.
        self.stop_button = button(
            "Stop all", "cml-stop-all", self._on_stop_all, button_style="danger", icon="stop"
        )
        self.buttons = w.HBox([self.stop_button])
        self.buttons.add_class("cml-buttons")
        self.children = (self.header, self.table, self.message, self.buttons)
        self._changed(list(self.feed.rows))
        self.feed.follow()

    # -- what callers read --------------------------------------------------------------------

    @property
    def runs(self) -> list[JobRun]:
        """The runs as last seen, in the sweep's order."""
        return [row.run for row in self.feed.rows.values()]

    @property
    def finished(self) -> bool:
        return self.feed.finished

    def frame(self) -> pd.DataFrame:
        """The runs as a DataFrame: the sweep keys, run_id, status, duration, last_line."""
        return self.feed.frame()

    def show(self) -> None:
        """Display the widget now, from the cell's thread (a magic's `--watch` does); as the
        value of the cell that showed it, it is not shown a second time."""
        show_once(self)

    # -- live updates -------------------------------------------------------------------------

    def trouble(self, message: str, retry_in: float | None) -> None:
        if retry_in is None:
            self.say(f"stopped watching: {message}", error=True)
        else:
            self.say(f"reconnecting… ({message}; next try in {retry_in:.0f} s)", error=True)

    def close(self) -> None:
        """Stop live updates and close the widget and its parts."""
        self._closed = True
        self.feed.close()
        for part in (self.title, self.summary, self.header, self.table, self.message):
            part.close()
        for part in (self.stop_button, self.buttons):
            part.close()
        super().close()

    def _changed(self, run_ids: list[str]) -> None:
        """Redraw the rows of `run_ids` (any thread)."""
        if self.messages.text.startswith("reconnecting"):
            self.say("")
        with self._lock:
            rows = self.feed.rows
            drawn = [(self._drawn.get(i), rows[i]) for i in run_ids]
            moved = any(was is None or was[0] != row.run.status for was, row in drawn)
            lined = any(was is not None and was[1] != row.last_line for was, row in drawn)
            if not (moved or lined) and time.monotonic() - self._drawn_at < DURATION_EVERY:
                # A look-up of a running run moves only its duration: with a hundred rows the
                # whole table (tens of kB, one comm message) would be built and sent at every
                # look-up. Such rows are drawn with the next redraw, a second on at the soonest.
                self._pending.update(run_ids)
                return
            self._draw(run_ids, counts=moved)

    def redraw(self) -> None:
        """Draw every row anew (any thread)."""
        with self._lock:
            self._draw(list(self.feed.rows), counts=True)

    def _draw(self, run_ids: list[str], counts: bool) -> None:  # lock held
        """Draw the rows of `run_ids` and those waiting, then the table; with `counts` (a
        status changed) the title, summary and Stop all too."""
        rows = self.feed.rows
        self._drawn_at = time.monotonic()
        run_ids = [*self._pending.difference(run_ids), *run_ids]
        self._pending.clear()
        for run_id in run_ids:
            row = rows[run_id]
            self._cells[run_id] = self._row(row)
            self._drawn[run_id] = (row.run.status, row.last_line)
        body = "".join(self._cells[run_id] for run_id in self.feed.rows)
        table = (
            f'<table class="cml-sweep-rows" style="border-collapse:collapse;color:{TEXT};'
            f'font-size:var(--jp-ui-font-size1, 13px)">'
            f"<thead><tr>{self._head()}</tr></thead><tbody>{body}</tbody></table>"
        )
        if table != self.table.value:  # unchanged rows send nothing to the front end
            self.table.value = table
        if not counts:  # a duration or a last line: the counts and Stop all stay as they are
            return
        total = len(self.feed.rows)
        self.title.value = f"<b>Sweep</b> of {total} run{'s' if total != 1 else ''}"
        self.summary.value = (
            f'<span class="cml-counts" style="color:{MUTED}">'
            f"{esc(self.feed.summary().split(': ', 1)[1])}</span>"
        )
        active = self.feed.active()
        self.stop_button.disabled = not active
        self.stop_button.layout.display = None if active else "none"

    def _head(self) -> str:
        names = [*self.feed.keys, "run", "status", "duration", "last output line"]
        return "".join(f'<th style="{HEAD}">{esc(name)}</th>' for name in names)

    def _row(self, row: Row) -> str:
        values = "".join(
            f'<td style="{CELL}"><code>{esc(row.combination.get(key, ""))}</code></td>'
            for key in self.feed.keys
        )
        link = self._links.get(row.run.id)
        run_id = f"<code>{esc(row.run.id)}</code>"
        if link:
            run_id = (
                f'<a href="{esc(link)}" target="_blank" rel="noopener" '
                f'style="color:{LINK};text-decoration:underline">{run_id}</a>'
            )
        if row.last_line is None:
            line = f'<span style="color:{MUTED}">–</span>'
        else:
            line = (
                f'<code class="cml-last-line" style="font-family:var(--jp-code-font-family, '
                f'monospace)">{esc(row.last_line)}</code>'
            )
        return (
            f'<tr class="cml-sweep-row" data-run="{esc(row.run.id)}" '
            f'data-status="{esc(row.run.status)}">{values}'
            f'<td style="{CELL}">{run_id}</td>'
            f'<td style="{CELL}">{badge(row.phase)}</td>'
            f'<td style="{CELL};font-variant-numeric:tabular-nums">{esc(row.duration)}</td>'
            f'<td style="{CELL};max-width:40em;overflow:hidden;text-overflow:ellipsis;'
            f'white-space:nowrap">{line}</td></tr>'
        )

    # -- Stop all -----------------------------------------------------------------------------

    def _on_stop_all(self, _button: object = None) -> None:
        self.stop_button.disabled = True
        self.say("stopping…")
        try:
            asked, failed = self.feed.stop_all()
        except Exception as exc:  # shown as one line in the widget, not lost in a comm handler
            self.say(one_line(exc), error=True)
            return
        if failed:
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            self.say(f"could not stop {failed[0]}{more}", error=True)
        else:
            self.say(f"stop requested for {asked} run{'s' if asked != 1 else ''}")
