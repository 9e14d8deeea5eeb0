"""A real IPython shell with `%load_ext cml_magic`, isolated from the machine's CML settings."""

from __future__ import annotations

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
    """A demo server of the magics' own: these tests start runs, models and apps."""
    from cml_magic.local import LocalCML

    with LocalCML(seed="demo", phase_delay=0.05) as server:
        yield server


@pytest.fixture
def cml_ip(ip: InteractiveShell, magic_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`ip` configured for the demo server as alice, polling fast."""
    monkeypatch.setenv("CML_MAGIC_HOST", magic_server.url)
    monkeypatch.setenv("CML_MAGIC_API_KEY", magic_server.api_key)
    ip.run_line_magic("config", "CMLMagics.poll_interval = 0.05")
    return ip


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
