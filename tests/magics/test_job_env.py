"""`%%cml_job_env` starts a real run whose environment is the cell body."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError


def test_dotenv_body_reaches_the_run(
    cml_ip: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERNEL_REGION", "apac")
    cml_ip.user_ns["start"] = "2017-01-01"
    body = (
        "# what the demo script prints: ANALYSIS_* variables\n"
        "export ANALYSIS_START={start}\n"
        'ANALYSIS_NOTE="two words"\n'
        "ANALYSIS_REGION=${KERNEL_REGION}\n"
    )
    run = cml_ip.run_cell_magic(
        "cml_job_env",
        "nightly --project risk-analysis --arguments '--mode quick' --wait -o r",
        body,
    )
    assert run is cml_ip.user_ns["r"]
    assert run.succeeded
    assert run.environment == {
        "ANALYSIS_START": "2017-01-01",
        "ANALYSIS_NOTE": "two words",
        "ANALYSIS_REGION": "apac",
    }
    log = api.runs.output(run)
    for line in (
        "ANALYSIS_START=2017-01-01",
        "ANALYSIS_NOTE=two words",
        "ANALYSIS_REGION=apac",
        "JOB_ARGUMENTS='--mode quick'",
    ):
        assert line in log
    # The job's own variables still apply where the cell does not override them.
    assert "ANALYSIS_OWNER=alice" in log


def test_json_body(cml_ip: Any, api: Any) -> None:
    run = cml_ip.run_cell_magic(
        "cml_job_env",
        "nightly --project risk-analysis --wait",
        '{"ANALYSIS_LEVEL": "cell", "ANALYSIS_COUNT": 3}',
    )
    assert "ANALYSIS_LEVEL=cell" in api.runs.output(run)
    assert "ANALYSIS_COUNT=3" in api.runs.output(run)


def test_bad_body_sends_nothing(cml_ip: Any, api: Any) -> None:
    before = len(api.runs.list("nightly", project="risk-analysis"))
    with pytest.raises(UsageError, match="line 3"):
        cml_ip.run_cell_magic("cml_job_env", "nightly --project risk-analysis", "A=1\nB=2\nC D\n")
    assert len(api.runs.list("nightly", project="risk-analysis")) == before


def test_single_quoted_values_reach_the_run_unexpanded(
    cml_ip: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERNEL_REGION", "apac")
    cml_ip.user_ns["start"] = "2017-01-01"
    run = cml_ip.run_cell_magic(
        "cml_job_env",
        "nightly --project risk-analysis --wait",
        "ANALYSIS_LITERAL='${KERNEL_REGION}/{start}'\nANALYSIS_EXPANDED=\"${KERNEL_REGION}/{start}\"\n",
    )
    assert run.environment == {
        "ANALYSIS_LITERAL": "${KERNEL_REGION}/{start}",
        "ANALYSIS_EXPANDED": "apac/2017-01-01",
    }
    log = api.runs.output(run)
    assert "ANALYSIS_LITERAL=${KERNEL_REGION}/{start}" in log
    assert "ANALYSIS_EXPANDED=apac/2017-01-01" in log


def test_a_body_python_dotenv_cannot_read_starts_no_run(cml_ip: Any, api: Any) -> None:
    """It used to start a run with an empty environment after a printed warning."""
    before = len(api.runs.list("nightly", project="risk-analysis"))
    with pytest.raises(UsageError, match="^line 2: text after the closing ' quote"):
        cml_ip.run_cell_magic(
            "cml_job_env", "nightly --project risk-analysis", "# note\nANALYSIS_NOTE='two' words\n"
        )
    assert len(api.runs.list("nightly", project="risk-analysis")) == before
