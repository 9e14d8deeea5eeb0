"""Fixtures of the API tests: a client of the shared local server whose every request is
checked against CML's Swagger spec (`recorder`, tests/conftest.py: skipped, saying why, without
the spec), and a private project per test that changes things."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from support.swagger import Recorder

from cml_magic.api import CML, Project
from cml_magic.local import LocalCML


@pytest.fixture
def cml(local_cml: LocalCML, recorder: Recorder) -> Iterator[CML]:
    """alice's client (with her legacy key for v1), default project `risk-analysis`."""
    client = CML(
        local_cml.url,
        local_cml.api_key,
        project="risk-analysis",
        legacy_api_key=local_cml.legacy_api_key,
        backoff=0.01,
    )
    recorder.watch(client.transport.session)
    yield client
    client.close()


@pytest.fixture
def bob(local_cml: LocalCML, recorder: Recorder) -> Iterator[CML]:
    """bob's client (no default project)."""
    client = CML(
        local_cml.url,
        local_cml.keys["bob"],
        legacy_api_key=local_cml.legacy_keys["bob"],
        backoff=0.01,
    )
    recorder.watch(client.transport.session)
    yield client
    client.close()


@pytest.fixture
def project(cml: CML) -> Iterator[Project]:
    """A fresh private project of alice's (from the python template), deleted afterwards."""
    created = cml.projects.create(f"api-test-{uuid.uuid4().hex[:8]}", template="python")
    yield created
    cml.projects.delete(created.id)
