"""Listings display up to the limit but keep every row."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from cml_magic.magics.results import limit_display

# What a notebook frontend asks for (the test shell is a terminal one: text only).
BOTH = {"text/plain", "text/html"}


@pytest.fixture
def html_ip(cml_ip: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`cml_ip` whose display also makes HTML, as a notebook's does."""
    monkeypatch.setattr(cml_ip.display_formatter.formatters["text/html"], "enabled", True)
    return cml_ip


def test_display_is_cut_but_the_frame_is_whole(ip: Any) -> None:
    frame = limit_display(pd.DataFrame({"name": [f"job-{i}" for i in range(100)]}), 5)
    assert len(frame) == 100
    data, _ = ip.display_formatter.format(frame, include=BOTH)
    html, text = data["text/html"], data["text/plain"]
    assert "5 of 100 rows shown" in html and "5 of 100 rows shown" in text
    assert "job-4" in html and "job-5" not in html
    assert "job-99" not in text
    # Derived frames are ordinary frames again.
    data, _ = ip.display_formatter.format(frame.tail(3), include=BOTH)
    assert "rows shown" not in data["text/plain"]
    assert "job-99" in data["text/plain"]


def test_short_frames_and_no_limit_are_untouched(ip: Any) -> None:
    small = limit_display(pd.DataFrame({"a": range(3)}), 5)
    unlimited = limit_display(pd.DataFrame({"a": range(30)}), 0)
    for frame in (small, unlimited):
        data, _ = ip.display_formatter.format(frame, include=BOTH)
        assert "rows shown" not in data["text/plain"]


def test_a_shown_object_displays_its_key_fields_only(html_ip: Any) -> None:
    job = html_ip.run_line_magic("cml", "jobs show nightly --project risk-analysis")
    data, _ = html_ip.display_formatter.format(job, include=BOTH)
    text, rich = data["text/plain"], data["text/html"]
    assert text.startswith("Job(name: nightly,\n")
    for shown in (f"id: {job.id}", "script: analysis.py", "project: risk-analysis"):
        assert shown in text
    assert "creator" not in text and "retry_delay" not in text  # not every field
    assert len(text.splitlines()) <= 8 and max(map(len, text.splitlines())) < 100
    assert "<caption>Job</caption>" in rich and "<td style='text-align:left'>nightly</td>" in rich
    assert job.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") in text


def test_a_run_from_a_cell_shows_its_environment_with_secrets_masked(html_ip: Any) -> None:
    with capture_output():
        run = html_ip.run_cell_magic(
            "cml_job_env",
            "quick-check --project risk-analysis --wait",
            "REGION=emea\nDB_PASSWORD=hunter2-secret\n",
        )
    assert run.environment["DB_PASSWORD"] == "hunter2-secret"  # the value itself is intact
    data, _ = html_ip.display_formatter.format(run, include=BOTH)
    for shown in (*data.values(), repr(run)):
        assert "REGION=emea" in shown or "'REGION': 'emea'" in shown
        assert "hunter2-secret" not in shown
    assert "status: ENGINE_SUCCEEDED" in data["text/plain"]
    assert "environment: REGION=emea, DB_PASSWORD=******" in data["text/plain"]


def test_runs_show_names_the_job_and_keeps_its_id(html_ip: Any, api: Any) -> None:
    job = api.jobs.get("quick-check", project="risk-analysis")
    run = api.runs.create(job.id, project="risk-analysis")  # this shell has seen no name
    # By id with nothing seen before (the job asked once), then found among the jobs.
    for line in (f"runs show {run.id} --job {job.id} --project risk-analysis",
                 f"runs show {run.id} --project risk-analysis"):  # fmt: skip
        shown = html_ip.run_line_magic("cml", line)
        assert shown.job_id == job.id and shown.job_name == "quick-check"
        data, _ = html_ip.display_formatter.format(shown, include=BOTH)
        assert f"job: quick-check ({job.id})" in data["text/plain"]
        assert "job_id" not in data["text/plain"] and "job_id" not in data["text/html"]


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The kernel's local time is UTC+05:30 (no summer time), so local times can be checked."""
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_run_listing_shows_seconds_in_local_time_durations_and_job_names(
    html_ip: Any, api: Any, kolkata: Any
) -> None:
    with capture_output():
        html_ip.run_line_magic("cml", "jobs run fit --project risk-analysis --wait")
    frame = html_ip.run_line_magic("cml", "runs list --job fit --project risk-analysis")
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"  # the frame stays full
    assert str(frame["duration"].dtype) == "timedelta64[ns]"
    data, _ = html_ip.display_formatter.format(frame, include=BOTH)
    text, rich = data["text/plain"], data["text/html"]
    first = frame.iloc[0]
    local = first["created_at"].tz_convert("Asia/Kolkata").strftime("%Y-%m-%d %H:%M:%S")
    assert local in text and local in rich
    assert "+00:00" not in text and "+00:00" not in rich
    assert first["created_at"].strftime("%H:%M:%S.%f") not in text  # no microseconds
    assert "times are local (UTC+05:30)" in text
    assert list(frame["job"].unique()) == ["fit"]
    assert first["duration"] >= pd.Timedelta(0) and first["job_id"] != "fit"
    assert "white-space: nowrap" in rich
    assert max(len(line) for line in text.splitlines()) > len(first["id"])  # ids not cut


