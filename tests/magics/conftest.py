"""Fixtures of the magics tests: a demo server of their own, `ip` configured for it, and an API
client to check what the magics did (`ip` and `magics` come from tests/conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from support.waits import wait_for


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
            wait_for(
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
