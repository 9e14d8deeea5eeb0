"""One live status: `--watch` shows the widget once and returns it, `-o` holds the state last
seen however a wait ends, and an action taken by a magic shows at once in the live widgets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.utils.capture import capture_output
from support.waits import wait_for

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def views(captured: Any) -> int:
    return sum(WIDGET_VIEW in out.data for out in captured.outputs)


@pytest.fixture
def frontend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")


@pytest.fixture
def slow_poller(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The kernel's shared poller, looking an item up once and then not for a long while:
    a widget changes only when it is asked to look up again."""
    from cml_magic.widgets import poller as module

    slow = module.Poller(interval=1000, idle_interval=1000, settled_interval=1000, max_backoff=1000)
    monkeypatch.setattr(module, "_shared", slow)
    yield slow
    slow.stop()


def test_watch_shows_the_widget_once_and_returns_it(cml_ip: Any, frontend: None, api: Any) -> None:
    with capture_output() as captured:
        cml_ip.run_cell("%cml jobs run quick-check --project risk-analysis --watch")
    assert views(captured) == 1  # the live widget, and no frozen card beside it
    assert "JobRun(" not in captured.stdout
    widget = cml_ip.user_ns["_"]
    assert type(widget).__name__ == "RunWidget"
    # What the magic returned stays current: `.run` is the run as last seen.
    wait_for(lambda: widget.run.finished, "the widget to see the run end")
    assert widget.run.status == api.runs.get(widget.run.id, "quick-check", "risk-analysis").status
    assert widget.status == widget.run.status


def test_an_assigned_watch_is_shown_and_shown_again_from_a_later_cell(
    cml_ip: Any, frontend: None
) -> None:
    with capture_output() as captured:
        cml_ip.run_cell(
            "run = %cml jobs run quick-check --project risk-analysis --watch -o kept",
            store_history=True,
        )
    assert views(captured) == 1
    run = cml_ip.user_ns["run"]
    assert cml_ip.user_ns["kept"] is run
    assert run.run.job_id == run.obj.job_id
    with capture_output() as later:
        cml_ip.run_cell("run", store_history=True)
    assert views(later) == 1


def test_cml_job_env_watch_returns_the_widget(cml_ip: Any, frontend: None) -> None:
    with capture_output() as captured:
        widget = cml_ip.run_cell_magic(
            "cml_job_env", "quick-check --project risk-analysis --watch", "REGION=emea\n"
        )
    assert views(captured) == 1
    assert widget.run.environment["REGION"] == "emea"


@pytest.mark.parametrize("mode", ["--wait", "--watch"])
def test_out_holds_the_run_when_the_timeout_expires(cml_ip: Any, mode: str) -> None:
    from IPython.core.error import UsageError

    line = (
        "jobs run nightly --project risk-analysis --env ANALYSIS_SECONDS=60"
        f" {mode} --timeout 0.3 -o late"
    )
    with capture_output(), pytest.raises(UsageError):
        cml_ip.run_line_magic("cml", line)
    late = cml_ip.user_ns["late"]
    assert type(late).__name__ == "JobRun"
    assert not late.finished


def test_a_stop_by_a_magic_shows_at_once_in_the_deployment_widgets(
    cml_ip: Any, frontend: None, slow_poller: Any
) -> None:
    cml_ip.run_line_magic("cml", "use churn-model")
    with capture_output():
        cml_ip.run_line_magic("cml", "models create live-scorer --no-auth")
    try:
        with capture_output():
            cml_ip.run_line_magic(
                "cml", "models build live-scorer --file predict.py --function predict --wait"
            )
            deployed = cml_ip.run_line_magic("cml", "models deploy --model live-scorer --wait")
            first = cml_ip.run_line_magic(
                "cml", f"deployments wait {deployed.id} --model live-scorer --watch"
            )
        wait_for(lambda: first.status == "deployed", "the widget's first look-up")
        with capture_output():
            # A new deployment replaces the running one: the first one's widget shows it stop.
            again = cml_ip.run_line_magic("cml", "models deploy --model live-scorer --wait")
        wait_for(lambda: first.status in ("stopping", "stopped"), "the first stop")
        with capture_output():
            second = cml_ip.run_line_magic(
                "cml", f"deployments wait {again.id} --model live-scorer --watch"
            )
        wait_for(lambda: second.status == "deployed", "the second widget's first look-up")
        with capture_output():
            cml_ip.run_line_magic("cml", f"deployments stop {again.id} --model live-scorer")
        wait_for(lambda: second.status in ("stopping", "stopped"), "the second stop")
    finally:
        with capture_output():
            cml_ip.run_line_magic("cml", "models delete live-scorer")
            cml_ip.run_line_magic("cml", "use --clear")


def test_a_failed_build_says_why_in_builds_logs(cml_ip: Any, api: Any) -> None:
    from IPython.core.error import UsageError

    failing = "print('MODEL_TOKEN=tok-hidden-1')\nraise ValueError('weights missing')\n"
    code = failing + "def predict(a):\n    return a\n"
    api.files.upload("failing_model.py", code, project="churn-model")
    cml_ip.run_line_magic("cml", "use churn-model")
    with capture_output():
        cml_ip.run_line_magic("cml", "models create failing-scorer --no-auth")
    try:
        with capture_output(), pytest.raises(UsageError) as failed:
            cml_ip.run_line_magic(
                "cml",
                "models build failing-scorer --file failing_model.py --function predict"
                " --wait -o broken",
            )
        build = cml_ip.user_ns["broken"]
        assert f"%cml builds logs {build.id} --model" in str(failed.value)
        with capture_output() as captured:
            cml_ip.run_line_magic("cml", f"builds logs {build.id} --model failing-scorer")
        assert "ValueError: weights missing" in captured.stdout
        assert "tok-hidden-1" not in captured.stdout  # masked, as run logs are
    finally:
        with capture_output():
            cml_ip.run_line_magic("cml", "models delete failing-scorer")
            cml_ip.run_line_magic("cml", "use --clear")