def test_duration_text() -> None:
    from cml_magic.magics.results import duration_text

    assert duration_text(pd.Timedelta(seconds=4.4)) == "4s"
    assert duration_text(pd.Timedelta(seconds=125)) == "2m 05s"
    assert duration_text(pd.Timedelta(hours=1, seconds=63)) == "1h 01m 03s"
    assert duration_text(pd.NaT) == ""


def test_an_empty_listing_says_so(html_ip: Any, api: Any) -> None:
    job = api.jobs.create("never-run", "analysis.py", project="risk-analysis")
    try:
        frame = html_ip.run_line_magic("cml", "runs list --job never-run -p risk-analysis")
        assert len(frame) == 0 and "finished_at" in frame.columns
        data, _ = html_ip.display_formatter.format(frame, include=BOTH)
        assert data["text/plain"].startswith("no runs yet\n")
        assert data["text/html"].startswith("<p>no runs yet</p>")
        assert "times are local" not in data["text/plain"]
    finally:
        api.jobs.delete(job.id, project="risk-analysis")


def test_runtimes_have_unique_short_names_that_runtime_takes(html_ip: Any, api: Any) -> None:
    frame = html_ip.run_line_magic("cml", "runtimes list")
    assert frame["name"].is_unique and frame["image_identifier"].is_unique
    assert all("/" not in name for name in frame["name"])
    row = frame.iloc[1]
    data, _ = html_ip.display_formatter.format(frame, include=BOTH)
    assert row["name"] in data["text/plain"]
    with capture_output():
        job = html_ip.run_line_magic(
            "cml",
            f"jobs create on-runtime --script fit.py -p risk-analysis --runtime {row['name']}",
        )
    try:
        assert job.runtime_identifier == row["image_identifier"]
        with pytest.raises(UsageError) as caught:
            html_ip.run_line_magic(
                "cml", "jobs update on-runtime -p risk-analysis --runtime jupyterlab-pyton3.12"
            )
        assert str(caught.value).startswith("no runtime named 'jupyterlab-pyton3.12' (did you")
    finally:
        api.jobs.delete(job.id, project="risk-analysis")


def test_a_listing_shows_markup_in_its_values_as_text(html_ip: Any, api: Any) -> None:
    markup = '<img src="x" onerror="alert(1)"><b>bold</b>'
    project = api.projects.create("markup-in-a-description", description=markup)
    try:
        frame = html_ip.run_line_magic("cml", "projects list --search markup-in-a-description")
        assert list(frame["description"]) == [markup]  # the frame keeps the value as sent
        data, _ = html_ip.display_formatter.format(frame, include=BOTH)
        rich = data["text/html"]
        assert "<img" not in rich and "<b>" not in rich
        assert "&lt;b&gt;bold&lt;/b&gt;" in rich
    finally:
        api.projects.delete(project.id)


def test_a_listing_shows_floats_to_two_places_and_missing_ones_as_nan(ip: Any) -> None:
    frame = limit_display(pd.DataFrame({"cpu": [1.0, 0.125, float("nan")]}), 5)
    data, _ = ip.display_formatter.format(frame, include=BOTH)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", data["text/html"]) == ["1.00", "0.12", "nan"]
