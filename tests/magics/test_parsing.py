"""Every bad `%cml` line is a one-line UsageError, raised before any client exists."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.shell import shown

BAD_LINES = [
    ("jbos list", "bad_command", "did you mean jobs?"),
    ("jobs lst", "bad_command", "did you mean list?"),
    ("jobs", "bad_command", "needs a verb"),
    ("teleport now", "bad_command", "one of: projects, jobs"),
    ("jobs run nightly --env FOO", "bad_argument", "expected KEY=VALUE"),
    ("jobs run nightly --env 1X=2", "bad_argument", "expected KEY=VALUE"),
    ("jobs run nightly --wait --watch", "bad_argument", "not allowed with argument"),
    ("jobs run", "bad_argument", "required: JOB"),
    ("jobs list --serch demo", "bad_argument", "did you mean --search?"),
    ("projects list --limit 0", "bad_argument", "must be at least 1"),
    ("projects list --limit many", "bad_argument", "is not a whole number"),
    ("projects list --filter name=x", "bad_argument", "not valid JSON"),
    ("projects list --filter [1]", "bad_argument", "must be a JSON object"),
    ('jobs list --search "unclosed', "bad_argument", "check the quotes"),
    ("jobs list -o 1df", "bad_argument", "not a valid Python variable name"),
    ("jobs list -o class", "bad_argument", "not a valid Python variable name"),
    ("jobs start-v1 alice/risk-analysis", "bad_argument", "OWNER/PROJECT/JOB_NUMBER"),
    ("jobs start-v1 alice/risk-analysis/nightly", "bad_argument", "OWNER/PROJECT/JOB_NUMBER"),
    ("jobs create nightly2", "bad_argument", "--script"),
    ("jobs update nightly", "bad_argument", "nothing to change"),
    ("jobs run nightly --timeout -1", "bad_argument", "must be positive"),
    ("runs list", "bad_argument", "--job"),
    ("runs list --job nightly --status broken", "bad_argument", "invalid choice"),
    ("runs list --job nightly --search x", "bad_argument", "unknown flag '--search'"),
    ("runs stop", "bad_argument", "required: RUN"),
    ("models build --file predict.py --function predict", "bad_argument", "name the model"),
    ("models build churn --model other --file p.py --function f", "bad_argument", "name the model"),
    ("models build --model churn --function predict", "bad_argument", "--file"),
    ("models deploy --model churn --replicas 0", "bad_argument", "must be at least 1"),
    ("apps create dash --script app.py", "bad_argument", "--subdomain"),
    ("jobs create j --script a.py --gpu -1", "bad_argument", "must not be negative"),
    ("jobs create j --script a.py --cpu zero", "bad_argument", "is not a number"),
    ("apps restart", "bad_argument", "required: APP"),
    ("use", "bad_argument", "one project"),
    ("use a b", "bad_argument", "one project"),
    ("config now", "bad_argument", "takes no arguments"),
    ("login my-secret-key", "bad_argument", "never put the key on the line"),
    ("help jbos", "bad_command", "did you mean jobs?"),
    ("help jobs fly", "bad_command", "has no verb"),
]


@pytest.mark.parametrize(("line", "kind", "text"), BAD_LINES)
def test_bad_line_is_one_usage_error_before_any_request(
    ip: Any, magics: Any, line: str, kind: str, text: str
) -> None:
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("cml", line)
    message = str(caught.value)
    assert text in message
    assert "\n" not in message
    assert caught.value.kind == kind
    # No client was built, so nothing can have been sent.
    assert magics._client is None


def test_shell_shows_the_error_as_one_line_without_traceback(ip: Any) -> None:
    with capture_output() as captured:
        result = shown(ip, "%cml jobs run nightly --env NOT-A-PAIR")
    assert isinstance(result.error_in_exec, UsageError)
    lines = [line for line in captured.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("UsageError: %cml jobs run: argument --env")
    assert "Traceback" not in captured.stdout + captured.stderr


def test_help_overview_lists_every_resource_and_session_command(ip: Any) -> None:
    for line in ("", "help", "--help"):
        with capture_output() as captured:
            assert ip.run_line_magic("cml", line) is None
        for word in (
            "projects",
            "jobs",
            "runs",
            "models",
            "builds",
            "deployments",
            "apps",
            "runtimes",
            "use",
            "config",
            "login",
            "%%cml_job_env",
        ):
            assert word in captured.stdout


def test_help_overview_gives_each_resource_one_summary_then_its_verbs(ip: Any) -> None:
    with capture_output() as captured:
        ip.run_line_magic("cml", "help")
    lines = captured.stdout.split("resources:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(lines) >= 8
    for line in lines:
        summary, verbs = line.strip().split(": ")  # one colon: "models  ...: list show ..."
        assert {"list", "ls"} & set(verbs.split()), line  # files list with `ls`, as a shell does


def test_resource_help_lists_verbs_and_examples(ip: Any) -> None:
    for line in ("jobs --help", "jobs -h", "help jobs"):
        with capture_output() as captured:
            ip.run_line_magic("cml", line)
        assert "start-v1" in captured.stdout
        assert "%cml jobs list --project risk-analysis" in captured.stdout


def test_verb_help_lists_its_flags(ip: Any) -> None:
    for line in ("jobs run --help", "help jobs run", "jobs run nightly --env X --help"):
        with capture_output() as captured:
            assert ip.run_line_magic("cml", line) is None
        out = captured.stdout
        assert "usage: %cml jobs run" in out
        for flag in ("--env KEY=VALUE", "--arguments", "--project", "--wait", "--watch", "-o NAME"):
            assert flag in out


def test_cell_magic_help(ip: Any) -> None:
    with capture_output() as captured:
        assert ip.run_cell_magic("cml_job_env", "--help", "IGNORED") is None
    assert "usage: %%cml_job_env" in captured.stdout
    assert "--watch" in captured.stdout


def test_session_command_help(ip: Any) -> None:
    with capture_output() as captured:
        ip.run_line_magic("cml", "use --help")
    assert "%cml use PROJECT" in captured.stdout


def test_aliases_reach_the_same_verbs(ip: Any) -> None:
    for line in ("applications restart --help", "app stop --help", "job run --help"):
        with capture_output() as captured:
            ip.run_line_magic("cml", line)
        assert "usage: %cml" in captured.stdout


def test_a_resource_names_each_verb_once() -> None:
    from cml_magic.magics.commands import Resource, Verb, resources

    def nothing(ctx: Any, args: Any) -> None:
        return None

    with pytest.raises(ValueError, match="declared twice"):
        Resource("things", "things", verbs=(Verb("list", "a", nothing), Verb("list", "b", nothing)))
    table = Resource(
        "things", "things", verbs=(Verb("list", "a", nothing), Verb("show", "b", nothing))
    )
    assert list(table.verbs) == ["list", "show"]
    for resource in resources().values():
        assert all(name == verb.name for name, verb in resource.verbs.items())
