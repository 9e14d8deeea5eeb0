"""Errors with a live server: one line, the fix, no traceback, and no run started."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.shell import shown


def runs_of_nightly(api: Any) -> int:
    return len(api.runs.list("nightly", project="risk-analysis"))


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("jobs run nightly --project risk-analysis --env BAD", "expected KEY=VALUE"),
        ("jobs run nightly --project risk-analysis --env A=1 --wiat", "did you mean --wait?"),
        ("jobs run nosuchjob --project risk-analysis", "nosuchjob"),
        ("jobs run nightly --project no-such-project", "no-such-project"),
        ("jobs run 999 --project risk-analysis", "999"),
    ],
)
def test_nothing_is_started_by_a_wrong_line(cml_ip: Any, api: Any, line: str, text: str) -> None:
    before = runs_of_nightly(api)
    with pytest.raises(UsageError) as caught:
        cml_ip.run_line_magic("cml", line)
    assert text in str(caught.value)
    assert "\n" not in str(caught.value)
    assert runs_of_nightly(api) == before


def test_ambiguous_name_lists_the_way_out(cml_ip: Any, api: Any) -> None:
    cml_ip.run_line_magic("cml", "use risk-analysis")
    for _ in range(2):
        cml_ip.run_line_magic("cml", "jobs create twin --script analysis.py")
    try:
        with pytest.raises(UsageError) as caught:
            cml_ip.run_line_magic("cml", "jobs run twin")
        assert caught.value.kind == "bad_name"
        assert "pass the id instead" in str(caught.value)
    finally:
        for job in api.jobs.list(project="risk-analysis", search="twin"):
            api.jobs.delete(job.id, project="risk-analysis")


def test_wrong_key_is_one_line_without_the_key(
    cml_ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CML_MAGIC_API_KEY", "wrong-key-0123456789abcdef")
    with capture_output() as captured:
        result = shown(cml_ip, "%cml projects list")
    assert isinstance(result.error_in_exec, UsageError)
    text = captured.stdout + captured.stderr
    assert "CML answered 401" in text and "%cml login" in text
    assert "wrong-key-0123456789abcdef" not in text
    assert "Traceback" not in text


def test_missing_host_says_how_to_set_it(ip: Any) -> None:
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("cml", "projects list")
    assert caught.value.kind == "not_configured"
    assert str(caught.value).startswith("no CML host: set it with %config CMLMagics.host")
    assert "pass host=" not in str(caught.value)  # advice for Python callers, not a notebook


def test_missing_key_says_how_to_give_it(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CML_MAGIC_HOST", "https://cml.example.invalid")
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("cml", "projects list")
    assert caught.value.kind == "not_configured"
    assert str(caught.value).startswith("no CML API key: give it with %cml login")
    assert "api_key=" not in str(caught.value)


def test_missing_project_says_how_to_choose_one(cml_ip: Any) -> None:
    with pytest.raises(UsageError) as caught:
        cml_ip.run_line_magic("cml", "jobs list")
    assert caught.value.kind == "not_configured"
    assert "%cml use PROJECT" in str(caught.value)
    assert "CMLMagics.host" not in str(caught.value)


def test_wait_timeout_leaves_the_run_going(cml_ip: Any, api: Any) -> None:
    with capture_output() as captured, pytest.raises(UsageError) as caught:
        cml_ip.run_line_magic(
            "cml",
            "jobs run nightly -p risk-analysis --env ANALYSIS_SECONDS=30 --wait --timeout 0.5",
        )
    assert "the run goes on" in str(caught.value)
    assert captured.stdout.endswith("\n")  # the progress line was ended
    run = api.runs.list("nightly", project="risk-analysis", limit=1)[0]
    assert not run.finished
    api.runs.stop(run.id, "nightly", project="risk-analysis")


def _error_of(ip: Any, line: str) -> Any:
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("cml", line)
    return caught.value


def test_a_mistyped_job_is_named_as_typed_with_the_closest_name(cml_ip: Any, api: Any) -> None:
    project_id = api.projects.resolve("risk-analysis")
    error = _error_of(cml_ip, "jobs run nighty --project risk-analysis")
    assert str(error) == "no job named 'nighty' in project risk-analysis (did you mean nightly?)"
    assert error.kind == "bad_name"
    cml_ip.run_line_magic("cml", "use risk-analysis")
    error = _error_of(cml_ip, "runs list --job nighty")
    assert project_id not in str(error)
    assert "in project risk-analysis (did you mean nightly?)" in str(error)


def test_a_mistyped_project_gets_the_closest_name(cml_ip: Any) -> None:
    error = _error_of(cml_ip, "jobs list --project risk-analysys")
    assert str(error) == "no project named 'risk-analysys' (did you mean risk-analysis?)"
    assert "CML error" not in str(error)


def test_a_mistyped_model_gets_the_closest_name(cml_ip: Any, api: Any) -> None:
    model = api.models.create("churn-scorer", project="churn-model")
    try:
        error = _error_of(cml_ip, "models show churn-scorrer --project churn-model")
        assert "no model named 'churn-scorrer' in project churn-model" in str(error)
        assert "(did you mean churn-scorer?)" in str(error)
    finally:
        api.models.delete(model.id, project="churn-model")


def test_no_suggestion_when_nothing_is_close(cml_ip: Any) -> None:
    error = _error_of(cml_ip, "jobs show zzzzzz --project risk-analysis")
    assert str(error) == "no job named 'zzzzzz' in project risk-analysis"


def test_an_active_run_is_told_by_the_job_name(cml_ip: Any, api: Any) -> None:
    job_id = api.jobs.resolve("nightly", api.projects.resolve("risk-analysis"))
    cml_ip.run_line_magic(
        "cml", "jobs run nightly --project risk-analysis --env ANALYSIS_SECONDS=30"
    )
    error = _error_of(cml_ip, "jobs run nightly --project risk-analysis")
    assert "job 'nightly' already has an active run" in str(error)
    assert job_id not in str(error)


def test_a_client_timeout_is_not_called_a_cml_error(cml_ip: Any) -> None:
    error = _error_of(
        cml_ip, "jobs run nightly -p risk-analysis --env ANALYSIS_SECONDS=30 --wait --timeout 0.2"
    )
    assert "the run goes on" in str(error)
    assert "CML error" not in str(error) and "CML answered" not in str(error)
    assert error.kind == "timeout"


def test_no_project_advice_speaks_magic(cml_ip: Any) -> None:
    error = _error_of(cml_ip, "jobs list")
    assert "pass project=" not in str(error)
    assert "--project" in str(error)
