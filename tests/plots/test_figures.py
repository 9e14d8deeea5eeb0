"""The charts of `cml_magic.plots`, drawn headless from the client's DataFrames: what is on
each figure (lines, bars, colours, labels, legend) and that nothing leaks between calls."""

from __future__ import annotations

import re
import sys

import matplotlib
import pandas as pd
import pytest
from IPython.core.formatters import PNGFormatter
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from support.charts import history, run_json

from cml_magic import plots
from cml_magic.api import JobRun
from cml_magic.frames import to_frame

PNG = b"\x89PNG\r\n\x1a\n"

LOSS = [
    ("r1", "lr=0.1", "loss", 0, 1.0),
    ("r1", "lr=0.1", "loss", 1, 0.5),
    ("r1", "lr=0.1", "acc", 1, 0.7),  # another metric: ignored
    ("r1", "lr=0.1", "loss", 2, 0.25),
    ("r2", "", "loss", 0, 2.0),  # no name: labelled by its id
    ("r2", "", "loss", 1, 1.5),
    ("r3", "lr=0.01", "loss", 2, 0.9),  # logged out of step order
    ("r3", "lr=0.01", "loss", 0, 1.1),
    ("r3", "lr=0.01", "loss", 1, 1.0),
]


def bar_colours(figure: Figure) -> list[tuple[float, ...]]:
    return [tuple(p.get_facecolor()) for p in figure.axes[0].patches]


def test_metric_history_is_one_line_per_run_with_labels_and_legend() -> None:
    figure = plots.metric_history_figure(history(LOSS), "loss")
    assert isinstance(figure, Figure) and len(figure.axes) == 1
    axes = figure.axes[0]
    lines = axes.get_lines()
    assert [line.get_label() for line in lines] == ["lr=0.1", "r2", "lr=0.01"]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["lr=0.1", "r2", "lr=0.01"]
    assert axes.get_xlabel() == "step" and axes.get_ylabel() == "loss"
    assert axes.get_title() == "loss by step, 3 runs"
    # x = step, y = value, in step order; the acc row is not on the r1 line.
    assert list(lines[0].get_xdata()) == [0, 1, 2]
    assert list(lines[0].get_ydata()) == [1.0, 0.5, 0.25]
    assert list(lines[2].get_xdata()) == [0, 1, 2]
    assert list(lines[2].get_ydata()) == [1.1, 1.0, 0.9]
    assert len({line.get_color() for line in lines}) == 3


def test_runs_sharing_a_name_are_told_apart_by_their_ids() -> None:
    rows = [("a1", "baseline", "loss", 0, 1.0), ("b2", "baseline", "loss", 0, 2.0)]
    axes = plots.metric_history_figure(history(rows), "loss").axes[0]
    assert [line.get_label() for line in axes.get_lines()] == ["baseline (a1)", "baseline (b2)"]


def test_many_runs_repeat_the_colours_in_other_line_styles_and_leave_the_legend_out() -> None:
    rows = [(f"r{i:02d}", f"run {i}", "loss", step, i + step) for i in range(12) for step in (0, 1)]
    lines = plots.metric_history_figure(history(rows), "loss").axes[0].get_lines()
    assert [line.get_linestyle() for line in lines] == ["-"] * 10 + ["--"] * 2
    assert lines[10].get_color() == lines[0].get_color()
    assert len({(line.get_color(), line.get_linestyle()) for line in lines}) == 12
    many = [(f"r{i:02d}", "", "loss", 0, float(i)) for i in range(41)]
    axes = plots.metric_history_figure(history(many), "loss").axes[0]
    assert len(axes.get_lines()) == 41 and axes.get_legend() is None


def test_steps_are_whole_numbers_and_one_step_sits_in_the_middle() -> None:
    axes = plots.metric_history_figure(history(LOSS), "loss").axes[0]
    assert all(float(t).is_integer() for t in axes.get_xticks())
    one = plots.metric_history_figure(history([("r1", "x", "loss", 5, 1.0)]), "loss").axes[0]
    assert one.get_xlim() == (4.0, 6.0)


