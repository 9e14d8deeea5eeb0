"""A real IPython shell with `%load_ext cml_magic`, isolated from the machine's CML settings."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import IPython
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.testing.globalipapp import start_ipython


def _clear_cml_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("CML_MAGIC_", "CDSW_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CML_MAGIC_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InteractiveShell]:
    """The test shell with the extension loaded (fresh magics each test)."""
    _clear_cml_environment(monkeypatch, tmp_path)
    # One global test shell per process (IPython allows one); it re-raises nothing itself.
    shell = start_ipython() or IPython.get_ipython()
    _forget_settings(shell)
    shell.run_line_magic("load_ext", "cml_magic")
    before = set(shell.user_ns)
    yield shell
    shell.run_line_magic("unload_ext", "cml_magic")
    for name in set(shell.user_ns) - before:
        del shell.user_ns[name]
    _forget_settings(shell)


def _forget_settings(shell: InteractiveShell) -> None:
    """`%config` writes into the shell's config, which outlives a test."""
    for section in ("CMLMagics", "CMLMagic"):
        shell.config.pop(section, None)


@pytest.fixture
def magics(ip: InteractiveShell) -> Any:
    """The `CMLMagics` instance registered in `ip`."""
    return ip._cml_magics  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def magic_server() -> Iterator[Any]:
    """A demo server of the magics' own: these tests start runs, models and apps, and no
    other package's tests can leave a run going on it."""
    from cml_magic.local import LocalCML

    with LocalCML(seed="demo", phase_delay=0.05) as server:
        yield server


@pytest.fixture(scope="session")
def local_cml(magic_server: Any) -> Any:
    """The shared server, for the magics tests: their own one, never the session's."""
    return magic_server


@pytest.fixture
def cml_ip(
    ip: InteractiveShell, magic_server: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """`ip` configured for the demo server as alice, polling fast.

    After the test, every run still going on the server is stopped and waited out: a job runs
    at most once at a time, so a run left going would refuse the next test's run.
    """
    monkeypatch.setenv("CML_MAGIC_HOST", magic_server.url)
    monkeypatch.setenv("CML_MAGIC_API_KEY", magic_server.api_key)
    monkeypatch.setenv("CML_MAGIC_LEGACY_API_KEY", magic_server.legacy_api_key)
    ip.run_line_magic("config", "CMLMagics.poll_interval = 0.05")
    yield ip
    settle_runs(magic_server)


def settle_runs(server: Any, seconds: float = 20.0) -> None:
    """Stop alice's runs that are still going on `server` and wait until each has ended."""
    from cml_magic.api import CML, CMLError

    with CML(server.url, server.api_key, timeout=10.0) as client:
        going = [
            run
            for project in client.projects.list()
            for job in client.jobs.list(project=project.id)
            for run in client.runs.list(job.id, project=project.id, limit=5)
            if not run.finished
        ]
        for run in going:
            with contextlib.suppress(CMLError):  # it ended meanwhile
                client.runs.stop(run.id, run.job_id, project=run.project_id)
        for run in going:
            _poll(
                lambda run=run: (
                    client.runs.get(run.id, run.job_id, project=run.project_id).finished
                ),
                f"run {run.id} to end",
                seconds,
            )


@pytest.fixture
def api(magic_server: Any) -> Iterator[Any]:
    """An API client of its own, to check what the magics did."""
    from cml_magic.api import CML

    with CML(magic_server.url, magic_server.api_key, timeout=10.0) as client:
        yield client


def _poll(check: Any, what: str, seconds: float = 20.0) -> Any:
    """`check()` until it returns something truthy, for at most `seconds`."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def poll() -> Any:
    """`poll(check, what, seconds=20)`: a bounded wait for a condition."""
    return _poll
