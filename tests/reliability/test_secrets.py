"""The API key never shows: outputs, displays, widget state, errors, reprs, log records
(root logger at DEBUG, urllib3 included) and a saved notebook. Secret-looking environment
values are masked wherever they are displayed."""

from __future__ import annotations

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
from cml_magic.local import LocalCML

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
