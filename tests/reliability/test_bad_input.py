"""Property tests: whatever is typed after `%cml` or into a `%%cml_job_env` or `%%cml_run`
cell, only a one-line UsageError comes out, and input the magic refuses sends nothing to the
server."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from pytest_httpserver import HTTPServer

KEY = "reliability-key-" + "q" * 24
# Kinds that mean "the magic refused the input itself"; the others come from the server.
REFUSED = {"bad_command", "bad_argument", "bad_env", "bad_body"}
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

COMMANDS = ["projects", "jobs", "runs", "models", "builds", "deployments", "apps", "runtimes",
            "files", "use", "config", "help", "jbos", "run", "", "panel"]  # fmt: skip
VERBS = ["list", "get", "run", "create", "update", "delete", "stop", "start-v1", "build",
         "deploy", "restart", "download", "upload", "lst", "watch", "logs"]  # fmt: skip
FLAGS = ["--project", "--job", "--limit", "--filter", "--search", "--env", "--wait", "--watch",
         "--timeout", "-o", "--script", "--cpu", "--gpu", "--status", "--replicas", "--model",
         "--file", "--function", "--subdomain", "--clear", "--serch", "-x", "--"]  # fmt: skip
VALUES = ["nightly", "risk-analysis", "0", "-1", "1e9", "many", "A=1", "1X=2", "=", "{}", "[1]",
          '{"name": 1}', "aaaa-bbbb-cccc-dddd", "'unclosed", '"', "\\", "$HOME", "{x}", "é",
          "a b", "class", "1df", "alice/p/3", "../../etc/passwd"]  # fmt: skip

words = st.one_of(
    st.sampled_from(FLAGS),
    st.sampled_from(VALUES),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6),
)
lines = st.builds(
    lambda c, v, rest: " ".join(w for w in (c, v, *rest) if w is not None),
    st.sampled_from(COMMANDS),
    st.one_of(st.none(), st.sampled_from(VERBS)),
    st.lists(words, max_size=6),
)

body_lines = st.one_of(
    st.sampled_from(
        [
            "A=1",
            "export B='x y'",
            "# note",
            "",
            "C",
            "1X=2",
            "D=${HOME}",
            "E={x}",
            "F={{literal}}",
            'G="unclosed',
            "{",
            '{"K": 1}',
            '{"K": [1]}',
            "=v",
            "H={no_such_name}",
            "I=a=b",
            "J='",
            "K=\\",
        ]
    ),  # fmt: skip
    st.text(max_size=12),
)
bodies = st.lists(body_lines, max_size=6).map("\n".join)


@pytest.fixture
def shell(
    httpserver: HTTPServer,
    cml_settings: Any,
    load_magics: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> Any:
    """A real IPython shell with the extension, pointed at a server that knows nothing."""
    cml_settings(httpserver.url_for("/").rstrip("/"), KEY)
    monkeypatch.chdir(tmp_path)  # a download or -o file lands here, if anything
    monkeypatch.setattr(httpserver, "no_handler_status_code", 404)
    return load_magics(poll_interval=0.01, timeout=2.0)


def _check(httpserver: HTTPServer, run: Any) -> None:
    sent_before = len(httpserver.log)
    with capture_output() as captured:
        try:
            run()
        except UsageError as exc:
            message = str(exc)
            kind = getattr(exc, "kind", None)
            assert "\n" not in message.strip() or kind == "bad_body", message
            assert KEY not in message
            if kind is None or kind in REFUSED:  # None: IPython's own (an empty cell body)
                assert len(httpserver.log) == sent_before, f"refused ({message}) yet sent"
    assert KEY not in captured.stdout + captured.stderr
    assert "Traceback" not in captured.stdout + captured.stderr


@PROPERTY
@given(line=lines)
def test_any_cml_line_is_handled_or_one_usage_error(
    shell: Any, httpserver: HTTPServer, line: str
) -> None:
    _check(httpserver, lambda: shell.run_line_magic("cml", line))


@PROPERTY
@given(body=bodies, line=st.sampled_from(["nightly", "nightly --wait", "", "nightly --env X"]))
def test_any_job_env_cell_is_handled_or_one_usage_error(
    shell: Any, httpserver: HTTPServer, body: str, line: str
) -> None:
    _check(httpserver, lambda: shell.run_cell_magic("cml_job_env", line, body))


RUN_FLAGS = ["--sweep", "--yes", "--runtime", "--memory", "--cpu", "--gpu", "--job", "--env",
             "--timeout", "--wait", "--watch", "-o", "--project", "--swep", "--"]  # fmt: skip
RUN_VALUES = ["K=1,2", "K=", "K=1,,2", "K=1,1", "1X=2", "A=1", "=", "0", "-1", "soon", "x",
              "risk-analysis", "'unclosed", "é", ",".join(map(str, range(250)))]  # fmt: skip
run_lines = st.lists(
    st.one_of(st.sampled_from(RUN_FLAGS), st.sampled_from(RUN_VALUES), st.text(max_size=6)),
    max_size=7,
).map(" ".join)
run_cells = st.sampled_from(["print(1)", "", "   ", "!ls", "%time x", "print(1", "x = 1\0"])


@PROPERTY
@given(line=run_lines, cell=run_cells)
def test_any_cml_run_cell_is_handled_or_one_usage_error(
    shell: Any, httpserver: HTTPServer, line: str, cell: str
) -> None:
    _check(httpserver, lambda: shell.run_cell_magic("cml_run", line, cell))


def test_the_request_count_sees_what_a_valid_line_sends(shell: Any, httpserver: HTTPServer) -> None:
    """The properties above count on `httpserver.log`: a valid line does show up in it."""
    with pytest.raises(UsageError) as caught:
        shell.run_line_magic("cml", "jobs list --project risk-analysis")
    assert caught.value.kind not in REFUSED  # type: ignore[attr-defined]
    assert len(httpserver.log) >= 1
    sent = len(httpserver.log)
    with pytest.raises(UsageError):
        shell.run_line_magic("cml", "jobs list --project risk-analysis --limit 0")
    assert len(httpserver.log) == sent
