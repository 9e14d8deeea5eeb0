"""What the transport hands requests and reads back: each request prepared as requests'
own session prepares it (headers, parameters, cookies and auth merged the same way), and an
encoded answer read whole."""

from __future__ import annotations

import gzip
import json
from typing import Any

import psutil
import pytest
import requests
from pytest_httpserver import HTTPServer

from cml_magic.api import CML
from cml_magic.api.transport import BearerAuth, Transport
from cml_magic.local import LocalCML

KEY = "requests-test-key-0123456789abcd"
URL = "https://cml.example.com/api/v2/projects/p1/jobs"

CASES: dict[str, dict[str, Any]] = {
    "bare": {},
    "params": {"params": {"page_size": 10, "search_filter": '{"name":"a b"}'}},
    "params as pairs": {"params": [("sort", "-created_at"), ("sort", "name")]},
    "headers": {"headers": {"X-Extra": "1", "accept": "text/plain"}},
    "headers dropped": {"headers": {"User-Agent": None, "X-Session": None}},
    "a JSON body": {"json": {"name": "nightly", "kernel": "python3"}},
    "cookies": {"cookies": {"lb": "node-2"}},
    "auth": {"auth": BearerAuth(KEY)},
}
SESSION: dict[str, Any] = {
    "plain": {},
    "with settings": {
        "params": {"space": "x"},
        "headers": {"X-Session": "s"},
        "proxies": {"https": "http://proxy.example.com:3128", "all": "http://all:1"},
        "verify": "/etc/ssl/ca.pem",
    },
}


def _session(cls: type[requests.Session], settings: dict[str, Any]) -> requests.Session:
    session = cls()
    session.trust_env = False
    session.headers.update({"Accept": "application/json", "User-Agent": "cml-magic"})
    session.headers.update(settings.get("headers", {}))
    session.params = dict(settings.get("params", {}))
    session.cookies.set("session-cookie", "kept")
    session.proxies = dict(settings.get("proxies", {}))
    session.verify = settings.get("verify", True)
    return session


@pytest.mark.parametrize("session_settings", SESSION.values(), ids=SESSION.keys())
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_request_is_prepared_as_requests_prepares_it(
    case: dict[str, Any], session_settings: dict[str, Any]
) -> None:
    transport = Transport("https://cml.example.com", KEY, "")
    transport.close()
    ours = _session(type(transport.session), session_settings)
    theirs = _session(requests.Session, session_settings)
    mine = ours.prepare_request(requests.Request("GET", URL, **case))
    want = theirs.prepare_request(requests.Request("GET", URL, **case))
    assert (mine.method, mine.url, mine.body) == (want.method, want.url, want.body)
    assert list(mine.headers.items()) == list(want.headers.items())
    assert mine.hooks == want.hooks
    for sent in ({}, {"http": "http://other:2", "all": None}):
        settings = ours.merge_environment_settings(mine.url, dict(sent), None, None, None)
        assert settings == theirs.merge_environment_settings(want.url, sent, None, None, None)
    settings = ours.merge_environment_settings(mine.url, None, True, False, "client.pem")
    assert settings == theirs.merge_environment_settings(want.url, None, True, False, "client.pem")


def test_a_compressed_answer_bigger_than_a_read_is_read_whole(httpserver: HTTPServer) -> None:
    # All of its bytes arrive in the first read, but they decode to far more than one read
    # hands back: the reading goes on until the decoded answer ends.
    runtimes = [
        {"image_identifier": f"runtime-{i:06d}", "edition": "Standard"} for i in range(9000)
    ]
    body = json.dumps({"runtimes": runtimes, "next_page_token": ""}).encode()
    packed = gzip.compress(body)
    assert len(packed) < 65536 < len(body)
    httpserver.expect_request("/api/v2/runtimes").respond_with_data(
        packed, content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    with CML(httpserver.url_for("/"), KEY, max_retries=0) as cml:
        answer = cml.transport.request("GET", "/api/v2/runtimes")
    assert answer["runtimes"] == runtimes


def test_an_answer_read_whole_leaves_its_connection_for_the_next_request(
    local_cml: LocalCML,
) -> None:
    # The reading stops once the declared length is in; the connection goes back to the pool
    # all the same, and every next request is sent over it (the local server keeps
    # connections open): one socket of this process to the server, the same one throughout.
    port = int(local_cml.url.rsplit(":", 1)[1].split("/")[0])

    def own_sockets() -> set[int]:
        found = psutil.Process().net_connections(kind="tcp")
        return {c.laddr.port for c in found if c.raddr and c.raddr.port == port}

    with CML(local_cml.url, local_cml.api_key, max_retries=0) as cml:
        seen = []
        for _ in range(5):
            assert cml.runtimes.list()
            seen.append(own_sockets())
    assert len(seen[0]) == 1 and all(now == seen[0] for now in seen)
