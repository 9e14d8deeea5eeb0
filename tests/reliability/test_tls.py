"""TLS: the local server over HTTPS with a certificate from a throwaway CA (trustme)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
import urllib3

from cml_magic.api import CML, CMLConnectionError
from cml_magic.local import LocalCML


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_cml(
    ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalCML, str]]:
    folder = tmp_path_factory.mktemp("tls")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, bundle = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(certfile), append=True)
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(bundle))
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
