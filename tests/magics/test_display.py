"""Listings display up to the limit but keep every row."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
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
