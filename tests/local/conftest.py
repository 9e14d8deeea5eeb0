"""Fixtures for the local server's tests: alice and bob talking to the shared server."""

from __future__ import annotations

import pytest
from local_helpers import Api

from cml_magic.local import LocalCML


@pytest.fixture
def alice(local_cml: LocalCML) -> Api:
    return Api(local_cml, "alice")


@pytest.fixture
def bob(local_cml: LocalCML) -> Api:
    return Api(local_cml, "bob")
