"""Faults the local server cannot produce, on a throwaway HTTP server: paging, each error class,
retries (503, 429 with Retry-After), no resent POST, resets, truncated and invalid answers."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
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

KEY = "secret-key-abcdefghijklmnop-1234"
LEGACY = "legacy-key-zyxwvutsrqponm-9876"
PID = "abcd-efgh-ijkl-mnop"


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[tuple[CML, list[float]]]:
    """A client of the throwaway server whose back-off sleeps are recorded, not slept."""
    cml = CML(httpserver.url_for("/"), KEY, project=PID, legacy_api_key=LEGACY, max_retries=3)
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
    message = f"went wrong (key was {KEY})"
    envelope = {"error": message, "code": 3, "message": message, "details": []}
    httpserver.expect_request(f"/api/v2/projects/{PID}").respond_with_json(envelope, status=status)
    with pytest.raises(error) as caught:
        cml.projects.get(PID)
    exc = caught.value
    assert exc.status == status
    assert (exc.method, exc.path) == ("GET", f"/api/v2/projects/{PID}")
    assert "went wrong" in exc.message
    for text in (str(exc), repr(exc), exc.message):
        assert KEY not in text and LEGACY not in text
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
    assert v2.headers["Authorization"] == f"Bearer {KEY}"
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


class RawServer:
    """Accepts connections on 127.0.0.1 and answers each with `reply(conn)`; counts them."""

    def __init__(self, reply: Callable[[socket.socket], None]) -> None:
        self.reply = reply
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    self.reply(conn)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def _reset(conn: socket.socket) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP reset.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _truncated(conn: socket.socket) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        b'{"projects": ['
    )


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(reply: Callable[[socket.socket], None]) -> RawServer:
        servers.append(RawServer(reply))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _client(port: int) -> tuple[CML, list[float]]:
    cml = CML(f"http://127.0.0.1:{port}", KEY, project=PID, max_retries=2, timeout=5)
    delays: list[float] = []
    cml.transport.sleep = delays.append
    return cml, delays


def test_connection_reset_is_retried_for_a_get(raw_server: Any) -> None:
    server = raw_server(_reset)
    cml, delays = _client(server.port)
    with pytest.raises(CMLConnectionError) as caught:
        cml.projects.list()
    assert server.connections == 3 and len(delays) == 2
    assert caught.value.method == "GET" and caught.value.status is None
    assert KEY not in str(caught.value)


def test_connection_reset_is_not_retried_for_a_post(raw_server: Any) -> None:
    server = raw_server(_reset)
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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
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
    assert repr(CML("https://ml.example.com", f" {KEY}\n")).endswith("'****1234')")


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from cml_magic.api.transport import parse_retry_after

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None and 80 <= seconds <= 90
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