def test_final_is_one_bar_per_run_of_its_last_value_by_step() -> None:
    figure = plots.metric_history_figure(history(LOSS), "loss", final=True)
    axes = figure.axes[0]
    assert [p.get_height() for p in axes.patches] == [0.25, 1.5, 0.9]  # r3: step 2, not last row
    assert [t.get_text() for t in axes.get_xticklabels()] == ["lr=0.1", "r2", "lr=0.01"]
    assert axes.get_ylabel() == "loss" and axes.get_xlabel() == "run"
    assert axes.get_title() == "loss: last value of each run"
    assert [t.get_text() for t in axes.texts] == ["0.25", "1.5", "0.9"]


def test_a_step_logged_twice_counts_its_latest_value() -> None:
    rows = [("r1", "x", "loss", 3, 1.0), ("r1", "x", "loss", 3, 0.5)]
    axes = plots.metric_history_figure(history(rows), "loss", final=True).axes[0]
    assert [p.get_height() for p in axes.patches] == [0.5]


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([], "no values of metric 'loss' to plot"),
        ([("r1", "x", "acc", 0, 1.0)], "no values of metric 'loss' to plot; the history has acc"),
    ],
)
def test_no_values_of_the_metric_is_a_value_error(rows: list, says: str) -> None:
    with pytest.raises(ValueError, match="^" + says.replace("(", r"\(") + "$"):
        plots.metric_history_figure(history(rows), "loss")
    with pytest.raises(plots.NothingToPlot):
        plots.metric_history_figure(history(rows), "loss", final=True)


def test_a_frame_without_the_history_columns_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="has no column key, step"):
        plots.metric_history_figure(pd.DataFrame({"run_id": [], "run_name": [], "value": []}), "x")


def test_run_durations_are_bars_in_start_order_coloured_by_status(
    runs_frame: pd.DataFrame,
) -> None:
    figure = plots.run_durations_figure(runs_frame)  # listed newest first
    axes = figure.axes[0]
    assert [p.get_height() for p in axes.patches] == [10.0, 20.0, 30.0, 40.0, 50.0]
    colours = plots.STATUS_COLOURS
    expected = ["succeeded", "failed", "stopped", "failed", "succeeded"]  # timed out = failed
    assert bar_colours(figure) == [to_rgba(colours[g]) for g in expected]
    legend = axes.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["succeeded", "failed", "stopped"]
    handles = legend.legend_handles
    assert [tuple(h.get_facecolor()) for h in handles] == [
        to_rgba(colours[g]) for g in ("succeeded", "failed", "stopped")
    ]
    assert axes.get_ylabel() == "duration (s)" and axes.get_xlabel() == "run (start order)"
    assert axes.get_title() == "5 runs of job nightly"
    ticks = [t.get_text() for t in axes.get_xticklabels()]
    assert [t.split("\n")[0] for t in ticks] == [f"run{i:02d}abc" for i in range(5)]  # ids cut to 8
    assert [t.get_text() for t in axes.texts] == ["10s", "20s", "30s", "40s", "50s"]


def test_bar_labels_say_when_each_run_started_with_the_date_across_days() -> None:
    same_day = [run_json(i, "ENGINE_SUCCEEDED", started=i, seconds=1.0) for i in range(2)]
    days = [run_json(i, "ENGINE_SUCCEEDED", started=i * 1440, seconds=1.0) for i in range(2)]
    for runs, pattern in ((same_day, r"\d\d:\d\d:\d\d"), (days, r"\d\d-\d\d \d\d:\d\d")):
        figure = plots.run_durations_figure(to_frame([JobRun.from_json(r) for r in runs]))
        ticks = [t.get_text().split("\n") for t in figure.axes[0].get_xticklabels()]
        assert [t[0] for t in ticks] == ["run00abc", "run01abc"]
        assert all(re.fullmatch(pattern, t[1]) for t in ticks), ticks


