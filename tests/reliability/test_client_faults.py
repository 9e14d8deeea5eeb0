"""Faults the client survives: a retry where that is safe, or one clear error; never a
duplicated change, never a silent wrong result, never a hung call."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest
from IPython.core.error import UsageError
from pytest_httpserver import HTTPServer
from reliability_helpers import RUN_FINAL, RawServer, quick_client, wait_for
from werkzeug import Request, Response

from cml_magic.api import (
    CML,
    CMLConnectionError,
    CMLError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from cml_magic.local import LocalCML
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.run_widget import RunWidget

PROJECT = "aaaa-bbbb-cccc-dddd"
JOB = "eeee-ffff-gggg-hhhh"
PROJECT_PATH = f"/api/v2/projects/{PROJECT}"
RUNS_PATH = f"{PROJECT_PATH}/jobs/{JOB}/runs"
KEY = "secret-key-" + "z" * 20
PROJECT_JSON = {"id": PROJECT, "name": "p", "owner": {"username": "alice"}}


def sequence(*answers: Response) -> Any:
    """A handler that gives `answers` in turn (the last one from then on) and logs requests."""
    seen: list[tuple[float, Request]] = []

    def handle(request: Request) -> Response:
        seen.append((time.monotonic(), request))
        return answers[min(len(seen), len(answers)) - 1]

    handle.seen = seen  # type: ignore[attr-defined]
    return handle


def error(status: int, message: str, **headers: str) -> Response:
    return Response(json.dumps({"message": message}), status, headers)


def ok(body: Any) -> Response:
    return Response(json.dumps(body), 200, {"Content-Type": "application/json"})


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_503_burst_is_ridden_out_by_a_read(httpserver: HTTPServer, status: int) -> None:
    handler = sequence(*[error(status, "busy")] * 3, ok(PROJECT_JSON))
    httpserver.expect_request(PROJECT_PATH, method="GET").respond_with_handler(handler)
    with quick_client(httpserver.url_for("/"), KEY) as cml:
        assert cml.projects.get(PROJECT).name == "p"
    assert len(handler.seen) == 4


def test_a_503_burst_longer_than_the_retries_is_one_clear_error(httpserver: HTTPServer) -> None:
    handler = sequence(error(503, "upstream\n  down"))
    httpserver.expect_request(PROJECT_PATH, method="GET").respond_with_handler(handler)
    with quick_client(httpserver.url_for("/"), KEY) as cml, pytest.raises(ServerError) as caught:
        cml.projects.get(PROJECT)
    assert len(handler.seen) == 1 + cml.transport.max_retries
    assert "\n" not in str(caught.value) and "upstream down" in str(caught.value)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


def test_a_503_on_starting_a_run_is_not_resent(httpserver: HTTPServer) -> None:
    handler = sequence(error(503, "busy"), ok({"id": "x"}))
    httpserver.expect_request(RUNS_PATH, method="POST").respond_with_handler(handler)
    with quick_client(httpserver.url_for("/"), KEY) as cml, pytest.raises(ServerError):
        cml.runs.create(JOB, project=PROJECT)
    assert len(handler.seen) == 1  # the server may have started it: never a second run


def test_429_waits_for_retry_after(httpserver: HTTPServer) -> None:
    handler = sequence(error(429, "slow down", **{"Retry-After": "1"}), ok(PROJECT_JSON))
    httpserver.expect_request(PROJECT_PATH, method="GET").respond_with_handler(handler)
    with quick_client(httpserver.url_for("/"), KEY) as cml:
        assert cml.projects.get(PROJECT).id == PROJECT
    (first, _), (second, _) = handler.seen
    assert second - first >= 1.0  # the server's wish, not the client's shorter back-off


def test_429_on_a_change_is_one_error_with_retry_after(httpserver: HTTPServer) -> None:
    handler = sequence(error(429, "slow down", **{"Retry-After": "7"}))
    httpserver.expect_request(RUNS_PATH, method="POST").respond_with_handler(handler)
    with quick_client(httpserver.url_for("/"), KEY) as cml, pytest.raises(RateLimitError) as caught:
        cml.runs.create(JOB, project=PROJECT)
    assert caught.value.retry_after == pytest.approx(7, abs=1)
    assert len(handler.seen) == 1


def _reset(conn: socket.socket) -> None:
    # SO_LINGER 0: close sends RST, as a crashing proxy does.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


def _answer(conn: socket.socket, body: bytes, length: int | None = None) -> None:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\nConnection: close\r\n\r\n"
    )
    conn.sendall(head.encode() + body)


def test_a_reset_mid_answer_is_retried_for_a_read(raw_server: Any) -> None:
    def handler(conn: socket.socket, _data: bytes, n: int) -> None:
        if n == 1:
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"id": ')
            _reset(conn)
        else:
            _answer(conn, json.dumps(PROJECT_JSON).encode())

    server: RawServer = raw_server(handler)
    with quick_client(server.url, KEY) as cml:
        assert cml.projects.get(PROJECT).id == PROJECT
    assert len(server.received) == 2


def test_a_reset_mid_answer_to_a_run_start_is_one_error_and_no_second_run(
    raw_server: Any,
) -> None:
    def handler(conn: socket.socket, _data: bytes, _n: int) -> None:
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"id": ')
        _reset(conn)

    server: RawServer = raw_server(handler)
    with quick_client(server.url, KEY) as cml, pytest.raises(CMLConnectionError) as caught:
        cml.runs.create(JOB, project=PROJECT)
    assert len(server.received) == 1
    assert "\n" not in str(caught.value) and KEY not in str(caught.value)


def test_a_slow_answer_past_the_timeout_is_one_clear_error(raw_server: Any) -> None:
    release = threading.Event()

    def handler(conn: socket.socket, _data: bytes, _n: int) -> None:
        release.wait(5)  # never answers in time; bounded so the server thread ends

    server: RawServer = raw_server(handler)
    try:
        with (
            quick_client(server.url, KEY, timeout=0.3, max_retries=0) as cml,
            pytest.raises(CMLConnectionError, match="no answer within the timeout"),
        ):
            cml.runs.create(JOB, project=PROJECT)
    finally:
        release.set()
    assert len(server.received) == 1


def test_truncated_json_is_an_error_not_a_partial_result(raw_server: Any) -> None:
    body = json.dumps(PROJECT_JSON).encode()

    def handler(conn: socket.socket, _data: bytes, _n: int) -> None:
        _answer(conn, body[:10], length=len(body))  # promises more than it sends

    server: RawServer = raw_server(handler)
    with (
        quick_client(server.url, KEY, max_retries=1) as cml,
        pytest.raises(CMLConnectionError, match="cut off|cannot reach"),
    ):
        cml.projects.get(PROJECT)


def test_invalid_json_is_one_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PROJECT_PATH).respond_with_data(
        '{"id": "aaaa-bbbb-cccc-dddd", "name": ', content_type="application/json"
    )
    with quick_client(httpserver.url_for("/"), KEY) as cml, pytest.raises(CMLError) as caught:
        cml.projects.get(PROJECT)
    assert "not valid JSON" in str(caught.value) and "\n" not in str(caught.value)


def test_a_watched_run_survives_a_server_restart(local_cml_factory: Any) -> None:
    server: LocalCML = local_cml_factory(phase_delay=0.4)
    poller = Poller(interval=0.05, max_backoff=0.2)
    with CML(server.url, server.api_key, timeout=2.0, max_retries=0) as cml:
        project = cml.projects.get("risk-analysis")
        run = cml.runs.create("quick-check", project=project.id)
        widget = RunWidget(run, cml, poller=poller)
        notes: list[str] = []
        widget.message.observe(lambda change: notes.append(change["new"]), names="value")
        try:
            server.stop()  # the run is stopped with it: the widget must learn that
            wait_for(lambda: any("reconnecting" in n for n in notes), "reconnecting… shown")
            server.start()
            wait_for(lambda: str(widget.status) in RUN_FINAL, "a final status")
            final = cml.runs.get(run.id, "quick-check", project=project.id)
            wait_for(lambda: widget.status == final.status, f"widget at {final.status}")
        finally:
            poller.stop()
    assert final.finished
    assert widget.message.value == ""  # the reconnecting note cleared itself
    assert all(server.api_key not in n for n in notes)


# A total deadline per call, retries included ----------------------------------------------------


def _trickle(body: bytes, every: float, sent: list[int]) -> Any:
    """A handler that sends the head at once, then `body` one byte each `every` seconds, and
    notes in `sent` how many body bytes had gone out when the client hung up (or all)."""

    def handler(conn: socket.socket, _data: bytes, _n: int) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        for n in range(len(body)):
            try:
                conn.sendall(body[n : n + 1])
            except OSError:  # the client hung up
                sent.append(n)
                return
            time.sleep(every)
        sent.append(len(body))

    return handler


def _padded(answer: Any, size: int) -> bytes:
    return json.dumps(answer).encode().ljust(size)  # trailing spaces: still valid JSON


def test_a_trickling_answer_ends_at_the_timeout_not_at_each_read(raw_server: Any) -> None:
    # One byte every 0.05 s never trips a per-read timeout of 1 s; the whole takes 10 s.
    sent: list[int] = []
    body = _padded(PROJECT_JSON, 200)
    server: RawServer = raw_server(_trickle(body, 0.05, sent))
    with (
        quick_client(server.url, KEY, timeout=1.0, max_retries=2) as cml,
        pytest.raises(CMLConnectionError, match="no answer within the timeout") as caught,
    ):
        cml.projects.get(PROJECT)
    wait_for(lambda: sent, "the server noticing the client hang up")
    assert sent[0] < len(body)  # the client gave up while the answer was still coming
    assert len(server.received) == 1  # past the deadline nothing is resent
    assert KEY not in str(caught.value)


def test_the_retries_end_by_the_deadline_of_the_call(httpserver: HTTPServer) -> None:
    # Each answer asks for 1 s more; 10 retries would take 10 s, the call has 2.5.
    handler = sequence(error(503, "busy", **{"Retry-After": "1"}))
    httpserver.expect_request(PROJECT_PATH, method="GET").respond_with_handler(handler)
    with (
        quick_client(httpserver.url_for("/"), KEY, timeout=2.5, max_retries=10) as cml,
        pytest.raises(ServerError) as caught,
    ):
        cml.projects.get(PROJECT)
    assert caught.value.status == 503
    assert 2 <= len(handler.seen) <= 3  # at 0, 1 and 2 s; one more would end past 2.5 s


def test_percent_cml_projects_list_ends_by_its_timeout(
    raw_server: Any, cml_settings: Any, load_magics: Any
) -> None:
    sent: list[int] = []
    body = _padded({"projects": [PROJECT_JSON], "next_page_token": ""}, 200)
    server: RawServer = raw_server(_trickle(body, 0.05, sent))
    cml_settings(server.url, KEY, WIDGETS="0")
    ip = load_magics(timeout=1.0)
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("cml", "projects list")
    wait_for(lambda: sent, "the server noticing the client hang up")
    assert sent[0] < len(body)
    message = str(caught.value)
    assert "timeout" in message and "\n" not in message and KEY not in message


# A DELETE whose answer was lost -----------------------------------------------------------------


def _forward(upstream: str, request: bytes) -> bytes:
    """`request` sent to `upstream` on a connection of its own; the whole answer."""
    host, port = upstream.removeprefix("http://").split(":")
    head, _, rest = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + rest)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_delete_whose_answer_was_lost_reports_done(
    local_cml_factory: Any, raw_server: Any
) -> None:
    server: LocalCML = local_cml_factory(seed="demo")
    with CML(server.url, server.api_key, project="risk-analysis") as direct:
        project = direct.projects.get("risk-analysis")
        job = direct.jobs.create("to-delete", "analysis.py")
    deletes: list[bytes] = []

    def proxy(conn: socket.socket, data: bytes, _n: int) -> None:
        answer = _forward(server.url, data)
        if data.startswith(b"DELETE"):
            deletes.append(answer.split(b"\r\n", 1)[0])
            if len(deletes) == 1:
                _reset(conn)  # the server deleted it; its answer is lost on the way
                return
        conn.sendall(answer)

    front: RawServer = raw_server(proxy)
    with quick_client(front.url, server.api_key, project=project.id) as cml:
        assert cml.jobs.delete(job.id, project=project.id) is None
        with pytest.raises(NotFoundError):  # a DELETE of what never was still says so
            cml.jobs.delete(job.id, project=project.id)
    assert [line.split(b" ")[1] for line in deletes] == [b"200", b"404", b"404"]
    with CML(server.url, server.api_key) as direct:
        assert all(j.id != job.id for j in direct.jobs.list(project=project.id))
