"""Settings the client takes from its surroundings as requests does: proxy and CA bundle
variables (read at each request, so one set after the client was made applies from the next
request on), cookies, redirects of reads; and the exchange log, which never shows the key."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer

from cml_magic.api import CML, CMLConnectionError
from cml_magic.api.transport import PROXY_AND_TLS_VARIABLES
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
    cml = CML(local_cml.url, local_cml.api_key, project="risk-analysis", max_retries=0)
    yield cml
    cml.close()


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


def test_a_cookie_the_server_sets_is_sent_back(httpserver: HTTPServer) -> None:
    # A load balancer's sticky-session cookie: the next request goes to the same node.
    httpserver.expect_ordered_request(RUNTIMES).respond_with_json(
        {"runtimes": []}, headers={"Set-Cookie": "lb=node-2; Path=/"}
    )
    httpserver.expect_ordered_request(RUNTIMES).respond_with_json({"runtimes": []})
    cml = CML(httpserver.url_for("/"), KEY, max_retries=0)
    assert cml.runtimes.list() == []
    assert cml.runtimes.list() == []
    cml.close()
    httpserver.check_assertions()
    first, second = (entry[0] for entry in httpserver.log)
    assert "Cookie" not in first.headers and first.headers["User-Agent"] == "cml-magic"
    assert second.headers["Cookie"] == "lb=node-2"


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


# Variables set before the client was made: read once, then kept ----------------------------


def test_proxy_variables_set_before_the_client_was_made_apply(
    local_cml: LocalCML, proxy: HTTPServer, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("HTTP_PROXY", proxy.url_for("/"))
    with CML(local_cml.url, local_cml.api_key, max_retries=0) as cml:
        assert cml.runtimes.list() == []  # the proxy's answer
        assert cml.runtimes.list() == []
    assert len(proxy.log) == 2
    clean_env.setenv("NO_PROXY", "127.0.0.1")
    with CML(local_cml.url, local_cml.api_key, max_retries=0) as cml:
        assert cml.runtimes.list()  # exempt: straight to the local server
    assert len(proxy.log) == 2


def test_a_ca_bundle_variable_set_before_the_client_was_made_applies(
    https_server: HTTPServer, ca: trustme.CA, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with CML(https_server.url_for("/"), KEY, max_retries=0) as cml:
        assert cml.runtimes.list() == []
        assert cml.runtimes.list() == []  # the same pool, its CA kept


def test_one_client_keeps_each_hosts_tls_apart(
    client: CML,
    https_server: HTTPServer,
    ca: trustme.CA,
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
) -> None:
    # An absolute address (a model endpoint) on another host, over TLS, between reads of the
    # client's own plain-HTTP host: each origin keeps its own pool and certificate check.
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    other = https_server.url_for(RUNTIMES)
    with pytest.raises(CMLConnectionError, match="TLS verification failed"):
        client.transport.request("GET", other)
    assert client.runtimes.list()
    clean_env.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert client.transport.request("GET", other) == {"runtimes": []}
    assert client.runtimes.list()
    assert client.transport.request("GET", other) == {"runtimes": []}
    clean_env.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(CMLConnectionError, match="TLS verification failed"):
        client.transport.request("GET", other)
    assert client.runtimes.list()
