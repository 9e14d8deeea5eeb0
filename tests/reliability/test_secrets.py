"""The API key never shows: outputs, displays, widget state, errors, reprs, log records
(root logger at DEBUG, urllib3 included), run logs and a saved notebook; nor its HTTP Basic
form or any piece of 8 characters of either. Secret-looking environment values are masked
wherever they are displayed."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from nbclient import NotebookClient

from cml_magic.api import CML
from cml_magic.api.masking import MASK, PIECE
from cml_magic.local import LocalCML
from cml_magic.runlog import SNIPPET

PASSWORD = "pw-" + "h" * 20  # a job's DB_PASSWORD
FINAL = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEDOUT")
TOKEN = "tok-" + "t" * 20  # given in a %%cml_job_env cell as SERVICE_TOKEN


class Records(logging.Handler):
    """Every log record of the process, formatted with its arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")


@pytest.fixture
def server(local_cml_factory: Any) -> LocalCML:
    server: LocalCML = local_cml_factory(seed="demo")
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        cml.jobs.create(
            "with-secrets",
            "analysis.py",
            project="risk-analysis",
            environment={"DB_PASSWORD": PASSWORD, "REGION": "eu"},
        )
    return server


# A job printing its environment every way a script might: assignments, `env`, the
# `os.environ` repr, JSON; and the key it was given under a harmless name as is, as HTTP Basic
# and Bearer, and in pieces (last, so that a widget's tail of the log holds them). It leaves
# the run's own keys in a file, so that the test knows what to look for. It saves its output in
# the project (cml_magic.runlog), where `%cml runs logs` and the widgets read it.
PRINT_ENV = (
    SNIPPET
    + """\
import base64, json, os, subprocess, sys
from pathlib import Path

Path("run-keys.json").write_text(json.dumps(
    [os.environ.get("CDSW_APIV2_KEY", ""), os.environ.get("CDSW_API_KEY", "")]))
for name, value in sorted(os.environ.items()):
    print(f"{name}={value}")
sys.stdout.flush()
subprocess.run(["env"], check=False)
print(os.environ)
print(json.dumps(dict(os.environ), indent=2))
given = os.environ["HARMLESS"]
print("HARMLESS:", given)
print(json.dumps({"HARMLESS": given, "CDSW_APIV2_KEY": os.environ["CDSW_APIV2_KEY"]}))
print({"harmless": given, "CML_USER_PW": os.environ.get("CML_USER_PW")})
print("Authorization: Basic " + base64.b64encode((given + ":").encode()).decode())
print("Authorization: Bearer " + given)
print("pieces", given[:8], given[9:30], given[-8:])
print("done printing")
"""
)
USER_PW = "userpw-" + "u" * 16  # CML injects CML_USER_PW in sessions
PAT = "ghp_" + "p" * 20
MYSQL_PWD = "mysql-" + "m" * 16


def key_forms(key: str) -> list[str]:
    """What of `key` must never show: the key, its HTTP Basic form, every piece of either."""
    basic = base64.b64encode((key + ":").encode()).decode()
    pieces = [form[i : i + PIECE] for form in (key, basic) for i in range(len(form) - PIECE + 1)]
    return [key, basic, *pieces]


def leaked(text: str, *keys: str) -> list[str]:
    """The forms of `keys` found in `text` (none, when masking works)."""
    return [form for key in keys if key for form in key_forms(key) if form in text]


@pytest.fixture
def print_env(server: LocalCML) -> str:
    """The job `print-env` of risk-analysis (PRINT_ENV); returns its name."""
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        cml.files.upload("print_env.py", PRINT_ENV, project="risk-analysis", overwrite=True)
        cml.jobs.create(
            "print-env",
            "print_env.py",
            project="risk-analysis",
            environment={"CML_USER_PW": USER_PW, "GITHUB_PAT": PAT, "MYSQL_PWD": MYSQL_PWD},
        )
    return "print-env"


