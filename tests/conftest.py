"""Shared fixtures, built on `tests/support/`.

* The local CML server, started as a user would start it (a subprocess): `local_cml` is one
  seeded demo server for the whole session (fast phases); tests that change server-wide state or
  kill the server use `local_cml_factory` to get a private one.
* The test IPython shell: `ip` (the extension loaded, no machine settings), `load_magics`
  and `cml_settings`; its `run_cell` re-raises what a cell raised.
* Throwaway servers: `raw_server` (raw TCP), `ca` and `https_server` (TLS).
* `recorder`: CML's spec judging every request of the clients it watches; a test that asks for
  it is skipped, saying why, where the spec is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import trustme
from hypothesis import settings
from IPython.core.interactiveshell import InteractiveShell
from pytest_httpserver import HTTPServer
from support import shell, swagger, tls
from support.servers import Handler, RawServer

from cml_magic.local import LocalCML

FAST_PHASES = 0.05

# In CI the property tests draw the same examples every run, so a red build is always the change's
# doing; a developer's runs draw fresh ones and find new cases (then pinned with `@example`).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def local_cml() -> Iterator[LocalCML]:
    """A seeded demo server shared by the session: `.url`, `.api_key` (alice), `.keys`."""
    with LocalCML(seed="demo", phase_delay=FAST_PHASES) as server:
        yield server


@pytest.fixture
def local_cml_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., LocalCML]]:
    """Start private servers: `local_cml_factory(seed="demo", phase_delay=..., env=...)`.

    Each is started (and stopped after the test, with its data removed); pass `data_dir` to
    keep state in a folder of your own.
    """
    servers: list[LocalCML] = []

    def start(**options: Any) -> LocalCML:
        options.setdefault("seed", "demo")
        options.setdefault("phase_delay", FAST_PHASES)
        if "data_dir" not in options:
            options["data_dir"] = tmp_path_factory.mktemp("cml-local")
        server = LocalCML(**options)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def ip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InteractiveShell]:
    """The test shell with the extension loaded (fresh magics each test), no CML settings of
    the machine's; `ip.run_cell` re-raises."""
    shell.clean_environment(monkeypatch, tmp_path)
    with shell.loaded() as loaded:
        yield loaded


@pytest.fixture
def magics(ip: InteractiveShell) -> Any:
    """The `CMLMagics` instance registered in `ip`."""
    return ip._cml_magics  # type: ignore[attr-defined]


@pytest.fixture
def cml_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., None]:
    """`cml_settings(host, key, **more)`: the only CML settings this process (and any kernel it
    starts) sees: `CML_MAGIC_HOST`, `CML_MAGIC_API_KEY` and `CML_MAGIC_<NAME>` for each of
    `more`; no config file, no CML session variables."""

    def use(host: str, key: str, **more: str) -> None:
        shell.clean_environment(monkeypatch, tmp_path)
        monkeypatch.setenv("CML_MAGIC_HOST", host)
        monkeypatch.setenv("CML_MAGIC_API_KEY", key)
        for name, value in more.items():
            monkeypatch.setenv(f"CML_MAGIC_{name}", value)

    return use


@pytest.fixture
def load_magics() -> Iterator[Callable[..., InteractiveShell]]:
    """`load_magics(**settings)`: the test shell with `%load_ext cml_magic` and
    `%config CMLMagics.<name> = <value>` for each setting (see `support.shell.loaded`)."""
    with ExitStack() as stack:
        yield lambda **settings: stack.enter_context(shell.loaded(**settings))


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], RawServer]]:
    """`raw_server(handler)`: a started `support.servers.RawServer`, closed after the test."""
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority (each test module its own)."""
    return trustme.CA()


@pytest.fixture(scope="module")
def https_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    """An HTTPS server whose certificate `ca` signed, answering an empty runtime list."""
    with tls.https_server(ca) as server:
        yield server


@pytest.fixture
def recorder() -> Iterator[swagger.Recorder]:
    """Every request of the clients it watches; the test fails if one is not in CML's spec.

    Without the spec the test is skipped here, saying where the spec was looked for: never
    from inside a request hook, where a client or a cell could swallow the skip.
    """
    seen = swagger.Recorder()
    yield seen
    assert not seen.problems, "requests outside CML's API:\n" + "\n".join(seen.problems)


@pytest.fixture
def system_keyring(tmp_path: Path) -> Iterator[Any]:
    """A working system keyring for the test: `support.keyrings.FileKeyring` in its folder."""
    from support import keyrings

    with keyrings.using(keyrings.FileKeyring(tmp_path / "keyring.json")) as backend:
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[Any]:
    """No usable system keyring during the test (keyring's own failing backend)."""
    from support import keyrings

    with keyrings.using(keyrings.none()) as backend:
        yield backend
