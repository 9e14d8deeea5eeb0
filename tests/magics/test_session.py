"""`%cml use`, `%cml config`, the CML session's project, display limit, logs, Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from typing import Any

import pytest
from IPython.utils.capture import capture_output
from support.waits import wait_for


def test_use_sets_the_default_project(cml_ip: Any, magics: Any, api: Any) -> None:
    with capture_output() as captured:
        project = cml_ip.run_line_magic("cml", "use risk-analysis")
    assert magics.project == project.id
    assert "Using project risk-analysis" in captured.stdout
    df = cml_ip.run_line_magic("cml", "jobs list")
    assert "nightly" in set(df["name"])


def test_project_of_the_cml_session_is_the_default(
    ip: Any, magic_server: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    risk = api.projects.get("risk-analysis")
    monkeypatch.setenv("CDSW_API_URL", magic_server.url + "/api/v1")
    monkeypatch.setenv("CDSW_APIV2_KEY", magic_server.api_key)
    monkeypatch.setenv("CDSW_PROJECT_ID", risk.id)
    df = ip.run_line_magic("cml", "jobs list")
    assert {"nightly", "fit"} <= set(df["name"])


def test_config_shows_settings_and_masks_the_key(cml_ip: Any, magic_server: Any) -> None:
    with capture_output() as captured:
        cml_ip.run_line_magic("cml", "config")
    out = captured.stdout
    assert magic_server.url in out
    assert "********" in out
    assert magic_server.api_key not in out
    assert magic_server.api_key[-4:] not in out


def test_display_limit_keeps_every_row(cml_ip: Any) -> None:
    cml_ip.run_line_magic("config", "CMLMagics.display_limit = 1")
    df = cml_ip.run_line_magic("cml", "jobs list --project risk-analysis")
    assert len(df) >= 3
    data, _ = cml_ip.display_formatter.format(df)
    assert f"1 of {len(df)} rows shown" in data["text/plain"]


def test_logs_print_the_run_output(cml_ip: Any) -> None:
    run = cml_ip.run_line_magic("cml", "jobs run nightly --project risk-analysis --wait")
    with capture_output() as captured:
        cml_ip.run_line_magic("cml", f"runs logs {run.id} --job nightly --project risk-analysis")
    assert "ANALYSIS_LEVEL=job" in captured.stdout


@pytest.mark.parametrize("mode", ["--wait", "--watch"])
def test_ctrl_c_while_waiting_stops_the_run(cml_ip: Any, api: Any, mode: str) -> None:
    cml_ip.run_line_magic("cml", "use risk-analysis")
    started: dict[str, Any] = {}
    tag = uuid.uuid4().hex  # tells this test's run from any other

    def interrupt_when_running() -> None:
        def running() -> bool:
            for run in api.runs.list("nightly", project="risk-analysis", limit=5):
                if run.environment.get("ANALYSIS_TAG") == tag and run.status == "ENGINE_RUNNING":
                    started["run"] = run
                    return True
            return False

        wait_for(running, "the run to start")
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C (or a kernel interrupt) sends

    helper = threading.Thread(target=interrupt_when_running, daemon=True)
    helper.start()
    with capture_output() as captured, pytest.raises(KeyboardInterrupt):
        cml_ip.run_line_magic(
            "cml", f"jobs run nightly --env ANALYSIS_SECONDS=60 --env ANALYSIS_TAG={tag} {mode}"
        )
    helper.join(timeout=30)
    run = started["run"]
    assert "Interrupted: asked CML to stop run" in captured.stdout
    wait_for(
        lambda: api.runs.get(run.id, "nightly", "risk-analysis").status == "ENGINE_STOPPED",
        "the run to stop",
    )


def test_config_without_settings_says_what_is_missing(ip: Any) -> None:
    with capture_output() as captured:
        ip.run_line_magic("cml", "config")
    out = captured.stdout
    assert "host           not set" in out
    assert "api key        not set" in out
    assert "Not ready: no CML host" in out
