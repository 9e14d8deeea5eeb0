"""Shared fixtures: the local CML server, started as a user would start it (a subprocess).

`local_cml` is one seeded demo server for the whole session (fast phases); tests that change
server-wide state or kill the server use `local_cml_factory` to get a private one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

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