def run_keys(server: LocalCML) -> list[str]:
    """The keys the last print-env run was given (CDSW_APIV2_KEY, CDSW_API_KEY)."""
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        data = cml.files.download("run-keys.json", project="risk-analysis")
    keys: list[str] = json.loads(data)
    assert all(keys), keys
    return keys


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("", "urllib3", "cml_magic", "cml_magic.api")]
    old_levels = [logger.level for logger in loggers]
    loggers[0].addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield handler
    loggers[0].removeHandler(handler)
    # Later tests log at the levels they had, not at DEBUG.
    for logger, level in zip(loggers, old_levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def shell(server: LocalCML, cml_settings: Any, load_magics: Any) -> Any:
    cml_settings(server.url, server.api_key, WIDGETS="0")
    return load_magics(poll_interval=0.05)


def _shown(value: Any) -> str:
    """Everything a front end could show of `value`: repr, HTML, plain text, str."""
    parts = [repr(value), str(value)]
    for method in ("_repr_html_", "_repr_markdown_", "to_string"):
        if hasattr(value, method):
            try:
                parts.append(str(getattr(value, method)()))
            except Exception as exc:  # noqa: BLE001 - a failing display is still text to scan
                parts.append(repr(exc))
    return "\n".join(parts)


def test_a_magic_session_leaks_no_key(shell: Any, server: LocalCML, records: Records) -> None:
    seen: list[str] = []
    steps = [
        ("line", "config"),
        ("line", "projects list"),
        ("line", "use risk-analysis"),
        ("line", "jobs list"),
        ("line", "jobs show with-secrets"),
        ("line", "jobs run with-secrets --wait --timeout 30"),
        ("line", "runs list --job with-secrets"),
        ("cell", ("with-secrets --wait --timeout 30", f"SERVICE_TOKEN={TOKEN}\nMODE=fast")),
        ("line", "jobs show no-such-job"),
        ("line", "jobs run nightly --env API_KEY=" + server.api_key),
    ]
    for kind, what in steps:
        with capture_output() as captured:
            try:
                if kind == "line":
                    result = shell.run_line_magic("cml", what)
                else:
                    result = shell.run_cell_magic("cml_job_env", *what)
            except UsageError as exc:
                result = None
                seen.append(f"error: {exc}")
            seen.append(_shown(result))
        seen += [captured.stdout, captured.stderr]
        seen += [json.dumps(o.data, default=str) for o in captured.outputs]
    magics = shell._cml_magics
    seen += [repr(magics), repr(magics.client()), repr(magics.client().transport)]
    seen += records.lines
    text = "\n".join(seen)
    assert "with-secrets" in text and "risk-analysis" in text  # the session did run
    assert any("urllib3" in line for line in records.lines)  # and was logged at DEBUG
    assert server.api_key not in text
    config = text[text.index("api key") :].splitlines()[0]
    assert "********" in config


def test_secret_looking_environment_values_are_masked_in_displays(
    shell: Any, server: LocalCML
) -> None:
    with capture_output() as captured:
        job = shell.run_line_magic("cml", "jobs show with-secrets --project risk-analysis")
        run = shell.run_cell_magic(
            "cml_job_env", "with-secrets --project risk-analysis --wait --timeout 30",
            f"SERVICE_TOKEN={TOKEN}\nMODE=fast",
        )  # fmt: skip
    shown = "\n".join(
        [_shown(job), _shown(run), captured.stdout, captured.stderr]
        + [json.dumps(o.data, default=str) for o in captured.outputs]
    )
    # The variables are displayed (names and harmless values), the secret values are not.
    assert "DB_PASSWORD" in shown and "'REGION': 'eu'" in shown
    assert "SERVICE_TOKEN" in shown and "fast" in shown
    assert PASSWORD not in shown
    assert TOKEN not in shown


def test_a_saved_notebook_holds_no_key(server: LocalCML, tmp_path: Path, cml_settings: Any) -> None:
    """A notebook run top to bottom in a real kernel (errors included), then saved."""
    cml_settings(server.url, server.api_key)
    cells = [
        "%load_ext cml_magic\n%config CMLMagics.poll_interval = 0.05",
        "import logging\nlogging.basicConfig(level=logging.DEBUG, force=True)",
        "%cml config",
        "%cml use risk-analysis",
        "%cml jobs list",
        "%cml jobs run with-secrets --wait --timeout 30",
        f"%%cml_job_env with-secrets --wait --timeout 30\nSERVICE_TOKEN={TOKEN}",
        "%cml jobs show no-such-job",
        "from cml_magic.api import CML\ncml = CML.from_env()\ncml, cml.transport",
        "cml.jobs.get('nightly', project='risk-analysis')",
        "cml.projects.get('no-such-project')",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute(
        cwd=str(tmp_path)
    )
    saved = tmp_path / "session.ipynb"
    nbformat.write(nb, saved)
    text = saved.read_text()
    assert "with-secrets" in text and "no job named" in text  # it really ran
    assert "urllib3" in text  # DEBUG logging reached the outputs
    assert server.api_key not in text
    assert TOKEN not in text.replace(f"SERVICE_TOKEN={TOKEN}", "")  # only the cell source


def test_widget_state_holds_no_key_and_masks_secret_values(server: LocalCML) -> None:
    """Every live ipywidget (run widget, run form, panels) after a watched run, serialised."""
    from ipywidgets.widgets import widget as widget_module

    from cml_magic import widgets
    from cml_magic.widgets.poller import Poller

    poller = Poller(interval=0.05)
    earlier = set(widget_module._instances)
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        try:
            run = cml.runs.create(
                "with-secrets",
                project="risk-analysis",
                environment={"SERVICE_TOKEN": TOKEN, "API_KEY": server.api_key, "MODE": "fast"},
            )
            watched = widgets.RunWidget(run, cml, poller=poller)
            form = widgets.run_job_form(cml, job="with-secrets", project="risk-analysis")
            browser = widgets.project_browser(cml)
            deadline = time.monotonic() + 20
            while not watched.status.endswith(FINAL) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert watched.status.endswith(FINAL), watched.status
            # Only this test's widgets: earlier tests may leave closed ones behind.
            mine = [w for k, w in list(widget_module._instances.items()) if k not in earlier]
            states = [json.dumps(w.get_state(), default=str) for w in mine]
        finally:
            poller.stop()
    text = "\n".join(states)
    assert "with-secrets" in text and "SERVICE_TOKEN" in text  # the widgets show the run
    assert server.api_key not in text
    assert TOKEN not in text and PASSWORD not in text
    assert form is not None and browser is not None


def test_a_server_that_echoes_the_key_does_not_leak_it(httpserver: Any) -> None:
    """Some proxies put the request's Authorization header in their error page."""
    from werkzeug import Request, Response

    from cml_magic.api import AuthError

    key = "echoed-" + "e" * 30

    def echo(request: Request) -> Response:
        text = json.dumps({"message": f"bad credentials: {request.headers.get('Authorization')}"})
        return Response(text, 401)

    httpserver.expect_request("/api/v2/projects").respond_with_handler(echo)
    with CML(httpserver.url_for("/"), key, timeout=5.0) as cml, pytest.raises(AuthError) as caught:
        cml.projects.list()
    shown = f"{caught.value}\n{caught.value!r}\n{caught.value.message}"
    assert "bad credentials: Bearer ****" in shown
    assert key not in shown


def test_run_logs_show_no_key_in_any_form(
    shell: Any, server: LocalCML, print_env: str, records: Records
) -> None:
    """`%cml runs logs` of a job that prints its environment (plain, `env`, the os.environ
    repr, JSON) and a key given to it under a harmless name (raw, Basic, Bearer, pieces)."""
    key = server.api_key
    with capture_output() as started:
        run = shell.run_line_magic(
            "cml",
            f"jobs run {print_env} --project risk-analysis --env HARMLESS={key}"
            " --wait --timeout 60",
        )
    with capture_output() as captured:
        shell.run_line_magic("cml", f"runs logs {run.id} --job {print_env} --project risk-analysis")
    out = captured.stdout
    # Everything was printed, and shown masked.
    assert "done printing" in out and "environ({" in out and '"PATH": ' in out
    assert f"HARMLESS={MASK}" in out and f"'CML_USER_PW': '{MASK}'" in out
    assert f"Authorization: Basic {MASK}" in out and f"Bearer {MASK}" in out
    assert f"CDSW_APIV2_KEY={MASK}" in out and f'"CDSW_API_KEY": "{MASK}"' in out
    assert "CDSW_PROJECT=risk-analysis" in out  # other variables stay readable
    text = "\n".join([out, captured.stderr, started.stdout, _shown(run), *records.lines])
    assert leaked(text, key, *run_keys(server)) == []
    for secret in (USER_PW, PAT, MYSQL_PWD):
        assert secret not in text


def test_widget_state_of_a_run_printing_its_environment_holds_no_key(
    server: LocalCML, print_env: str
) -> None:
    """The run widget's log tail and environment line, serialised as a front end gets them."""
    from ipywidgets.widgets import widget as widget_module

    from cml_magic import widgets
    from cml_magic.widgets.poller import Poller

    key = server.api_key
    poller = Poller(interval=0.05)
    earlier = set(widget_module._instances)
    with CML(server.url, key, timeout=10.0) as cml:
        try:
            run = cml.runs.create(print_env, project="risk-analysis", environment={"HARMLESS": key})
            watched = widgets.RunWidget(run, cml, poller=poller)
            deadline = time.monotonic() + 30
            while "done printing" not in watched.output.value and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "done printing" in watched.output.value, watched.output.value
            mine = [w for k, w in list(widget_module._instances.items()) if k not in earlier]
            states = [json.dumps(w.get_state(), default=str) for w in mine]
        finally:
            poller.stop()
    text = "\n".join(states)
    assert f"HARMLESS={MASK}" in text and f"Basic {MASK}" in text  # shown, masked
    assert leaked(text, key, *run_keys(server)) == []
    assert USER_PW not in text


def test_a_key_under_a_harmless_name_is_masked_in_displays(shell: Any, server: LocalCML) -> None:
    """`--env FOO=<key>` and `FOO=${CML_MAGIC_API_KEY}` in a %%cml_job_env body: the run has
    the key, its repr, pretty text and HTML table do not show it."""
    from IPython.lib.pretty import pretty

    key = server.api_key
    with capture_output() as captured:
        by_line = shell.run_line_magic(
            "cml",
            f"jobs run with-secrets --project risk-analysis --env FOO={key} --wait --timeout 30",
        )
        by_body = shell.run_cell_magic(
            "cml_job_env", "with-secrets --project risk-analysis --wait --timeout 30",
            "FOO=${CML_MAGIC_API_KEY}\nMODE=fast",
        )  # fmt: skip
        listed = shell.run_line_magic("cml", "runs list --job with-secrets --project risk-analysis")
    assert by_line.environment["FOO"] == key == by_body.environment["FOO"]  # the runs got it
    shown = "\n".join(
        [_shown(by_line), _shown(by_body), pretty(by_line), pretty(by_body), _shown(listed)]
        + [captured.stdout, captured.stderr]
        + [json.dumps(o.data, default=str) for o in captured.outputs]
    )
    assert f"'FOO': '{MASK}'" in shown and f"FOO={MASK}" in shown and "MODE=fast" in shown
    assert leaked(shown, key) == []


def _error_page(echoed: str, at: int) -> str:
    """An HTML error page (as a proxy makes) echoing `echoed` from character `at` on."""
    head = "<html><body><pre>"
    return f"{head}{'x' * (at - len(head))}{echoed}\nGET /api/v1/...</pre></body></html>"


@pytest.mark.parametrize("before", [0, 275, 293])
def test_a_v1_error_page_echoing_the_basic_header_is_masked_before_it_is_cut(
    httpserver: Any, before: int
) -> None:
    """Not CML's JSON, so the error quotes the page's first 300 characters: masked first.
    At 275 the old cut left 25 characters of the key, at 293 seven (too few to recognise)."""
    import secrets

    from werkzeug import Request, Response

    from cml_magic.api import AuthError

    key, legacy = secrets.token_urlsafe(42), secrets.token_urlsafe(42)

    def echo(request: Request) -> Response:
        header = str(request.headers.get("Authorization"))
        raw = base64.b64decode(header.split()[-1]).decode().rstrip(":")
        page = _error_page(raw if before else f"Authorization: {header}", before)
        return Response(page, 401, content_type="text/html")

    httpserver.expect_request("/api/v1/projects/alice/demo/jobs").respond_with_handler(echo)
    with (
        CML(httpserver.url_for("/"), key, legacy_api_key=legacy, timeout=5.0) as cml,
        pytest.raises(AuthError) as caught,
    ):
        cml.legacy.jobs("alice", "demo")
    message = caught.value.message
    shown = f"{caught.value}\n{caught.value!r}\n{message}"
    assert len(message) <= 300
    assert MASK in message
    if not before:
        assert f"<pre>Authorization: Basic {MASK} GET /api/v1/" in message
    assert leaked(shown, key, legacy) == []
    assert legacy[:7] not in shown


def test_a_json_error_echoing_the_header_is_masked_before_it_is_cut(httpserver: Any) -> None:
    """CML's envelope with an object as its error is quoted as JSON, at most 300 characters:
    masked first. Here the old cut fell 25 characters into the key."""
    import secrets

    from werkzeug import Request, Response

    from cml_magic.api import AuthError

    key = secrets.token_urlsafe(42)

    def echo(request: Request) -> Response:
        error = {"padding": "x" * 234, "Authorization": request.headers.get("Authorization")}
        return Response(json.dumps({"error": error}), 403)

    httpserver.expect_request("/api/v2/projects").respond_with_handler(echo)
    with CML(httpserver.url_for("/"), key, timeout=5.0) as cml, pytest.raises(AuthError) as caught:
        cml.projects.list()
    message = caught.value.message
    assert message.startswith('{"padding": "xxx') and f'"Authorization": "{MASK}"' in message
    assert len(message) <= 300
    assert leaked(f"{caught.value}\n{caught.value!r}", key) == []


def test_a_notebook_executed_with_nbconvert_holds_no_key(
    server: LocalCML, print_env: str, tmp_path: Path, cml_settings: Any
) -> None:
    """Listings, a run printing its environment, its log, a %%cml_job_env body taking the key
    from the kernel's environment and live widgets; the saved file (outputs and widget state)
    is searched for the key, its Basic form and every 8-character piece."""
    from nbconvert.preprocessors import ExecutePreprocessor

    cml_settings(server.url, server.api_key, WIDGETS="1")
    wait_for_log = (
        "import time\n"
        "deadline = time.monotonic() + 30\n"
        "while 'done printing' not in view.output.value and time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
        "shown = view.output.value\n"
        # Shown again from this cell: nbclient keeps only the widget messages of the cell
        # running, and the poller's thread may have sent the tail between two cells.
        "view.output.value = ''\n"
        "view.set_output(cml.runs.output(run))\n"
        "'done printing' in shown and view.output.value == shown"
    )
    cells = [
        "%load_ext cml_magic\n%config CMLMagics.poll_interval = 0.05",
        "%cml use risk-analysis",
        "%cml jobs list",
        "%cml runs list --job nightly",
        "import os\nkey = os.environ['CML_MAGIC_API_KEY']",
        f"run = %cml jobs run {print_env} --env HARMLESS=$key --wait --timeout 60\nrun",
        f"%cml runs logs {{run.id}} --job {print_env}",
        f"%%cml_job_env {print_env} --wait --timeout 60\nHARMLESS=${{CML_MAGIC_API_KEY}}",
        f"%cml jobs run {print_env} --env HARMLESS=$key --watch",
        "from cml_magic import widgets\nfrom cml_magic.api import CML\n"
        "cml = CML.from_env()\nview = widgets.RunWidget(run, cml)\nview",
        wait_for_log,
        "run",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    ExecutePreprocessor(timeout=120, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(tmp_path)}}
    )
    saved = tmp_path / "executed.ipynb"
    nbformat.write(nb, saved)
    text = saved.read_text()
    outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    assert "done printing" in outputs and f"HARMLESS={MASK}" in outputs  # the log was shown
    assert nb.cells[10].outputs[-1]["data"]["text/plain"] == "True"  # the widget's tail too
    widget_state = json.dumps(nb.metadata["widgets"])
    assert f"HARMLESS={MASK}" in widget_state and "done printing" in widget_state
    assert leaked(text, server.api_key, *run_keys(server)) == []
    assert USER_PW not in text and PAT not in text
