"""`%cml experiments ...` through a real IPython shell against the local server: listing,
showing, creating and deleting experiments, a run listing with params and latest metrics as
typed columns, a metric's history, `-o`, and one-line errors with the closest name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output


@pytest.fixture
def logged(cml_ip: Any, api: Any) -> Iterator[dict[str, Any]]:
    """A project with experiment `churn`: runs lr-0.1 and lr-0.01 (params lr, depth; metrics
    loss over 5 steps, acc), and lr-1 (param lr only); `%cml use` set to the project."""
    project = api.projects.create(f"exp-{uuid.uuid4().hex[:8]}")
    experiment = api.experiments.create("churn", project=project.id)
    runs = api.experiment_runs
    made = {}
    for lr, base in (("0.1", 1.0), ("0.01", 2.0), ("1", None)):
        run = runs.create(experiment.id, project=project.id, name=f"lr-{lr}")
        params = {"lr": lr} if base is None else {"lr": lr, "depth": 3}
        points = (
            []
            if base is None
            else [{"key": "loss", "value": base / (s + 1), "step": s} for s in range(5)]
        )
        metrics = [*points, {"key": "acc", "value": 0.5 + len(lr) / 10}] if points else None
        runs.log(run, metrics=metrics, params=params)
        made[run.name] = run
    cml_ip.run_line_magic("cml", f"use {project.name}")
    yield {"project": project, "experiment": experiment, "runs": made}
    api.projects.delete(project.id)


def test_runs_one_row_per_run_with_params_and_latest_metrics(
    cml_ip: Any, logged: dict[str, Any]
) -> None:
    df = cml_ip.run_line_magic("cml", "experiments runs churn -o runs_df")
    assert cml_ip.user_ns["runs_df"] is df
    assert list(df["name"]) == ["lr-0.1", "lr-0.01", "lr-1"]  # the order they were made
    assert list(df.columns) == [
        "id", "name", "status", "user", "start_time", "end_time", "experiment_id",
        "params.depth", "params.lr", "metrics.acc", "metrics.loss",
    ]  # fmt: skip
    assert str(df["metrics.loss"].dtype) == "float64" and str(df["params.lr"].dtype) == "string"
    assert str(df["start_time"].dtype) == "datetime64[ns, UTC]"
    assert df["metrics.loss"].tolist()[:2] == [1.0 / 5, 2.0 / 5]  # the latest step's value
    assert pd.isna(df["metrics.loss"].iloc[2]) and pd.isna(df["params.depth"].iloc[2])
    assert df["params.lr"].tolist() == ["0.1", "0.01", "1"]
    best = cml_ip.run_line_magic("cml", "experiments runs churn --sort metrics.loss --limit 1")
    assert best["name"].tolist() == ["lr-0.1"]
    assert cml_ip.run_line_magic("cml", "experiments runs churn --status failed").empty


def test_metrics_is_the_history_as_a_frame(cml_ip: Any, logged: dict[str, Any]) -> None:
    run = logged["runs"]["lr-0.01"]
    df = cml_ip.run_line_magic("cml", "experiments metrics churn lr-0.01 loss -o hist")
    assert cml_ip.user_ns["hist"] is df
    assert list(df.columns) == ["run_id", "run_name", "key", "step", "value", "timestamp"]
    assert [str(t) for t in df.dtypes] == [
        "string", "string", "string", "Int64", "float64", "datetime64[ns, UTC]",
    ]  # fmt: skip
    assert df["step"].tolist() == [0, 1, 2, 3, 4] and set(df["run_id"]) == {run.id}
    assert df["value"].tolist() == [2.0 / (s + 1) for s in range(5)]
    by_id = cml_ip.run_line_magic(
        "cml", f"experiments metrics {logged['experiment'].id} {run.id} loss"
    )
    assert by_id.equals(df)


def test_list_show_create_delete(cml_ip: Any, logged: dict[str, Any], api: Any) -> None:
    made = cml_ip.run_line_magic("cml", "experiments create tuning --tag team=risk --tag k=v")
    assert made.tag_values == {"team": "risk", "k": "v"}
    df = cml_ip.run_line_magic("cml", "experiments list")
    assert list(df["name"]) == ["churn", "tuning"] and set(df["user"]) == {"alice"}
    assert "created_at" in df.columns and "lifecycle_stage" in df.columns
    across = cml_ip.run_line_magic("cml", "experiments list --all-projects --search tuning")
    assert set(across["project"]) == {logged["project"].id}  # experiments name it by id
    assert cml_ip.run_line_magic("cml", "experiments show tuning").id == made.id
    with capture_output() as captured:
        cml_ip.run_line_magic("cml", "experiments delete tuning")
    assert "Deleted experiment tuning" in captured.stdout
    assert [e.name for e in api.experiments.list(project=logged["project"].id)] == ["churn"]


def test_mistyped_names_are_one_line_with_the_closest(cml_ip: Any, logged: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match=r"no experiment named 'chrun' .*did you mean churn\?"):
        cml_ip.run_line_magic("cml", "experiments runs chrun")
    with pytest.raises(UsageError, match=r"no run named 'lr-0.02' .*did you mean lr-0.01\?"):
        cml_ip.run_line_magic("cml", "experiments metrics churn lr-0.02 loss")
    with pytest.raises(UsageError, match=r"logged no metric 'los' \(did you mean loss\?\)"):
        cml_ip.run_line_magic("cml", "experiments metrics churn lr-0.1 los")
    with pytest.raises(UsageError, match="already exists") as caught:
        cml_ip.run_line_magic("cml", "experiments create churn")
    assert caught.value.kind == "api_error"
    with pytest.raises(UsageError, match="KEY=VALUE"):
        cml_ip.run_line_magic("cml", "experiments create x --tag novalue")


def test_names_of_listed_experiments_complete(cml_ip: Any, logged: dict[str, Any]) -> None:
    from IPython.core.completer import provisionalcompleter

    cml_ip.run_line_magic("cml", "experiments list")
    line = "%cml experiments runs ch"
    with provisionalcompleter():
        found = [c.text for c in cml_ip.Completer.completions(line, len(line))]
    assert found == ["churn"]


def test_plot_draws_one_line_per_run_that_logged_the_metric(
    cml_ip: Any, logged: dict[str, Any]
) -> None:
    from matplotlib.figure import Figure

    with capture_output():
        figure = cml_ip.run_line_magic("cml", "experiments plot churn --metric loss -o chart")
    assert isinstance(figure, Figure) and cml_ip.user_ns["chart"] is figure
    (axes,) = figure.axes
    lines = axes.get_lines()
    assert [line.get_label() for line in lines] == ["lr-0.1", "lr-0.01"]  # lr-1 logged no loss
    assert list(lines[1].get_xdata()) == [0, 1, 2, 3, 4]
    assert list(lines[1].get_ydata()) == [2.0 / (s + 1) for s in range(5)]
    assert axes.get_xlabel() == "step" and axes.get_ylabel() == "loss"


def test_plot_final_is_a_bar_per_run_and_runs_narrow_it(
    cml_ip: Any, logged: dict[str, Any]
) -> None:
    with capture_output():
        final = cml_ip.run_line_magic("cml", "experiments plot churn --metric loss --final")
        one = cml_ip.run_line_magic("cml", "experiments plot churn --metric acc --runs lr-0.01")
    bars = final.axes[0].patches
    assert [round(b.get_height(), 6) for b in bars] == [0.2, 0.4]
    assert [line.get_label() for line in one.axes[0].get_lines()] == ["lr-0.01"]


def test_plot_of_a_metric_no_run_logged_is_one_line(cml_ip: Any, logged: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match=r"logged metric 'los' \(did you mean loss\?\)") as caught:
        cml_ip.run_line_magic("cml", "experiments plot churn --metric los")
    assert caught.value.kind == "bad_argument"
    with pytest.raises(UsageError, match="required: --metric"):
        cml_ip.run_line_magic("cml", "experiments plot churn")


NO_MATPLOTLIB = """
import importlib.abc, json, sys

class NoMatplotlib(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "matplotlib":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoMatplotlib())
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
error = shell.run_cell("%cml experiments plot churn --metric loss").error_in_exec
print(json.dumps([type(error).__name__, getattr(error, "kind", ""), str(error)]))
"""


def test_plot_without_matplotlib_is_one_line_before_any_request() -> None:
    import json
    import os
    import subprocess
    import sys

    from support.servers import free_port

    port = free_port()  # nothing listens there: a request sent first would fail otherwise
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CML_MAGIC_", "CDSW_"))}
    env.update(
        CML_MAGIC_HOST=f"http://127.0.0.1:{port}", CML_MAGIC_API_KEY="k" * 20,
        CML_MAGIC_CONFIG=os.devnull, CML_MAGIC_PROJECT="risk-analysis",
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", NO_MATPLOTLIB], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    kind, tag, message = json.loads(done.stdout.strip().splitlines()[-1])
    assert (kind, tag) == ("UsageError", "missing_extra") and "cml-magic[plot]" in message
