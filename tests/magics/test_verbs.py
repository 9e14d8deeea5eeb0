"""Every resource's verbs, end to end against the local server (and checked with the API)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from IPython.utils.capture import capture_output


def cml(ip: Any, line: str) -> Any:
    with capture_output():
        return ip.run_line_magic("cml", line)


def test_project_and_job_lifecycle(cml_ip: Any, api: Any) -> None:
    project = cml(cml_ip, "projects create magic-scratch --description first --template python")
    try:
        assert cml(cml_ip, "projects show magic-scratch").id == project.id
        cml(cml_ip, "projects update magic-scratch --description second")
        assert api.projects.get(project.id).description == "second"
        cml(cml_ip, "use magic-scratch")
        job = cml(cml_ip, "jobs create scratch --script analysis.py --env ANALYSIS_LEVEL=made")
        assert job.environment == {"ANALYSIS_LEVEL": "made"}
        cml(cml_ip, "jobs update scratch --arguments '--mode fast' --cpu 2")
        updated = cml(cml_ip, "jobs show scratch")
        assert (updated.arguments, updated.cpu) == ("--mode fast", 2.0)
        files = cml(cml_ip, "files ls")
        assert "analysis.py" in set(files["path"])
        cml(cml_ip, "jobs delete scratch")
        assert len(cml(cml_ip, "jobs list")) == 0
    finally:
        cml(cml_ip, "use --clear")
        cml(cml_ip, "projects delete magic-scratch")
    names = set(cml(cml_ip, "projects list")["name"])
    assert "magic-scratch" not in names


def test_run_show_wait_and_logs_without_job(cml_ip: Any) -> None:
    cml(cml_ip, "use risk-analysis")
    run = cml(cml_ip, "jobs run quick-check")
    assert cml(cml_ip, f"runs show {run.id}").id == run.id
    finished = cml(cml_ip, f"runs wait {run.id} --timeout 30")
    assert finished.status == "ENGINE_SUCCEEDED"
    with capture_output() as captured:
        cml_ip.run_line_magic("cml", f"runs logs {run.id}")
    assert "analysis starting" in captured.stdout
    runs = cml(cml_ip, "runs list --job quick-check --limit 1")
    assert list(runs["id"]) == [run.id]


def test_model_build_deploy_stop_restart(cml_ip: Any, api: Any) -> None:
    cml(cml_ip, "use churn-model")
    model = cml(cml_ip, "models create scorer --no-auth")
    try:
        cml(cml_ip, "models update scorer --description 'scores churn'")
        assert cml(cml_ip, "models show scorer").description == "scores churn"
        build = cml(cml_ip, "models build scorer --file predict.py --function predict --wait")
        assert build.succeeded
        assert cml(cml_ip, f"builds show {build.id} --model scorer").id == build.id
        assert cml(cml_ip, f"builds wait {build.id} --model scorer").succeeded
        deployment = cml(cml_ip, "models deploy --model scorer --replicas 1 --wait")
        assert deployment.status == "deployed"
        listed = cml(cml_ip, "deployments list --model scorer")
        assert deployment.id in set(listed["id"])
        shown = cml(cml_ip, f"deployments show {deployment.id} --model scorer")
        assert shown.build_id == build.id
        cml(cml_ip, f"deployments stop {deployment.id} --model scorer")
        restarted = cml(cml_ip, f"deployments restart {deployment.id} --model scorer --wait")
        assert restarted.status == "deployed"
        cml(cml_ip, f"deployments stop {deployment.id} --model scorer")
    finally:
        cml(cml_ip, "models delete scorer")
    assert model.id not in {m.id for m in api.models.list(project="churn-model")}


def test_app_show_update_stop(cml_ip: Any) -> None:
    cml(cml_ip, "use risk-analysis")
    cml(cml_ip, "apps create board --script app.py --subdomain board --description one")
    try:
        cml(cml_ip, "apps update board --description two")
        assert cml(cml_ip, "apps show board").description == "two"
        listed = cml(cml_ip, "apps list --search board")
        assert list(listed["name"]) == ["board"]
        stopped = cml(cml_ip, "apps stop board")
        assert stopped.status in {"APPLICATION_STOPPING", "APPLICATION_STOPPED"}
    finally:
        cml(cml_ip, "apps delete board")


def test_empty_listing_keeps_its_columns(cml_ip: Any) -> None:
    df = cml(cml_ip, "projects list --search no-project-has-this-name")
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 0
    assert "name" in df.columns


def test_watch_in_a_widget_frontend_shows_the_widget_and_returns_the_run(
    cml_ip: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    with capture_output() as captured:
        widget = cml_ip.run_line_magic(
            "cml", "jobs run quick-check --project risk-analysis --watch"
        )
    run = widget.run  # the widget is returned; its `.run` is the run as last seen
    assert type(run).__name__ == "JobRun"
    shown = [o.data for o in captured.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in data for data in shown)
    api.wait_for_run(run, timeout=30, poll_interval=0.05)


def test_completion_fetches_project_names_once(cml_ip: Any, magics: Any) -> None:
    from IPython.core.completer import provisionalcompleter

    line = "%cml jobs list --project ri"
    with provisionalcompleter():
        matches = [c.text for c in cml_ip.Completer.completions(line, len(line))]
    assert matches == ["risk-analysis"]


def test_json_filter_survives_ipython_expansion(cml_ip: Any) -> None:
    cml_ip.run_cell("""found = %cml projects list --filter '{"name": "risk"}'""")
    assert list(cml_ip.user_ns["found"]["name"]) == ["risk-analysis"]
