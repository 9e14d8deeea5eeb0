"""`%cml use`, `%cml config`, the CML session's project, display limit, logs, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.shell import shown as shown_cell
from support.waits import wait_for

ROOT = Path(__file__).resolve().parents[2]


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
            "cml",
            f"jobs run nightly --env ANALYSIS_SECONDS=60 --env ANALYSIS_TAG={tag} {mode}"
            " -o interrupted",
        )
    helper.join(timeout=30)
    run = started["run"]
    assert "Interrupted: asked CML to stop run" in captured.stdout
    # -o holds the run as the stop left it.
    assert cml_ip.user_ns["interrupted"].id == run.id
    assert cml_ip.user_ns["interrupted"].status in {"ENGINE_STOPPING", "ENGINE_STOPPED"}
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


def test_use_is_the_default_project_of_from_env_too(cml_ip: Any) -> None:
    from cml_magic.api import CML

    assert "CML_MAGIC_PROJECT" not in os.environ  # the fixture cleared it
    with capture_output():
        project = cml_ip.run_line_magic("cml", "use risk-analysis")
    # The widgets page's example: a client of the notebook's own, no project passed.
    with CML.from_env() as cml:
        assert cml.project == project.id
        assert {job.name for job in cml.jobs.list()} >= {"nightly", "quick-check"}
    with capture_output():
        cml_ip.run_line_magic("cml", "use --clear")
    with CML.from_env() as cml:
        assert cml.project is None
    assert "CML_MAGIC_PROJECT" not in os.environ


def test_unloading_gives_the_project_variable_back(
    cml_ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cml_magic.magics import load_ipython_extension, unload_ipython_extension

    unload_ipython_extension(cml_ip)
    monkeypatch.setenv("CML_MAGIC_PROJECT", "churn-model")  # set when the notebook starts
    load_ipython_extension(cml_ip)
    with capture_output():
        cml_ip.run_line_magic("cml", "use risk-analysis")
    assert os.environ["CML_MAGIC_PROJECT"] != "churn-model"
    unload_ipython_extension(cml_ip)
    assert os.environ["CML_MAGIC_PROJECT"] == "churn-model"
    load_ipython_extension(cml_ip)  # the fixture unloads it


def test_config_reports_the_host_when_only_the_key_is_missing(
    ip: Any, magic_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CML_MAGIC_HOST", magic_server.url)
    with capture_output() as captured:
        ip.run_line_magic("cml", "config")
    out = captured.stdout
    assert f"host           {magic_server.url}" in out
    assert "api key        not set" in out
    assert "Not ready: no CML API key" in out


def test_config_reports_the_key_when_only_the_host_is_missing(
    ip: Any, magic_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CML_MAGIC_API_KEY", magic_server.api_key)
    with capture_output() as captured:
        ip.run_line_magic("cml", "config")
    out = captured.stdout
    assert "host           not set" in out
    assert "api key        ********  set (from the environment or config file)" in out
    assert magic_server.api_key not in out
    assert "Not ready: no CML host" in out


def test_a_key_or_host_changed_after_the_first_command_is_used(
    cml_ip: Any, magic_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "risk-analysis" in set(cml_ip.run_line_magic("cml", "projects list")["name"])
    monkeypatch.setenv("CML_MAGIC_API_KEY", "a-key-nobody-has-" + uuid.uuid4().hex)
    with pytest.raises(UsageError, match="401"):
        cml_ip.run_line_magic("cml", "projects list")
    monkeypatch.setenv("CML_MAGIC_API_KEY", magic_server.api_key)
    assert "risk-analysis" in set(cml_ip.run_line_magic("cml", "projects list")["name"])

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("CML_MAGIC_HOST", nowhere)
    with capture_output() as captured:
        cml_ip.run_line_magic("cml", "config")
    assert f"host           {nowhere}" in captured.stdout
    with pytest.raises(UsageError, match="cannot reach"):
        cml_ip.run_line_magic("cml", "projects list")


@pytest.mark.parametrize("mode", ["--wait", "--watch"])
def test_ctrl_c_in_a_cell_shows_one_line_and_no_traceback(cml_ip: Any, api: Any, mode: str) -> None:
    cml_ip.run_line_magic("cml", "use risk-analysis")
    tag = uuid.uuid4().hex
    started: dict[str, Any] = {}

    def interrupt_when_running() -> None:
        def running() -> bool:
            for run in api.runs.list("nightly", project="risk-analysis", limit=5):
                if run.environment.get("ANALYSIS_TAG") == tag and run.status == "ENGINE_RUNNING":
                    started["run"] = run
                    return True
            return False

        wait_for(running, "the run to start")
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=interrupt_when_running, daemon=True)
    helper.start()
    with capture_output() as captured:
        result = shown_cell(
            cml_ip,
            f"%cml jobs run nightly --env ANALYSIS_SECONDS=60 --env ANALYSIS_TAG={tag} {mode}\n"
            "after_the_interrupt = True\n",
        )
    helper.join(timeout=30)
    shown = captured.stdout + captured.stderr
    assert isinstance(result.error_in_exec, KeyboardInterrupt)  # the cell was interrupted
    assert "after_the_interrupt" not in cml_ip.user_ns  # and what follows did not run
    assert shown.count("Interrupted: asked CML to stop run") == 1
    assert "Traceback" not in shown and "KeyboardInterrupt" not in shown
    assert "magic.py" not in shown and "File " not in shown
    run = started["run"]
    wait_for(
        lambda: api.runs.get(run.id, "nightly", "risk-analysis").status == "ENGINE_STOPPED",
        "the run to stop",
    )


def test_in_a_kernel_the_interrupt_is_one_line_too(
    magic_server: Any, api: Any, tmp_path: Any
) -> None:
    """In a Jupyter kernel the front end shows every exception (JupyterLab: the traceback the
    kernel sends, else the exception's name and message): there the line is that exception,
    not printed as well."""
    manager = pytest.importorskip("jupyter_client.manager")
    tag = uuid.uuid4().hex
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "CML_MAGIC_HOST": magic_server.url,
        "CML_MAGIC_API_KEY": magic_server.api_key,
        "CML_MAGIC_PROJECT": "risk-analysis",
        "CML_MAGIC_CONFIG": str(tmp_path / "none.toml"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    km, kc = manager.start_new_kernel(kernel_name="python3", env=env)
    try:
        kc.execute_interactive("%load_ext cml_magic\n%config CMLMagics.poll_interval = 0.05")
        msg_id = kc.execute(
            f"%cml jobs run nightly --env ANALYSIS_SECONDS=60 --env ANALYSIS_TAG={tag} --wait\n"
            "after_the_interrupt = True\n"
        )

        def running() -> bool:
            return any(
                r.environment.get("ANALYSIS_TAG") == tag and r.status == "ENGINE_RUNNING"
                for r in api.runs.list("nightly", project="risk-analysis", limit=5)
            )

        wait_for(running, "the run to start")
        km.interrupt_kernel()
        streams, errors = [], []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                streams.append(content["text"])
            elif kind == "error":
                errors.append(content)
            elif kind == "status" and content["execution_state"] == "idle":
                break
        reply = kc.get_shell_msg(timeout=30)["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["status"] == "error"  # an interrupted cell: the queue after it is dropped
    assert len(errors) == 1
    assert errors[0]["traceback"] == [errors[0]["evalue"]]
    assert errors[0]["evalue"].startswith("Interrupted: asked CML to stop run")
    assert "Interrupted:" not in "".join(streams)  # said once, not printed as well


def test_the_wait_line_shows_each_step_and_a_clock_that_moves_every_second(
    ip: Any, local_cml_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Steps long enough for a person to read, shorter than the 2 s between status checks.
    server = local_cml_factory(phase_delay=0.8)
    monkeypatch.setenv("CML_MAGIC_HOST", server.url)
    monkeypatch.setenv("CML_MAGIC_API_KEY", server.api_key)
    ip.run_line_magic("config", "CMLMagics.poll_interval = 2.0")
    with capture_output() as captured:
        run = ip.run_line_magic(
            "cml", "jobs run nightly --project risk-analysis --env ANALYSIS_SECONDS=5 --wait"
        )
    assert run.status == "ENGINE_SUCCEEDED"
    shown = [part for part in captured.stdout.split("\r") if part.strip()]
    statuses = [re.search(r": (ENGINE_\w+) \(", part)[1] for part in shown]  # type: ignore[index]
    seen = list(dict.fromkeys(statuses))
    assert seen == ["ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING", "ENGINE_SUCCEEDED"]
    clocks = {re.search(r"\((\d+)m(\d\d)s\)", part).group(2) for part in shown}  # type: ignore[union-attr]
    last = int(re.search(r"\((\d+)m(\d\d)s\)", shown[-1]).group(2))  # type: ignore[union-attr]
    assert last >= 6
    # Every second or so, not only at each status check (every 2 s: 0, 2, 4, 6).
    assert len(clocks) >= last, (sorted(clocks), last)
