"""The project browser, the run form and `panel()` against the local CML server."""

from __future__ import annotations

import ipywidgets as w
import pytest
from support.listeners import idle_job
from support.waits import wait_for

from cml_magic import widgets
from cml_magic.widgets.panels.projects import ProjectBrowser
from cml_magic.widgets.panels.run_form import RunJobForm
from cml_magic.widgets.run_widget import RunWidget


def texts(box) -> str:
    """All HTML/label text under a widget, to look for what a user would read."""
    out, stack = [], [box]
    while stack:
        part = stack.pop()
        out.append(str(getattr(part, "value", "") or ""))
        out.append(str(getattr(part, "description", "") or ""))
        stack.extend(getattr(part, "children", ()))
    return " ".join(out)


def run_count(cml) -> int:
    return len(cml.runs.list("nightly", project="risk-analysis", limit=500))


def test_browser_searches_lists_jobs_and_recent_runs(cml, poller):
    browser = ProjectBrowser(cml, poller=poller)
    labels = [label for label, _ in browser.projects.options]
    assert "alice/risk-analysis" in labels and "alice/churn-model" in labels
    browser.search.value = "churn"
    assert [label for label, _ in browser.projects.options] == ["alice/churn-model"]
    browser.search.value = ""
    risk = dict(browser.projects.options)["alice/risk-analysis"]
    browser.projects.value = risk
    assert {"nightly", "fit", "quick-check"} <= set(browser.job_buttons)
    assert "analysis.py" in texts(browser.jobs)
    idle_job(cml)
    cml.wait_for_run(
        cml.runs.create("nightly", environment={"ANALYSIS_SECONDS": "0"}),
        timeout=30,
        poll_interval=0.05,
    )
    browser.job_buttons["nightly"].click()
    shown = texts(browser.runs)
    assert "Recent runs of nightly" in shown and "succeeded" in shown


def test_run_from_the_browser_with_environment_overrides(cml, poller):
    browser = ProjectBrowser(cml, poller=poller)
    browser.projects.value = dict(browser.projects.options)["alice/risk-analysis"]
    browser.run_buttons["nightly"].click()
    form = browser.form_area.children[0]
    assert isinstance(form, RunJobForm)
    assert form.job_picker.label == "nightly"
    form.add_button.click()
    row = form.rows.children[0]
    row.key.value, row.value_box.value = "ANALYSIS_SECONDS", "0.1"
    form.add_row("ANALYSIS_TOKEN", "tok-123")
    idle_job(cml)
    form.run_button.click()
    widget = form.run_widgets[0]
    assert isinstance(widget, RunWidget) and widget in form.runs.children
    wait_for(lambda: widget.status == "ENGINE_SUCCEEDED", timeout=30)
    wait_for(lambda: "ANALYSIS_SECONDS=0.1" in widget.output.value, what="override in output")
    assert "tok-123" not in widget.environment.value


def test_env_editor_hides_secret_values_and_removes_rows(cml, poller):
    form = RunJobForm(cml, job="nightly", poller=poller)
    row = form.add_row("REGION", "emea")
    assert isinstance(row.value_box, w.Text) and not isinstance(row.value_box, w.Password)
    row.key.value = "DB_PASSWORD"
    assert isinstance(row.value_box, w.Password) and row.value_box.value == "emea"
    assert row.value_box in row.children
    row.remove.click()
    assert form.rows.children == ()
    assert form.environment() == {}


def test_env_editor_hides_a_key_under_a_harmless_name(cml, poller, local_cml):
    """The key of the form's own client is hidden like a secret-named value, under any name."""
    form = RunJobForm(cml, job="nightly", poller=poller)
    row = form.add_row("FOO", local_cml.api_key)
    assert isinstance(row.value_box, w.Password)
    row.key.value = "BAR"
    assert isinstance(row.value_box, w.Password)
    assert isinstance(form.add_row("FOO", "plain").value_box, w.Text)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("1BAD", "x")], "row 1: '1BAD' is not a variable name"),
        ([("A", "1"), ("A", "2")], "row 2: A is set twice"),
        ([("", "orphan value")], "row 1: the value has no variable name"),
    ],
)
def test_bad_overrides_are_refused_before_anything_is_sent(cml, poller, rows, message):
    form = RunJobForm(cml, job="nightly", project="risk-analysis", poller=poller)
    for key, value in rows:
        form.add_row(key, value)
    before = run_count(cml)
    form.run_button.click()
    assert message in form.messages.text
    assert form.run_widgets == []
    assert run_count(cml) == before


def test_form_without_a_job_preselects_the_first(cml, poller):
    form = RunJobForm(cml, poller=poller)
    assert form.project_picker.label == "alice/risk-analysis"  # the client's default project
    assert form.job_picker.value is not None


def test_unknown_job_is_one_line_in_the_form(cml, poller):
    form = RunJobForm(cml, job="no-such-job", poller=poller)
    assert "job no-such-job not found" in form.messages.text


def test_panel_by_name_and_as_tabs(cml, poller, monkeypatch):
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    assert isinstance(widgets.panel(cml, "jobs", poller=poller), RunJobForm)
    assert isinstance(widgets.panel(cml, "projects", poller=poller), ProjectBrowser)
    tabs = widgets.panel(cml, poller=poller)
    assert isinstance(tabs, w.Tab) and len(tabs.children) == 4
    assert tabs.titles == ("Projects", "Run a job", "Models", "Applications")


def test_unknown_panel_name_lists_the_choices(cml):
    with pytest.raises(ValueError, match="unknown panel 'bogus': choose one of projects, jobs"):
        widgets.panel(cml, "bogus")


def test_panel_outside_a_widget_frontend_returns_a_listing(cml, capsys):
    listing = widgets.panel(cml, "jobs", project="risk-analysis")
    assert "panels need a widget front end" in capsys.readouterr().err
    assert "nightly" in list(listing["name"])


def test_the_name_box_holds_a_long_name_and_grows(cml, poller):
    from cml_magic.widgets.panels.run_form import key_width

    form = RunJobForm(cml, job="nightly", poller=poller)
    row = form.add_row("ANALYSIS_DB_PASSWORD", "pw")

    def chars(width: str) -> float:
        assert width.endswith("ch")
        return float(width[:-2])

    # A capital is about 1.2 `ch` wide: the name must fit with room to spare.
    assert chars(row.key.layout.width) >= 1.2 * len("ANALYSIS_DB_PASSWORD") + 2
    longer = "ANALYSIS_WAREHOUSE_CONNECTION_PASSWORD"
    row.key.value = longer
    assert chars(row.key.layout.width) >= 1.2 * len(longer) + 2
    assert row.key.layout.width == key_width(longer)


def test_the_form_shows_the_jobs_own_environment_masked(cml, poller):
    import uuid

    name = f"form-env-{uuid.uuid4().hex[:6]}"
    job = cml.jobs.create(
        name,
        "analysis.py",
        project="risk-analysis",
        environment={"ANALYSIS_DB_PASSWORD": "pw-s3cret", "REGION": "emea"},
    )
    try:
        form = RunJobForm(cml, job=name, project="risk-analysis", poller=poller)
        shown = form.job_environment.value
        assert "REGION=emea" in shown
        assert "ANALYSIS_DB_PASSWORD=******" in shown
        assert "pw-s3cret" not in shown
        form.job_picker.value = next(v for label, v in form.job_picker.options if label != name)
        assert "REGION=emea" not in form.job_environment.value  # follows the chosen job
    finally:
        cml.jobs.delete(job.id, project="risk-analysis")
