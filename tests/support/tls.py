"""A throwaway certificate authority (trustme) and what it signs: an HTTPS test server, PEM
files for the local server."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trustme
from pytest_httpserver import HTTPServer


@contextmanager
def https_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    """An HTTPS server on 127.0.0.1 whose certificate `ca` signed, answering an empty runtime
    list."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/api/v2/runtimes").respond_with_json({"runtimes": []})
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def server_files(ca: trustme.CA, folder: Path) -> tuple[Path, Path, Path]:
    """A certificate for 127.0.0.1 signed by `ca`, written to `folder`: (certificate chain,
    private key, the CA's bundle)."""
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, bundle = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(certfile), append=True)
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(bundle))
    return certfile, keyfile, bundle
