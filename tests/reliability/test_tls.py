"""TLS: the client's options reach the connection, against an HTTPS test server and the local
server over HTTPS, each with a certificate from a throwaway CA (`ca`, tests/conftest.py)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
import urllib3
from pytest_httpserver import HTTPServer
from support.tls import server_files

from cml_magic.api import CML, CMLConnectionError
from cml_magic.local import LocalCML


@pytest.fixture(scope="module")
def https_cml(
    ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalCML, str]]:
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile, bundle = server_files(ca, folder)
    with LocalCML(
        data_dir=folder / "data", phase_delay=0.05, ssl_certfile=certfile, ssl_keyfile=keyfile
    ) as server:
        yield server, str(bundle)


def test_the_local_server_speaks_https(https_cml: tuple[LocalCML, str]) -> None:
    server, _ = https_cml
    assert server.url.startswith("https://127.0.0.1:")


def test_default_verification_rejects_a_self_signed_server(
    https_cml: tuple[LocalCML, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = https_cml
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with (
        CML(server.url, server.api_key, timeout=5.0) as cml,
        pytest.raises(CMLConnectionError) as caught,
    ):
        cml.projects.list()
    message = str(caught.value)
    assert "TLS verification failed" in message
    assert "\n" not in message
    assert server.api_key not in message


def test_a_custom_ca_bundle_is_trusted(https_cml: tuple[LocalCML, str]) -> None:
    server, bundle = https_cml
    with CML(server.url, server.api_key, verify=bundle, timeout=5.0) as cml:
        names = {p.name for p in cml.projects.list()}
        assert names  # alice's seeded projects, read over verified TLS
        assert cml.whoami().username == "alice"


def test_ca_bundle_from_the_environment(
    https_cml: tuple[LocalCML, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, bundle = https_cml
    monkeypatch.setenv("CML_MAGIC_HOST", server.url)
    monkeypatch.setenv("CML_MAGIC_API_KEY", server.api_key)
    monkeypatch.setenv("CML_MAGIC_CA_BUNDLE", bundle)
    with CML.from_env() as cml:
        assert cml.projects.list()


def test_verify_false_works_and_warns_once(https_cml: tuple[LocalCML, str]) -> None:
    server, _ = https_cml
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with CML(server.url, server.api_key, verify=False, timeout=5.0) as cml:
            for _ in range(3):
                cml.projects.list()
            cml.whoami()
    insecure = [
        w for w in caught if issubclass(w.category, urllib3.exceptions.InsecureRequestWarning)
    ]
    assert len(insecure) == 1, [str(w.message) for w in caught]
    assert "TLS verification is off" in str(insecure[0].message)


def test_the_bundle_path_must_exist(tmp_path: Path) -> None:
    from cml_magic.api import ConfigError

    with pytest.raises(ConfigError, match="does not exist"):
        CML.from_env(host="https://127.0.0.1:1", api_key="x" * 20, verify=str(tmp_path / "no.pem"))


# An HTTPS test server (pytest-httpserver) ---------------------------------------------------

KEY = "tls-test-key-0123456789abcdef"


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_https_with_the_ca_bundle_path(https_server: HTTPServer, ca_file: str) -> None:
    url = https_server.url_for("/")
    assert url.startswith("https://")
    cml = CML(url, KEY, verify=ca_file)
    assert cml.runtimes.list() == []


def test_https_without_the_ca_fails_with_a_clear_error(
    https_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cml = CML(https_server.url_for("/"), KEY)
    delays: list[float] = []
    cml.transport.sleep = delays.append
    with pytest.raises(CMLConnectionError, match="TLS verification failed") as caught:
        cml.runtimes.list()
    assert "\n" not in str(caught.value) and KEY not in str(caught.value)
    assert delays == []  # a failed certificate check is not retried


def test_requests_ca_bundle_is_honoured(
    https_server: HTTPServer, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)
    assert CML(https_server.url_for("/"), KEY).runtimes.list() == []


def test_verify_false_skips_the_check(https_server: HTTPServer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert CML(https_server.url_for("/"), KEY, verify=False).runtimes.list() == []


def test_ca_bundle_from_our_variable(https_server: HTTPServer, ca_file: str) -> None:
    env = {"CML_MAGIC_HOST": https_server.url_for("/"), "CML_MAGIC_API_KEY": KEY}
    env |= {"CML_MAGIC_CA_BUNDLE": ca_file, "CML_MAGIC_CONFIG": "/nonexistent/config.toml"}
    cml = CML.from_env(env=env)
    assert cml.transport.verify == ca_file
    assert cml.runtimes.list() == []
