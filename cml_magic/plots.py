"""DataFrames -> matplotlib Figures: metric histories of experiment runs, durations of job runs.

Charts are drawn with pandas' plotting onto a Figure made with matplotlib's object API (no
pyplot state: nothing is kept or shown between calls). The Figure displays itself as a PNG in
Jupyter when returned from a cell, also where pyplot was never imported. matplotlib is the
optional extra `cml-magic[plot]`: it is imported on the first chart, never by `import cml_magic`;
without it a chart raises `PlotsUnavailable`, whose message says how to install it.

The style reads on light and dark notebook themes: a transparent background, text and axes in
a mid grey, colours of medium lightness.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from cml_magic.api.statuses import RUN

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure

INSTALL = "pip install 'cml-magic[plot]'"

# A run's final status -> the group its bar is coloured by; any other status is "other".
STATUS_GROUPS: Mapping[str, str] = {
    "ENGINE_SUCCEEDED": "succeeded",
    "ENGINE_FAILED": "failed",
    "ENGINE_TIMEDOUT": "failed",
    "ENGINE_STOPPED": "stopped",
}
# One colour per group, in legend order; each reads on white and on a dark background.
STATUS_COLOURS: Mapping[str, str] = {
    "succeeded": "#2ca02c",
    "failed": "#d62728",
    "stopped": "#ff9f1c",
    "other": "#8c8c9c",
}

_INK = "#797979"  # text, spines, ticks: 4.35:1 on white and on JupyterLab Dark (#111) alike
_STYLE: Mapping[str, Any] = {
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "text.color": _INK,
    "axes.labelcolor": _INK,
    "axes.edgecolor": _INK,
    "axes.titlecolor": _INK,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": _INK,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
# matplotlib's tab10, which reads on both themes: the lines' colours, in turn.
_LINE_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
# After ten colours the lines repeat them dashed, then dotted, then dash-dotted.
_LINE_STYLES = ("-", "--", ":", "-.")
_MARKERS_UP_TO = 30  # a run with at most this many points also marks each point
_LEGEND_UP_TO = 40  # runs named in a legend: more lines cannot be told apart by colour anyway
_VALUES_UP_TO = 15  # bars with their value written on top: more would overlap


class PlotsUnavailable(ImportError):
    """matplotlib is not installed; the message says how to install it."""


class NothingToPlot(ValueError):
    """The input holds nothing to draw; the message says what was missing."""


def require() -> None:
    """Raise `PlotsUnavailable` unless matplotlib can be imported (imports it)."""
    _matplotlib()


def metric_history_figure(history: pd.DataFrame, metric: str, *, final: bool = False) -> Figure:
    """Each run's history of `metric`: one line per run, x = step, y = value.

    `history` has the columns run_id, run_name, key, step, value (and timestamp); rows of
    other keys are ignored. A run is labelled by its name, or its id when the name is empty
    (name and id when two runs share a name). `final=True`: one bar per run of its last value
    (by step, then time). Raises `NothingToPlot` (a ValueError) when no row has `metric`.
    """
    require()
    _require(history, ("run_id", "run_name", "key", "step", "value"), "metric history")
    rows = history[history["key"].astype(str) == metric]
    rows = rows[rows["step"].notna()]
    if rows.empty:
        keys = sorted({str(k) for k in history["key"].dropna()})
        known = f"; the history has {', '.join(keys)}" if keys else ""
        raise NothingToPlot(f"no values of metric {metric!r} to plot{known}")
    order = ["step", "timestamp"] if "timestamp" in rows.columns else ["step"]
    rows = rows.sort_values(order, kind="stable")
    run_ids = rows["run_id"].astype(str)
    runs = list(dict.fromkeys(run_ids))  # first appearance order
    labels = _run_labels(rows, runs)
    with _styled():
        from matplotlib.ticker import MaxNLocator

        figure, axes = _figure()
        if final:
            last = rows.groupby(run_ids, sort=False)["value"].last()
            values = pd.Series([float(last[r]) for r in runs], index=[labels[r] for r in runs])
            values.plot.bar(ax=axes, color=_colours(len(runs)), rot=_rotation(values.index))
            if len(runs) <= _VALUES_UP_TO:
                axes.bar_label(_bars(axes), fmt="%.4g", color=_INK, fontsize=8)
            _thin_ticks(axes, len(runs))
            _bar_grid(axes)
            axes.set_xlabel("run")
            axes.set_ylabel(metric)
            axes.set_title(f"{metric}: last value of each run")
        else:
            for i, (run, points) in enumerate(rows.groupby(run_ids, sort=False)):
                line = pd.Series(
                    points["value"].astype("float64").to_numpy(),
                    index=points["step"].astype("int64").to_numpy(),
                    name=labels[str(run)],
                )
                line.plot(
                    ax=axes,
                    label=labels[str(run)],
                    color=_LINE_COLOURS[i % len(_LINE_COLOURS)],
                    linestyle=_LINE_STYLES[i // len(_LINE_COLOURS) % len(_LINE_STYLES)],
                    marker="o" if len(line) <= _MARKERS_UP_TO else None,
                    markersize=3,
                    linewidth=1.5,
                )
            # Steps are whole numbers; one step alone gets a step either side to sit between.
            axes.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
            low, high = int(rows["step"].min()), int(rows["step"].max())
            if low == high:
                axes.set_xlim(low - 1, high + 1)
            axes.set_xlabel("step")
            axes.set_ylabel(metric)
            axes.set_title(f"{metric} by step, {_count(len(runs), 'run')}")
            if len(runs) <= _LEGEND_UP_TO:
                _legend(axes, len(runs))
    return figure


def run_durations_figure(runs: pd.DataFrame) -> Figure:
    """One bar per job run in start order, its height the run's duration in seconds, coloured
    by its final status (`STATUS_COLOURS`), with a legend of the statuses shown.

    `runs` is a runs DataFrame of `cml_magic.frames` (`to_frame(cml.runs.list(job))`): id,
    status, the time columns and `duration`; without `duration` it is computed from the
    times (finished_at minus running_at, else created_at). A run not finished yet shows the
    time it has taken so far. Raises `NothingToPlot` (a ValueError) for no runs.
    """
    require()
    _require(runs, ("id", "status"), "runs")
    if runs.empty:
        raise NothingToPlot("no runs to plot")
    runs = runs.reset_index(drop=True)  # rows are taken by position (a concat repeats labels)
    start = _column_times(runs, "running_at").fillna(_column_times(runs, "created_at"))
    if "duration" in runs.columns:
        duration = pd.to_timedelta(runs["duration"])
    else:
        duration = _column_times(runs, "finished_at") - start
    elapsed = pd.Timestamp.now(tz="UTC") - start
    going = duration.isna() & ~runs["status"].astype(str).map(RUN.is_final)
    seconds = duration.where(~going, elapsed).dt.total_seconds().fillna(0.0).clip(lower=0.0)
    order = start.sort_values(kind="stable", na_position="last").index
    groups = [STATUS_GROUPS.get(str(s), "other") for s in runs.loc[order, "status"]]
    labels = _run_ticks(runs.loc[order, "id"], start.loc[order])
    heights = pd.Series(seconds.loc[order].to_numpy(), index=labels)
    with _styled():
        from matplotlib.patches import Patch

        figure, axes = _figure()
        colours: list[Any] = [STATUS_COLOURS[g] for g in groups]
        heights.plot.bar(ax=axes, color=colours, rot=_rotation(heights.index))
        if len(heights) <= _VALUES_UP_TO:
            texts = [_duration_text(s) for s in heights]
            axes.bar_label(_bars(axes), labels=texts, color=_INK, fontsize=8)
        _thin_ticks(axes, len(heights))
        _bar_grid(axes)
        axes.set_xlabel("run (start order)")
        axes.set_ylabel("duration (s)")
        job = _job_of(runs)
        axes.set_title(f"{_count(len(heights), 'run')}{f' of job {job}' if job else ''}")
        shown = [g for g in STATUS_COLOURS if g in groups]
        axes.legend(
            handles=[Patch(color=STATUS_COLOURS[g], label=g) for g in shown],
            title="status",
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )
    return figure


def _bars(axes: Axes) -> BarContainer:
    """The bars pandas just drew on `axes`."""
    return cast("BarContainer", axes.containers[0])


def _colours(count: int) -> list[Any]:
    """The first `count` line colours, in turn: bar `i` has the colour of line `i`."""
    return [_LINE_COLOURS[i % len(_LINE_COLOURS)] for i in range(count)]


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise NothingToPlot(f"the {what} DataFrame has no column {', '.join(missing)}")


def _run_labels(rows: pd.DataFrame, runs: list[str]) -> dict[str, str]:
    """run id -> its legend label: the name, else the id; the name and id when names repeat."""
    names = rows.groupby(rows["run_id"].astype(str), sort=False)["run_name"].first()
    label: dict[str, str] = {}
    for run in runs:
        name = names.get(run)
        label[run] = name if isinstance(name, str) and name.strip() else run
    counts = Counter(label.values())
    return {r: (f"{label[r]} ({r})" if counts[label[r]] > 1 else label[r]) for r in runs}


def _column_times(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(frame[column], utc=True)


def _run_ticks(ids: pd.Series, starts: pd.Series) -> list[str]:
    """The bars' labels: each run id's first 8 characters (ids are long) and when the run
    started, in local time as listings show it (the date only when the runs span days)."""
    from datetime import datetime

    local = starts.dt.tz_convert(datetime.now().astimezone().tzinfo)
    days = local.dropna().dt.date.nunique()
    when = local.dt.strftime("%m-%d %H:%M" if days > 1 else "%H:%M:%S")
    return [
        f"{str(i).split('-', 1)[0][:8]}" + ("" if pd.isna(w) else f"\n{w}")
        for i, w in zip(ids, when, strict=True)
    ]


def _duration_text(seconds: float) -> str:
    whole = int(round(seconds))
    minutes, rest = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{rest:02d}s"
    return f"{seconds:.2g}s" if seconds < 10 else f"{whole}s"


def _job_of(runs: pd.DataFrame) -> str:
    for column in ("job", "job_id"):
        if column in runs.columns:
            names = {str(v) for v in runs[column].dropna() if str(v)}
            if len(names) == 1:
                return names.pop()
    return ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _rotation(labels: pd.Index) -> int:
    """Level labels while a few short ones fit side by side, else upright."""
    widest = max(len(line) for label in labels for line in str(label).splitlines())
    return 0 if len(labels) * max(widest, 6) <= 60 else 90


def _thin_ticks(axes: Axes, count: int, most: int = 30) -> None:
    """Keep at most `most` bar labels, evenly spaced: more would overlap."""
    if count <= most:
        return
    step = -(-count // most)
    for i, tick in enumerate(axes.get_xticklabels()):
        tick.set_visible(i % step == 0)


def _bar_grid(axes: Axes) -> None:
    """Horizontal grid lines only (pandas' bar chart turns on both)."""
    axes.grid(False, axis="x")


def _legend(axes: Axes, count: int) -> None:
    """Beside the axes, in columns of at most 15 entries."""
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), ncols=-(-count // 15), fontsize=8)


@contextmanager
def _styled() -> Iterator[None]:
    """matplotlib's settings of these charts, for what is drawn inside only."""
    mpl = _matplotlib()
    from cycler import cycler

    style = {**_STYLE, "axes.prop_cycle": cycler(color=list(_LINE_COLOURS))}
    with mpl.rc_context(style):
        yield


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PlotsUnavailable(f"charts need matplotlib: {INSTALL}") from None
    return matplotlib


def _figure() -> tuple[Figure, Axes]:
    """A new Figure that shows itself as a PNG in Jupyter, and its one Axes."""
    figure = _chart_class()(figsize=(8.0, 4.0), layout="constrained")
    return figure, figure.subplots()


@cache
def _chart_class() -> type[Figure]:
    """Figure with a PNG display of its own, so no pyplot backend is needed to show it (a
    class made on first use: defining it imports matplotlib)."""
    from matplotlib.figure import Figure

    class Chart(Figure):
        def _repr_png_(self) -> bytes:
            from io import BytesIO

            buffer = BytesIO()
            self.savefig(buffer, format="png", bbox_inches="tight", dpi=100)
            return buffer.getvalue()

    Chart.__module__, Chart.__qualname__ = __name__, "Chart"
    return Chart
