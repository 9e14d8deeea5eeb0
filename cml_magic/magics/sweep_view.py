"""How the runs of a `%%cml_run --sweep` show: with --watch in a widget front end the sweep's
summary widget (`widgets.sweep.show_sweep`), shown at once; else its text form
(`widgets.text.SweepProgress`), which the cell waits out. Both are fed by the shared poller."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cml_magic.magics.context import Context
from cml_magic.magics.errors import usage_error
from cml_magic.magics.sweeps import label

if TYPE_CHECKING:
    from cml_magic.api.run_objects import JobRun
    from cml_magic.widgets.poller import Poller
    from cml_magic.widgets.text import SweepProgress

Started = Sequence[tuple[Mapping[str, str], "JobRun"]]
STEP = 0.5  # seconds of one wait for the runs: an untimed wait would not hear Ctrl-C everywhere


def show(ctx: Context, started: Started, *, live: bool, out: str | None) -> Any:
    """`live` (--watch in a widget front end): the summary widget, shown, returned at once.
    Else the text progress until every run ended, returning the runs' DataFrame (a sweep
    with a run that did not succeed fails the cell, after `out` got the frame)."""
    from cml_magic.widgets.controller import as_controller
    from cml_magic.widgets.poller import get_poller

    poller = get_poller()
    if live:
        from cml_magic.widgets.sweep import SweepWidget, show_sweep

        poller.interval = ctx.magic.watch_interval  # as the run widget of one run
        view = show_sweep(as_controller(ctx.cml), list(started), poller=poller)
        assert isinstance(view, SweepWidget)  # show_sweep's choice, in a widget front end
        view.show()
        return view
    from cml_magic.widgets.text import SweepProgress

    with _interval(poller, ctx.magic.poll_interval):  # a wait follows --wait's setting
        progress = SweepProgress(list(started), as_controller(ctx.cml), poller=poller)
        return _wait(ctx, progress, started, out)


@contextmanager
def _interval(poller: Poller, seconds: float) -> Iterator[None]:
    """The shared poller at `seconds` while the cell waits, as it was after."""
    before, poller.interval = poller.interval, seconds
    try:
        yield
    finally:
        poller.interval = before


def _wait(ctx: Context, progress: SweepProgress, started: Started, out: str | None) -> Any:
    """Block until every run ended (Ctrl-C stops the runs still going); `out` gets the frame
    as last seen, also when interrupted or failed."""
    from cml_magic.magics.progress import stop_on_interrupt
    from cml_magic.magics.results import for_display, limit_display

    def stop_all() -> None:
        _asked, failed = progress.stop_all()
        if failed:  # stop_on_interrupt says it in its one line
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise RuntimeError(f"{failed[0]}{more}")

    try:
        with stop_on_interrupt(f"the sweep's {len(started)} runs", stop_all):
            while not progress.finished:
                progress.wait(STEP)
    finally:
        progress.close()
        frame = progress.frame()
        if out:
            ctx.magic.user_ns[out] = frame
    names = {run.id: label(combo) for combo, run in started}
    going = [run for run in progress.runs if not run.finished]
    if going:  # the poller gave up (its line says why): the runs go on without us
        raise usage_error(
            f"stopped following the sweep with {len(going)} of {len(started)} runs going;"
            " %cml runs list shows them",
            "run_failed",
        )
    failed = [run for run in progress.runs if not run.succeeded]
    if failed:
        print(for_display(frame).to_string(index=False))  # the cell shows no value when it fails
        named = ", ".join(f"[{names[r.id]}] {r.status}" for r in failed[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        raise usage_error(
            f"{len(failed)} of {len(started)} runs of the sweep did not succeed: {named}{more}",
            "run_failed",
        )
    return limit_display(frame, ctx.magic.display_limit)
