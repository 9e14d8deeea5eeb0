"""`%cml panel` through a real shell against the magics' own local CML server."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.waits import wait_for

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def widget_ip(cml_ip: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`cml_ip` as if in JupyterLab: panels are widgets."""
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    return cml_ip


def test_jobs_panel_is_shown_and_its_run_button_starts_a_run(widget_ip: Any, api: Any) -> None:
    with capture_output() as captured:
        shown = widget_ip.run_line_magic(
            "cml", "panel jobs --project risk-analysis --job quick-check -o form"
        )
    assert shown is None  # displayed once, not again as the cell's value
    assert any(WIDGET_VIEW in output.data for output in captured.outputs)
    form = widget_ip.user_ns["form"]
    assert type(form).__name__ == "RunJobForm"
    assert form.job_picker.label == "quick-check"
    form.add_row("ANALYSIS_REGION", "emea")
    before = {run.id for run in api.runs.list("quick-check", project="risk-analysis")}
    form.run_button.click()
    try:
        assert form.run_widgets, form.messages.text
        started = form.run_widgets[0].obj
        assert started.id not in before
        run = wait_for(
            lambda: api.runs.get(started.id, "quick-check", "risk-analysis"), "the new run"
        )
        assert run.environment == {"ANALYSIS_REGION": "emea"}
    finally:
        for widget in form.run_widgets:
            widget.close()


def test_default_panel_is_all_panels_as_tabs_in_the_used_project(widget_ip: Any) -> None:
    widget_ip.run_line_magic("cml", "use churn-model")
    with capture_output():
        widget_ip.run_line_magic("cml", "panel -o tabs")
    tabs = widget_ip.user_ns["tabs"]
    assert tabs.titles == ("Projects", "Run a job", "Models", "Applications")
    assert tabs.children[1].project_picker.label == "alice/churn-model"


def test_outside_a_widget_frontend_the_panel_is_a_listing(
    cml_ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "0")
    with capture_output() as captured:
        df = cml_ip.run_line_magic("cml", "panel jobs -p risk-analysis")
    assert isinstance(df, pd.DataFrame)
    assert {"nightly", "fit", "quick-check"} <= set(df["name"])
    assert "panels need a widget front end" in captured.stderr


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("panel bogus", "unknown panel 'bogus': choose one of projects, jobs, models, apps"),
        ("panel models --job nightly", "--job belongs to the jobs panel"),
        ("panel jobs --jbo nightly", "did you mean --job?"),
        ("panel jobs extra", "unexpected argument 'extra'"),
    ],
)
def test_bad_panel_lines_are_one_line_usage_errors(cml_ip: Any, line: str, text: str) -> None:
    with pytest.raises(UsageError) as caught:
        cml_ip.run_line_magic("cml", line)
    assert text in str(caught.value)
    assert "\n" not in str(caught.value)


def test_panel_help(ip: Any) -> None:
    for line in ("panel --help", "help panel"):
        with capture_output() as captured:
            ip.run_line_magic("cml", line)
        assert "%cml panel" in captured.stdout and "--job" in captured.stdout
    with capture_output() as captured:
        ip.run_line_magic("cml", "help")
    assert "%cml panel [projects|jobs|models|apps]" in captured.stdout
