"""Streamed file transfers: the multipart file body, and `Transport.transfer`'s deadline (each
wait bounded, not the whole transfer), errors and cut-off answers, on throwaway servers
(`raw_server`: tests/support/servers.py)."""

from __future__ import annotations

import io
import socket
import time
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cml_magic.api import CML, CMLConnectionError, NotFoundError
from cml_magic.api.multipart import MultipartFile

KEY = "secret-key-abcdefghijklmnop-1234"
PID = "abcd-efgh-ijkl-mnop"
DOWNLOAD = f"/api/v2/projects/{PID}/files/big.bin:download"


def test_the_multipart_body_reads_in_pieces_and_rewinds() -> None:
    data = bytes(range(256)) * 1000
    source = io.BytesIO(b"skipped" + data)
    source.seek(7)  # from where the file object stands
    seen: list[int] = []
    body = MultipartFile('dir/a "b".bin', "a.bin", source, seen.append)
    whole = bytearray()
    while piece := body.read(1000):
        whole += piece
    assert len(whole) == len(body) and sum(seen) == len(data)
    head, _, rest = bytes(whole).partition(b"\r\n\r\n")
    assert b'name="dir/a %22b%22.bin"; filename="a.bin"' in head
    assert rest == data + f"\r\n--{body.boundary}--\r\n".encode()
    assert body.seek(0) == 0 and body.read() == bytes(whole)  # what urllib3 does to resend


def test_a_file_that_shrinks_while_sent_is_an_error() -> None:
    source = io.BytesIO(b"x" * 100)
    body = MultipartFile("a", "a", source)
    source.truncate(10)
    with pytest.raises(OSError, match="got shorter"):
        body.read()


def _head(length: int) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _trickle(conn: socket.socket, _head_read: bytes, _n: int) -> None:
    # 12 chunks 0.1 s apart: the whole answer takes longer than the client's 0.5 s timeout,
    # but no wait for a chunk comes near it.
    conn.sendall(_head(12 * 1000))
    for _ in range(12):
        time.sleep(0.1)
        conn.sendall(b"y" * 1000)


def _stall(conn: socket.socket, _head_read: bytes, _n: int) -> None:
    conn.sendall(_head(5000) + b"z" * 1000)
    time.sleep(3)


def _cut(conn: socket.socket, _head_read: bytes, _n: int) -> None:
    conn.sendall(_head(100_000) + b"z" * 70_000)  # one whole 64 KiB chunk, then the end


def _client(port: int) -> CML:
    cml = CML(f"http://127.0.0.1:{port}", KEY, project=PID, max_retries=2, timeout=0.5)
    cml.transport.sleep = lambda seconds: None
    return cml


def test_a_transfer_outlasts_the_timeout_while_bytes_keep_coming(raw_server: Any) -> None:
    server = raw_server(_trickle)
    with _client(server.port) as cml:
        sink = io.BytesIO()
        chunks: list[int] = []
        assert cml.files.download_to("big.bin", sink, progress=chunks.append) == 12000
        assert sink.getvalue() == b"y" * 12000 and sum(chunks) == 12000
        # The same answer read whole by `request` ends at its one deadline (its retry then
        # finds the one-answer server gone).
        with pytest.raises(CMLConnectionError, match="no answer within the timeout|reset"):
            cml.files.download("big.bin")


def test_a_transfer_that_stalls_fails_within_the_timeout(raw_server: Any) -> None:
    server = raw_server(_stall)
    with _client(server.port) as cml:
        with pytest.raises(CMLConnectionError, match="no answer within the timeout") as caught:
            cml.files.download_to("big.bin", io.BytesIO())
        assert KEY not in str(caught.value)


def test_an_answer_cut_off_mid_transfer_is_not_resent(raw_server: Any) -> None:
    server = raw_server(_cut)
    with _client(server.port) as cml:
        sink = io.BytesIO()
        with pytest.raises(CMLConnectionError, match="cut off"):
            cml.files.download_to("big.bin", sink)
    # The sink holds the first bytes already: a resend would write them twice.
    assert server.connections == 1 and sink.getvalue() == b"z" * 65536


def test_a_transfer_error_is_the_typed_error_with_its_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request(DOWNLOAD, method="POST").respond_with_json(
        {"message": "file big.bin not found"}, status=404
    )
    with CML(httpserver.url_for("/"), KEY, project=PID) as cml:
        sink = io.BytesIO()
        with pytest.raises(NotFoundError, match="file big.bin not found"):
            cml.files.download_to("big.bin", sink)
    assert sink.getvalue() == b""
