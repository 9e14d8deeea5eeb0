"""The transport prepares each request itself and works out proxies, TLS settings and headers
once per change: what goes on the wire must stay what `requests.Session.request` sends, and
settings changed after the client was made (environment variables, the session's own
headers, hooks, cookies) must apply from the next request on."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from pytest_httpserver import HTTPServer

from cml_magic.api import CML, CMLConnectionError, CMLError
from cml_magic.api.transport import (
    PROXY_AND_TLS_VARIABLES,
    BearerAuth,
    LegacyAuth,
    _clean_params,
)
from cml_magic.local import LocalCML

KEY = "settings-test-key-0123456789abcd"
RUNTIMES = "/api/v2/runtimes"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy or CA bundle variable from the machine running the tests."""
    for name in PROXY_AND_TLS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def proxy() -> Iterator[HTTPServer]:
    """A forward proxy stand-in: answers every runtimes listing itself with no runtimes."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(RUNTIMES).respond_with_json({"runtimes": [], "next_page_token": ""})
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def client(local_cml: LocalCML) -> Iterator[CML]:
    cml = CML(
        local_cml.url,
        local_cml.api_key,
        project="risk-analysis",
        legacy_api_key=local_cml.legacy_api_key,
        max_retries=0,
    )
    yield cml
    cml.close()


def _sent_by(session: requests.Session) -> list[requests.PreparedRequest]:
    seen: list[requests.PreparedRequest] = []
    session.hooks["response"].append(lambda response, *a, **k: seen.append(response.request))
    return seen


def _wire(request: requests.PreparedRequest) -> tuple[Any, ...]:
    return (request.method, request.url, dict(request.headers), request.body)


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", RUNTIMES, {}),
    ("GET", "/api/v2/projects", {"params": {"page_size": 2, "include_public": True}}),
    ("GET", "/api/v2/projects", {"params": {"search_filter": '{"name":"risk analysis"}'}}),
    ("POST", "/api/v2/auth/validate_key", {"json_body": {"audience": "API"}}),
    ("GET", "/api/v1/projects/alice/risk-analysis/jobs/208", {"legacy": True}),
    ("GET", "/api/v2/projects/a b/ü", {}),  # quoted by requests, as before
    ("DELETE", "/api/v2/projects/abcd-abcd-abcd-abcd", {}),
]


@pytest.mark.parametrize(("method", "path", "options"), CASES)
def test_what_is_sent_is_what_session_request_sends(
    client: CML, local_cml: LocalCML, method: str, path: str, options: dict[str, Any]
) -> None:
    transport = client.transport
    seen = _sent_by(transport.session)
    with contextlib.suppress(CMLError):  # the odd path and the unknown project answer 4xx
        transport.request(method, path, **options)
    legacy = options.get("legacy", False)
    transport.session.request(
        method,
        transport.host + path,
        params=_clean_params(options.get("params")),
        json=options.get("json_body"),
        auth=LegacyAuth(local_cml.legacy_api_key) if legacy else BearerAuth(local_cml.api_key),
        timeout=transport.timeout,
        verify=transport.verify,
        allow_redirects=method in ("GET", "HEAD"),
    )
    assert len(seen) == 2
    assert _wire(seen[0]) == _wire(seen[1])
    expected = "Basic " if legacy else "Bearer "
    assert seen[0].headers["Authorization"].startswith(expected)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_set_after_the_client_was_made_applies_from_the_next_request(
    client: CML,
    local_cml: LocalCML,
    proxy: HTTPServer,
    clean_env: pytest.MonkeyPatch,
    variable: str,
) -> None:
    assert client.runtimes.list()  # direct: the local server has runtimes
    clean_env.setenv(variable, proxy.url_for("/"))
    assert client.runtimes.list() == []  # the proxy's answer
    assert len(proxy.log) == 1
    forwarded = proxy.log[0][0]
    assert forwarded.url.startswith(client.host)  # absolute form: meant for the CML host
    assert forwarded.headers["Authorization"] == f"Bearer {local_cml.api_key}"
    clean_env.setenv("NO_PROXY", "127.0.0.1")
    assert client.runtimes.list()
    clean_env.delenv("NO_PROXY")
    assert client.runtimes.list() == []
    clean_env.delenv(variable)
    assert client.runtimes.list()
    assert len(proxy.log) == 2


def test_an_https_proxy_variable_does_not_apply_to_an_http_host(
    client: CML, proxy: HTTPServer, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("HTTPS_PROXY", proxy.url_for("/"))
    assert client.runtimes.list()
    assert proxy.log == []


def test_the_session_settings_changed_later_are_honoured(
    client: CML, proxy: HTTPServer, clean_env: pytest.MonkeyPatch
) -> None:
    session = client.transport.session
    clean_env.setenv("HTTP_PROXY", proxy.url_for("/"))
    session.trust_env = False  # requests' switch: the environment is ignored
    assert client.runtimes.list()
    session.proxies = {"http": proxy.url_for("/")}
    assert client.runtimes.list() == []
    session.proxies = {}
    assert client.runtimes.list()
    assert len(proxy.log) == 1


def test_headers_hooks_and_cookies_added_later_are_used(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(RUNTIMES).respond_with_json(
        {"runtimes": []}, headers={"Set-Cookie": "lb=node-2; Path=/"}
    )
    httpserver.expect_ordered_request(RUNTIMES).respond_with_json({"runtimes": []})
    cml = CML(httpserver.url_for("/"), KEY, max_retries=0)
    assert cml.runtimes.list() == []
    seen = _sent_by(cml.transport.session)
    cml.transport.session.headers["X-Trace"] = "cell-7"
    cml.transport.session.headers["User-Agent"] = None  # requests' rule: not sent at all
    assert cml.runtimes.list() == []
    cml.close()
    httpserver.check_assertions()
    first, second = (entry[0] for entry in httpserver.log)
    assert "Cookie" not in first.headers and first.headers["User-Agent"] == "cml-magic"
    assert second.headers["Cookie"] == "lb=node-2"
    assert second.headers["X-Trace"] == "cell-7"
    assert second.headers.get("User-Agent") != "cml-magic"
    assert len(seen) == 1 and seen[0].headers["X-Trace"] == "cell-7"


def test_a_read_follows_a_redirect_on_the_same_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request(RUNTIMES).respond_with_data(
        "", status=302, headers={"Location": "/elsewhere/runtimes"}
    )
    httpserver.expect_request("/elsewhere/runtimes").respond_with_json({"runtimes": []})
    cml = CML(httpserver.url_for("/"), KEY, max_retries=0)
    assert cml.runtimes.list() == []
    cml.close()
    assert [entry[0].path for entry in httpserver.log] == [RUNTIMES, "/elsewhere/runtimes"]


def test_the_exchange_log_is_quiet_when_off_and_never_shows_the_key(
    client: CML, local_cml: LocalCML, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cml_magic.api"):
        client.runtimes.list()
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="cml_magic.api"):
        client.runtimes.list()
    assert any("GET /api/v2/runtimes -> 200" in r.getMessage() for r in caplog.records)
    assert local_cml.api_key not in caplog.text


# TLS: a CA bundle variable set after the client was made ---------------------------------------


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_variable_set_after_the_client_was_made_applies_from_the_next_request(
    https_server: HTTPServer,
    ca: trustme.CA,
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    variable: str,
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    cml = CML(https_server.url_for("/"), KEY, max_retries=0)
    with pytest.raises(CMLConnectionError, match="TLS verification failed"):
        cml.runtimes.list()
    clean_env.setenv(variable, str(bundle))
    assert cml.runtimes.list() == []
    clean_env.delenv(variable)
    with pytest.raises(CMLConnectionError, match="TLS verification failed"):
        cml.runtimes.list()
    cml.close()


def test_an_explicit_ca_bundle_beats_the_variable(
    https_server: HTTPServer, ca: trustme.CA, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with CML(https_server.url_for("/"), KEY, verify=str(bundle), max_retries=0) as cml:
        assert cml.runtimes.list() == []
