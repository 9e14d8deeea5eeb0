"""Fixtures of the API tests: a client of the shared local server whose every request is
checked against CML's Swagger spec, and a private project per test that changes things."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator

import pytest
import trustme
from conformance.swagger import Recorder
from pytest_httpserver import HTTPServer

from cml_magic.api import CML, Project
from cml_magic.local import LocalCML


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Every request of the test's clients; the test fails if one is not in the spec."""
    seen = Recorder()
    yield seen
    assert not seen.problems, "requests outside CML's API:\n" + "\n".join(seen.problems)


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


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throwaway certificate authority (each test module its own)."""
    return trustme.CA()


@pytest.fixture(scope="module")
def https_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    """An HTTPS server whose certificate `ca` signed, answering an empty runtime list."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/api/v2/runtimes").respond_with_json({"runtimes": []})
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()