def test_frames_put_together_are_drawn_run_by_run(runs_frame: pd.DataFrame) -> None:
    parts = [runs_frame.iloc[:2].reset_index(drop=True), runs_frame.iloc[2:].reset_index(drop=True)]
    both = pd.concat(parts)  # index 0, 1, 0, 1, 2
    bars = plots.run_durations_figure(both).axes[0].patches
    assert [p.get_height() for p in bars] == [10.0, 20.0, 30.0, 40.0, 50.0]


def test_durations_come_from_the_times_without_a_duration_column(
    runs_frame: pd.DataFrame,
) -> None:
    figure = plots.run_durations_figure(runs_frame.drop(columns=["duration"]))
    assert [p.get_height() for p in figure.axes[0].patches] == [10.0, 20.0, 30.0, 40.0, 50.0]


def test_a_run_still_going_shows_its_time_so_far_in_the_other_colour() -> None:
    now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    going = run_json(1, "ENGINE_RUNNING", started=0, seconds=None)
    going["running_at"] = (now - pd.Timedelta(minutes=5)).isoformat()
    figure = plots.run_durations_figure(to_frame([JobRun.from_json(going)]))
    (bar,) = figure.axes[0].patches
    assert bar.get_height() >= 300.0
    assert tuple(bar.get_facecolor()) == to_rgba(plots.STATUS_COLOURS["other"])
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["other"]


def test_no_runs_is_a_value_error(runs_frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="^no runs to plot$"):
        plots.run_durations_figure(runs_frame.iloc[:0])
    with pytest.raises(ValueError, match="has no column status"):
        plots.run_durations_figure(pd.DataFrame({"id": ["x"]}))


def test_many_runs_keep_their_labels_readable() -> None:
    runs = [run_json(i, "ENGINE_SUCCEEDED", started=i, seconds=5.0) for i in range(90)]
    figure = plots.run_durations_figure(to_frame([JobRun.from_json(r) for r in runs]))
    axes = figure.axes[0]
    assert len(axes.patches) == 90
    assert sum(t.get_visible() for t in axes.get_xticklabels()) <= 30
    assert len(axes.texts) == 0  # no value labels on 90 bars: they would overlap


def test_a_figure_displays_as_png_in_ipython(ip: InteractiveShell) -> None:
    """What a Jupyter kernel shows of a returned figure: its PNG, with no pyplot backend
    set up (the terminal shell turns PNG off, so IPython's PNG formatter is made here)."""
    figure = plots.metric_history_figure(history(LOSS), "loss")
    assert PNGFormatter()(figure).startswith(PNG)
    assert ip.display_formatter.formatters["text/plain"](figure) == (
        "<Chart size 800x400 with 1 Axes>"
    )


def test_the_style_reads_on_light_and_dark_and_stays_inside_the_chart(
    runs_frame: pd.DataFrame,
) -> None:
    before = dict(matplotlib.rcParams)
    figure = plots.run_durations_figure(runs_frame)
    assert figure.get_facecolor()[3] == 0.0  # transparent: the notebook's theme shows through
    assert figure.axes[0].get_facecolor()[3] == 0.0
    png = figure._repr_png_()
    assert png.startswith(PNG) and png[25] == 6  # colour type 6: RGBA, alpha kept
    assert dict(matplotlib.rcParams) == before


def test_charts_leave_no_pyplot_figures_behind(runs_frame: pd.DataFrame) -> None:
    for _ in range(3):
        plots.run_durations_figure(runs_frame)
        plots.metric_history_figure(history(LOSS), "loss")
    pyplot = sys.modules.get("matplotlib.pyplot")  # pandas' plotting may import it
    assert pyplot is None or pyplot.get_fignums() == []
