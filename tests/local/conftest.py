"""Fixtures for the local server's tests: alice and bob talking to a server of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.rest import Api

from cml_magic.local import LocalCML


@pytest.fixture(scope="session")
def local_cml() -> Iterator[LocalCML]:
    """Overrides the shared server here: the many scratch projects these tests create stay
    out of other folders' tests."""
    with LocalCML(seed="demo", phase_delay=0.05) as server:
        yield server


@pytest.fixture
def alice(local_cml: LocalCML) -> Api:
    return Api(local_cml, "alice")


@pytest.fixture
def bob(local_cml: LocalCML) -> Api:
    return Api(local_cml, "bob")
