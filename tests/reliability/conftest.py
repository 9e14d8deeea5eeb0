"""Fixtures of the reliability tests."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import IPython
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.testing.globalipapp import start_ipython
from reliability_helpers import RawServer


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Callable[[socket.socket, bytes, int], None]) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def cml_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., None]:
    """`cml_settings(host, key, **more)`: the only CML settings this process (and any kernel it
    starts) sees: `CML_MAGIC_HOST`, `CML_MAGIC_API_KEY` and `CML_MAGIC_<NAME>` for each of
    `more`; no config file, no CML session variables."""

    def use(host: str, key: str, **more: str) -> None:
        for name in list(os.environ):
            if name.startswith(("CML_MAGIC_", "CDSW_")):
                monkeypatch.delenv(name)
        monkeypatch.setenv("CML_MAGIC_CONFIG", str(tmp_path / "no-config.toml"))
        monkeypatch.setenv("CML_MAGIC_HOST", host)
        monkeypatch.setenv("CML_MAGIC_API_KEY", key)
        for name, value in more.items():
            monkeypatch.setenv(f"CML_MAGIC_{name}", value)

    return use


@pytest.fixture
def load_magics() -> Iterator[Callable[..., InteractiveShell]]:
    """`load_magics(**settings)`: the test IPython shell with `%load_ext cml_magic` and
    `%config CMLMagics.<name> = <value>` for each setting. After the test the extension is
    unloaded and the names and settings the test left are removed."""
    loaded: list[tuple[InteractiveShell, set[str]]] = []

    def load(**settings: float) -> InteractiveShell:
        # One global test shell per process (IPython allows one).
        ip: InteractiveShell = start_ipython() or IPython.get_ipython()
        _forget_settings(ip)
        ip.run_line_magic("load_ext", "cml_magic")
        for name, value in settings.items():
            ip.run_line_magic("config", f"CMLMagics.{name} = {value!r}")
        loaded.append((ip, set(ip.user_ns)))
        return ip

    yield load
    for ip, before in loaded:
        ip.run_line_magic("unload_ext", "cml_magic")
        for name in set(ip.user_ns) - before:
            del ip.user_ns[name]
        _forget_settings(ip)


def _forget_settings(ip: InteractiveShell) -> None:
    """`%config` writes into the shell's config, which outlives a test."""
    for section in ("CMLMagics", "CMLMagic"):
        ip.config.pop(section, None)
