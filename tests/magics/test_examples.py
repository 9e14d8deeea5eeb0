"""The issue's examples, verbatim, through a real shell against the local CML server."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.waits import wait_for


def test_projects_list_search_limit(cml_ip: Any) -> None:
    df = cml_ip.run_line_magic("cml", "projects list --search demo --limit 50")
    assert isinstance(df, pd.DataFrame)
    assert all("demo" in name for name in df["name"])
    everything = cml_ip.run_line_magic("cml", "projects list")
    assert {"risk-analysis", "churn-model"} <= set(everything["name"])


def test_jobs_list_in_a_project_assignable_and_stored(cml_ip: Any) -> None:
    cml_ip.run_cell("df = %cml jobs list --project risk-analysis -o jobs_df")
    df = cml_ip.user_ns["df"]
    assert isinstance(df, pd.DataFrame)
    assert set(df["name"]) == {"nightly", "fit", "quick-check"}
    assert cml_ip.user_ns["jobs_df"] is df


def test_jobs_run_by_ui_number_with_env_and_wait(cml_ip: Any, api: Any) -> None:
    cml_ip.run_line_magic("cml", "use risk-analysis")
    with capture_output() as captured:
        run = cml_ip.run_line_magic(
            "cml", "jobs run 208 --env START_DATE=2017-01-01 --env END_DATE=2017-01-31 --wait"
        )
    assert run.status == "ENGINE_SUCCEEDED"
    assert run.environment["START_DATE"] == "2017-01-01"
    assert run.environment["END_DATE"] == "2017-01-31"
    assert f"run {run.id} of job 208: ENGINE_SUCCEEDED" in captured.stdout
    # The run really had them: the demo script prints the variables named by its prefix.
    run = cml_ip.run_line_magic(
        "cml", "jobs run 208 --env ANALYSIS_PREFIX=START_ --env START_DATE=2017-01-01 --wait"
    )
    log = api.runs.output(run)
    assert "START_DATE=2017-01-01" in log


def test_runs_list_by_job_and_status(cml_ip: Any) -> None:
    # A bad number makes the demo script fail; --wait then fails the cell after -o stored it.
    with pytest.raises(UsageError, match="ENGINE_FAILED") as caught:
        cml_ip.run_line_magic(
            "cml",
            "jobs run nightly --project risk-analysis --env ANALYSIS_SECONDS=oops --wait -o bad",
        )
    assert caught.value.kind == "run_failed"
    failed = cml_ip.user_ns["bad"]
    assert failed.status == "ENGINE_FAILED"
    cml_ip.run_line_magic("cml", "use risk-analysis")
    df = cml_ip.run_line_magic("cml", "runs list --job nightly --status failed")
    assert failed.id in set(df["id"])
    assert set(df["status"]) == {"ENGINE_FAILED"}


def test_runs_stop(cml_ip: Any, magics: Any, api: Any) -> None:
    cml_ip.run_line_magic("cml", "use risk-analysis")
    run = cml_ip.run_line_magic("cml", "jobs run nightly --env ANALYSIS_SECONDS=60")
    wait_for(
        lambda: api.runs.get(run.id, "nightly", "risk-analysis").status == "ENGINE_RUNNING",
        "the run to start",
    )
    stopped = cml_ip.run_line_magic("cml", f"runs stop {run.id}")
    assert stopped.status in {"ENGINE_STOPPING", "ENGINE_STOPPED"}
    wait_for(
        lambda: api.runs.get(run.id, "nightly", "risk-analysis").status == "ENGINE_STOPPED",
        "the run to stop",
    )
    # Without the cache of runs seen, the run is found by asking the project's jobs.
    other = cml_ip.run_line_magic("cml", "jobs run fit --env ANALYSIS_SECONDS=60")
    magics.names.clear()
    cml_ip.run_cell("%cml runs stop {other.id}".replace("{other.id}", other.id))
    wait_for(
        lambda: api.runs.get(other.id, "fit", "risk-analysis").finished, "the other run to end"
    )


def test_models_build_watch(cml_ip: Any) -> None:
    cml_ip.run_line_magic("cml", "use churn-model")
    cml_ip.run_line_magic("cml", "models create churn --description 'churn scores'")
    with capture_output():
        build = cml_ip.run_line_magic(
            "cml", "models build --model churn --file predict.py --function predict --watch"
        )
    assert build.succeeded
    builds = cml_ip.run_line_magic("cml", "builds list --model churn")
    assert build.id in set(builds["id"])


def test_apps_restart(cml_ip: Any, api: Any) -> None:
    cml_ip.run_line_magic("cml", "use risk-analysis")
    app = cml_ip.run_line_magic(
        "cml", "apps create dashboard --script app.py --subdomain dashboard"
    )
    try:
        restarted = cml_ip.run_line_magic("cml", "apps restart dashboard")
        assert restarted.id == app.id
        assert restarted.status in {"APPLICATION_STARTING", "APPLICATION_RUNNING"}
    finally:
        cml_ip.run_line_magic("cml", "apps stop dashboard")
        cml_ip.run_line_magic("cml", "apps delete dashboard")


def test_runtimes_list_search(cml_ip: Any) -> None:
    df = cml_ip.run_line_magic("cml", "runtimes list --search jupyter")
    assert isinstance(df, pd.DataFrame)
    assert len(df) > 0
    assert all("jupyter" in " ".join(map(str, row)).lower() for row in df.itertuples())


def test_jobs_start_v1(cml_ip: Any, api: Any) -> None:
    engine_id = cml_ip.run_line_magic("cml", "jobs start-v1 alice/risk-analysis/208 --env K=V")
    assert isinstance(engine_id, str) and engine_id
    run = api.runs.get(engine_id, "nightly", project="risk-analysis")
    assert run.environment["K"] == "V"
    api.wait_for_run(run, timeout=30, poll_interval=0.05)
