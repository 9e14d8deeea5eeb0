"""How the runs of a `%%cml_run --sweep` show: the one place choosing between the sweep summary
widget (`cml_magic.widgets.sweep.show_sweep`, where that module exists and widgets are drawn)
and text (a line per status change, then a summary); `-o` gets a DataFrame of the runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cml_magic.magics.context import Context
from cml_magic.magics.errors import usage_error
from cml_magic.magics.sweeps import label

if TYPE_CHECKING:
    from cml_magic.api.objects import Job, JobRun

Started = Sequence[tuple[Mapping[str, str], "JobRun"]]
COLUMNS = ("run_id", "status", "duration", "last_output")  # after one column per swept key


def show(
    ctx: Context, started: Started, jobs: Sequence[Job], *, watch: bool, out: str | None
) -> Any:
    """The summary widget (returned at once) with --watch where it can be drawn; else wait
    with text, returning the DataFrame (a sweep with a run that did not succeed fails the
    cell, after `out` got the frame)."""
    if watch:
        from cml_magic.widgets.frontend import in_widget_frontend

        show_sweep = _summary_widget() if in_widget_frontend() else None
        if show_sweep is not None:
            from cml_magic import widgets
            from cml_magic.widgets.controller import as_controller

            widgets.get_poller().interval = ctx.magic.watch_interval
            return show_sweep(as_controller(ctx.cml), list(started))
    return wait(ctx, started, jobs, out=out)


def _summary_widget() -> Callable[..., Any] | None:
    """`cml_magic.widgets.sweep.show_sweep`, if this installation has it."""
    import importlib
    import importlib.util

    if importlib.util.find_spec("cml_magic.widgets.sweep") is None:
        return None
    found: Callable[..., Any] | None = getattr(
        importlib.import_module("cml_magic.widgets.sweep"), "show_sweep", None
    )
    return found


def wait(ctx: Context, started: Started, jobs: Sequence[Job], *, out: str | None) -> Any:
    """Poll every run until each is final, printing a line per status change; then the
    summary. Ctrl-C asks CML to stop the runs still going."""
    from cml_magic.magics.progress import stop_on_interrupt

    names = {run.id: label(combo) for combo, run in started}
    latest: dict[str, JobRun] = {run.id: run for _, run in started}
    told: dict[str, str] = {}
    base = jobs[0].name if jobs else ""
    print(f"Started {len(started)} runs of a sweep (jobs {base!r} and the like).")

    def tell(run: JobRun) -> None:
        latest[run.id] = run
        if told.get(run.id) != run.status:
            told[run.id] = run.status
            print(f"[{names[run.id]}] run {run.id}: {run.status}")

    def stop_all() -> None:
        from cml_magic.api.errors import CMLError

        for run in latest.values():
            if not run.finished:
                try:
                    ctx.cml.stop(run)
                except CMLError:
                    continue  # it ended meanwhile

    for run in latest.values():
        tell(run)
    with stop_on_interrupt(f"the sweep's {len(started)} runs", stop_all):
        while going := [r for r in latest.values() if not r.finished]:
            time.sleep(ctx.magic.poll_interval)
            for run in going:
                tell(ctx.cml.refresh(run))
    frame = _frame(ctx, started, latest)
    if out:
        ctx.magic.user_ns[out] = frame
    _print_summary(frame)
    failed = [r for r in latest.values() if not r.succeeded]
    if failed:
        named = ", ".join(f"[{names[r.id]}] {r.status}" for r in failed[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        raise usage_error(
            f"{len(failed)} of {len(latest)} runs of the sweep did not succeed: {named}{more}",
            "run_failed",
        )
    from cml_magic.magics.results import limit_display

    return limit_display(frame, ctx.magic.display_limit)


def duration(run: JobRun) -> timedelta | None:
    """How long a finished run took (from running, else from its creation); None before."""
    start = run.running_at or run.created_at
    if run.finished_at is None or start is None:
        return None
    return run.finished_at - start


def _frame(ctx: Context, started: Started, latest: Mapping[str, JobRun]) -> Any:
    """One row per run: the swept values, then `COLUMNS`."""
    import pandas as pd

    from cml_magic.magics.cellrun import last_line

    rows = []
    for combo, first in started:
        run = latest[first.id]
        try:
            text = ctx.cml.runs.output(run)
        except Exception:  # noqa: BLE001 - the table shows what it can
            text = None
        rows.append(
            {
                **combo,
                "run_id": run.id,
                "status": run.status,
                "duration": duration(run),
                "last_output": last_line(text),
            }
        )
    keys = list(started[0][0]) if started else []
    return pd.DataFrame(rows, columns=[*keys, *COLUMNS])


def _print_summary(frame: Any) -> None:
    from cml_magic.magics.results import for_display

    print(for_display(frame).to_string(index=False))
