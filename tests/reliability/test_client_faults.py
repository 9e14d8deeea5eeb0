"""Faults the client survives: a retry where that is safe, or one clear error; never a
duplicated change, never a silent wrong result, never a hung call. The transport's rules are
here too, on throwaway servers: paging, each error class, retries (503, 429 with Retry-After), no
resent POST, resets, truncated and invalid answers."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from pytest_httpserver import HTTPServer
from support.clients import quick_client
from support.servers import RawServer, free_port
from support.waits import RUN_FINAL, wait_for
from werkzeug import Request, Response

from cml_magic.api import (
    CML,
    AuthError,
    BadRequestError,
    CMLConnectionError,
    CMLError,
    ConfigError,
    ConflictError,
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


def _drip(conn: socket.socket, data: bytes, every: float, sent: list[int]) -> bool:
    """Send `data` one byte each `every` seconds; note in `sent` how many bytes had gone out
    when the client hung up (or all). True when all went."""
    for n in range(len(data)):
        try:
            conn.sendall(data[n : n + 1])
        except OSError:  # the client hung up
            sent.append(n)
            return False
        time.sleep(every)
    sent.append(len(data))
    return True


def _trickle(body: bytes, every: float, sent: list[int]) -> Any:
    """A handler that sends the head at once, then `body` one byte each `every` seconds, and
    notes in `sent` how many body bytes had gone out when the client hung up (or all)."""

    def handler(conn: socket.socket, _data: bytes, _n: int) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        _drip(conn, body, every, sent)

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


def _trickled_head(every: float, sent: list[int]) -> Any:
    """A handler that sends an answer's status line and headers one byte each `every` seconds,
    and notes in `sent` how many bytes of the head had gone out when the client hung up."""
    body = json.dumps(PROJECT_JSON).encode()
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"X-Padding: %s\r\n"
        b"Content-Length: %d\r\n\r\n" % (b"p" * 150, len(body))
    )

    def handler(conn: socket.socket, _data: bytes, _n: int) -> None:
        if _drip(conn, head, every, sent):
            conn.sendall(body)

    return handler, len(head)


def test_a_trickling_head_ends_at_the_timeout_not_at_each_read(raw_server: Any) -> None:
    # The status line and headers, one byte every 0.05 s: no read waits 1 s, the head takes 10.
    sent: list[int] = []
    handler, size = _trickled_head(0.05, sent)
    server: RawServer = raw_server(handler)
    with (
        quick_client(server.url, KEY, timeout=1.0, max_retries=2) as cml,
        pytest.raises(CMLConnectionError, match="no answer within the timeout") as caught,
    ):
        cml.projects.get(PROJECT)
    wait_for(lambda: sent, "the server noticing the client hang up")
    assert sent[0] < size  # the client gave up while the head was still coming
    assert len(server.received) == 1  # past the deadline nothing is resent
    message = str(caught.value)
    assert "\n" not in message and KEY not in message


def test_a_transfer_waits_for_a_trickling_head_one_timeout_in_all(raw_server: Any) -> None:
    # A streamed call bounds each wait by the timeout; the wait for the head is one wait.
    sent: list[int] = []
    handler, size = _trickled_head(0.05, sent)
    server: RawServer = raw_server(handler)
    with (
        quick_client(server.url, KEY, timeout=1.0, max_retries=0) as cml,
        pytest.raises(CMLConnectionError, match="no answer within the timeout") as caught,
    ):
        cml.transport.transfer("GET", PROJECT_PATH, sink=io.BytesIO())
    wait_for(lambda: sent, "the server noticing the client hang up")
    assert sent[0] < size
    assert KEY not in str(caught.value)


def test_a_head_that_comes_in_time_is_read_whole_and_the_body_after_it(
    raw_server: Any,
) -> None:
    # The same head, sent quickly enough: the call succeeds, also over a connection that
    # the answer closes (the socket stays open until the body is read).
    sent: list[int] = []
    handler, size = _trickled_head(0.0005, sent)
    server: RawServer = raw_server(handler)
    with quick_client(server.url, KEY, timeout=5.0, max_retries=0) as cml:
        assert cml.projects.get(PROJECT).name == "p"
    assert sent == [size]


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


# Transport rules on a throwaway HTTP server: paging, each error class, retries (503, 429 with
# Retry-After), no resent POST, resets, truncated and invalid answers, auth headers. -----------

KEY_1234 = "secret-key-abcdefghijklmnop-1234"
LEGACY = "legacy-key-zyxwvutsrqponm-9876"
PID = "abcd-efgh-ijkl-mnop"


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[tuple[CML, list[float]]]:
    """A client of the throwaway server whose back-off sleeps are recorded, not slept."""
    cml = CML(httpserver.url_for("/"), KEY_1234, project=PID, legacy_api_key=LEGACY, max_retries=3)
    delays: list[float] = []
    cml.transport.sleep = delays.append
    yield cml, delays
    cml.close()


def _page(items: list[dict[str, Any]], token: str) -> dict[str, Any]:
    return {"projects": items, "next_page_token": token}


def _project(n: int) -> dict[str, Any]:
    return {"id": f"proj-{n:04d}-aaaa-bbbb", "name": f"demo-{n}"}


def test_paging_follows_tokens_with_the_same_parameters(
    httpserver: HTTPServer, client: Any
) -> None:
    cml, _ = client
    pages = {"": ([1, 2], "t1"), "t1": ([3, 4], "t2"), "t2": ([5], "")}

    def handler(request: Request) -> Response:
        items, token = pages[request.args.get("page_token", "")]
        return Response(json.dumps(_page([_project(n) for n in items], token)))

    httpserver.expect_request("/api/v2/projects").respond_with_handler(handler)
    found = cml.projects.list(search="demo", sort="-created_at", page_size=2)
    assert [p.name for p in found] == [f"demo-{n}" for n in range(1, 6)]
    sent = (
        [r.args for r in httpserver.log_requests()]
        if hasattr(httpserver, "log_requests")
        else [r.args for r, _ in httpserver.log]
    )
    assert [a.get("page_token") for a in sent] == [None, "t1", "t2"]
    for args in sent:
        assert args["page_size"] == "2"
        assert args["sort"] == "-created_at"
        assert json.loads(args["search_filter"]) == {"name": "demo"}


def test_limit_stops_early(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request("/api/v2/projects").respond_with_json(
        _page([_project(n) for n in range(3)], "more")
    )
    assert len(cml.projects.list(limit=2)) == 2
    assert len(httpserver.log) == 1
    assert httpserver.log[0][0].args["page_size"] == "2"


def test_a_repeated_page_token_stops_the_listing(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request("/api/v2/projects").respond_with_json(_page([_project(1)], "same"))
    with pytest.raises(CMLError, match="same page token twice"):
        cml.projects.list()
    assert len(httpserver.log) == 2


def test_search_filter_dict_and_text(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request(f"/api/v2/projects/{PID}/jobs").respond_with_json(
        {"jobs": [], "next_page_token": ""}
    )
    cml.jobs.list(search_filter={"script": "etl", "paused": False}, search="nightly")
    cml.jobs.list(search_filter='{"script":"x.py"}')
    first, second = (r.args["search_filter"] for r, _ in httpserver.log)
    assert json.loads(first) == {"script": "etl", "paused": "false", "name": "nightly"}
    assert json.loads(second) == {"script": "x.py"}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (501, ServerError),
        (503, ServerError),
    ],
)
def test_each_status_has_its_error_class(
    httpserver: HTTPServer, client: Any, status: int, error: type[CMLError]
) -> None:
    cml, _ = client
    message = f"went wrong (key was {KEY_1234})"
    envelope = {"error": message, "code": 3, "message": message, "details": []}
    httpserver.expect_request(f"/api/v2/projects/{PID}").respond_with_json(envelope, status=status)
    with pytest.raises(error) as caught:
        cml.projects.get(PID)
    exc = caught.value
    assert exc.status == status
    assert (exc.method, exc.path) == ("GET", f"/api/v2/projects/{PID}")
    assert "went wrong" in exc.message
    for text in (str(exc), repr(exc), exc.message):
        assert KEY_1234 not in text and LEGACY not in text
    assert str(exc).startswith(f"GET /api/v2/projects/{PID} -> {status}: ")


def test_error_without_json_uses_the_text(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request("/api/v2/projects").respond_with_data(
        "<html>Bad gateway</html>", status=500
    )
    with pytest.raises(ServerError, match="Bad gateway"):
        cml.projects.list()


def test_get_is_retried_on_503_then_succeeds(httpserver: HTTPServer, client: Any) -> None:
    cml, delays = client
    answers = iter([503, 502, 200])

    def handler(request: Request) -> Response:
        status = next(answers)
        return Response(json.dumps({"id": PID, "name": "p"}), status=status)

    httpserver.expect_request(f"/api/v2/projects/{PID}").respond_with_handler(handler)
    assert cml.projects.get(PID).name == "p"
    assert len(httpserver.log) == 3
    assert delays == [0.5, 1.0]  # exponential back-off


def test_retries_give_up_after_max_retries(httpserver: HTTPServer, client: Any) -> None:
    cml, delays = client
    httpserver.expect_request(f"/api/v2/projects/{PID}").respond_with_data("busy", status=504)
    with pytest.raises(ServerError) as caught:
        cml.projects.get(PID)
    assert caught.value.status == 504
    assert len(httpserver.log) == 4 and len(delays) == 3
    assert delays == sorted(delays)


def test_429_honours_retry_after(httpserver: HTTPServer, client: Any) -> None:
    cml, delays = client
    answers = iter([(429, {"Retry-After": "7"}), (200, {})])

    def handler(request: Request) -> Response:
        status, headers = next(answers)
        return Response(json.dumps({"runtimes": []}), status=status, headers=headers)

    httpserver.expect_request("/api/v2/runtimes").respond_with_handler(handler)
    assert cml.runtimes.list() == []
    assert delays == [7.0]


def test_429_with_a_long_retry_after_raises_with_it(httpserver: HTTPServer, client: Any) -> None:
    cml, delays = client
    httpserver.expect_request("/api/v2/runtimes").respond_with_json(
        {"message": "slow down"}, status=429, headers={"Retry-After": "3600"}
    )
    with pytest.raises(RateLimitError) as caught:
        cml.runtimes.list()
    assert caught.value.retry_after == 3600.0
    assert delays == [] and len(httpserver.log) == 1


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_post_that_reached_the_server_is_not_resent(
    httpserver: HTTPServer, client: Any, status: int
) -> None:
    cml, delays = client
    path = f"/api/v2/projects/{PID}/jobs/wxyz-wxyz-wxyz-wxyz/runs"
    httpserver.expect_request(path, method="POST").respond_with_json(
        {"message": "x"}, status=status
    )
    with pytest.raises(CMLError) as caught:
        cml.runs.create("wxyz-wxyz-wxyz-wxyz", environment={"A": "1"})
    assert caught.value.status == status
    assert len(httpserver.log) == 1 and delays == []


def test_download_post_is_retried_as_a_read(httpserver: HTTPServer, client: Any) -> None:
    cml, delays = client
    answers = iter([503, 200])

    def handler(request: Request) -> Response:
        return Response(b"content", status=next(answers))

    # The client sends `out%2Fa.txt` (one path segment); werkzeug matches it decoded.
    httpserver.expect_request(
        f"/api/v2/projects/{PID}/files/out/a.txt:download", method="POST"
    ).respond_with_handler(handler)
    assert cml.files.download("out/a.txt") == b"content"
    assert len(delays) == 1
    assert all(
        r.environ["RAW_URI"].endswith("/files/out%2Fa.txt:download") for r, _ in httpserver.log
    )


def test_invalid_json_is_a_clear_error(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request(f"/api/v2/projects/{PID}").respond_with_data(
        '{"id": "abcd-', content_type="application/json"
    )
    with pytest.raises(CMLError, match="not valid JSON") as caught:
        cml.projects.get(PID)
    assert caught.value.method == "GET"


def test_auth_headers_v2_bearer_and_v1_basic(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request("/api/v2/runtimes").respond_with_json({"runtimes": []})
    httpserver.expect_request(
        "/api/v1/projects/alice/risk/jobs/208/start", method="POST"
    ).respond_with_json({"engine_id": "abcdefgh12345678"})
    cml.runtimes.list()
    assert cml.start_job_v1("alice", "risk", 208) == "abcdefgh12345678"
    (v2, _), (v1, _) = httpserver.log
    assert v2.headers["Authorization"] == f"Bearer {KEY_1234}"
    expected = base64.b64encode(f"{LEGACY}:".encode()).decode()
    assert v1.headers["Authorization"] == f"Basic {expected}"
    assert v1.headers["Content-Type"] == "application/json"
    assert json.loads(v1.get_data()) == {}


def test_v1_start_with_environment(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request(
        "/api/v1/projects/alice/risk/jobs/7/start", method="POST"
    ).respond_with_json({"engine_id": "e1"})
    cml.start_job_v1("alice", "risk", "7", environment={"START": "2017-01-01"})
    assert json.loads(httpserver.log[0][0].get_data()) == {"environment": {"START": "2017-01-01"}}


# Raw sockets: a server that resets or cuts off every connection -------------------------------


def _reset_each(conn: socket.socket, request: bytes, n: int) -> None:
    _reset(conn)


def _truncated(conn: socket.socket, request: bytes, n: int) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        b'{"projects": ['
    )


def _client(port: int) -> tuple[CML, list[float]]:
    cml = CML(f"http://127.0.0.1:{port}", KEY_1234, project=PID, max_retries=2, timeout=5)
    delays: list[float] = []
    cml.transport.sleep = delays.append
    return cml, delays


def test_connection_reset_is_retried_for_a_get(raw_server: Any) -> None:
    server = raw_server(_reset_each)
    cml, delays = _client(server.port)
    with pytest.raises(CMLConnectionError) as caught:
        cml.projects.list()
    assert server.connections == 3 and len(delays) == 2
    assert caught.value.method == "GET" and caught.value.status is None
    assert KEY_1234 not in str(caught.value)


def test_connection_reset_is_not_retried_for_a_post(raw_server: Any) -> None:
    server = raw_server(_reset_each)
    cml, delays = _client(server.port)
    with pytest.raises(CMLConnectionError):
        cml.runs.create("wxyz-wxyz-wxyz-wxyz")
    assert server.connections == 1 and delays == []


def test_truncated_answer_is_a_connection_error(raw_server: Any) -> None:
    server = raw_server(_truncated)
    cml, _ = _client(server.port)
    with pytest.raises(CMLConnectionError, match="cut off"):
        cml.projects.list()
    assert server.connections == 3


def test_refused_connection_is_retried_even_for_a_post() -> None:
    port = free_port()
    # Nothing listens on `port` now: every attempt is refused before a byte is sent.
    cml, delays = _client(port)
    with pytest.raises(CMLConnectionError, match="cannot reach CML") as caught:
        cml.runs.create("wxyz-wxyz-wxyz-wxyz")
    assert len(delays) == 2
    assert caught.value.method == "POST"


def test_a_redirected_post_is_not_followed(httpserver: HTTPServer, client: Any) -> None:
    cml, _ = client
    httpserver.expect_request(
        f"/api/v2/projects/{PID}/jobs/wxyz-wxyz-wxyz-wxyz/runs"
    ).respond_with_data(
        "", status=307, headers={"Location": "https://elsewhere.example.com/x?token=1"}
    )
    with pytest.raises(CMLError, match="redirected the request to https://elsewhere") as caught:
        cml.runs.create("wxyz-wxyz-wxyz-wxyz")
    assert "token" not in str(caught.value)
    assert len(httpserver.log) == 1


def test_a_key_with_a_line_break_is_refused_up_front() -> None:
    with pytest.raises(ConfigError, match="spaces or line breaks"):
        CML("https://ml.example.com", "abc def")
    assert repr(CML("https://ml.example.com", f" {KEY_1234}\n")).endswith("'****1234')")


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from cml_magic.api.transport import parse_retry_after

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None and 80 <= seconds <= 90
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
