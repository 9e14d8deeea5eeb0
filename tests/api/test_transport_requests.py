"""What the transport reads back: an encoded answer read whole, and an answer read to its
declared length leaving its connection for the next request."""

from __future__ import annotations

import gzip
import json

import psutil
from pytest_httpserver import HTTPServer

from cml_magic.api import CML
from cml_magic.local import LocalCML

KEY = "requests-test-key-0123456789abcd"


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
