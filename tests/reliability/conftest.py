"""Fixtures of the reliability tests."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from reliability_helpers import RawServer


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Callable[[socket.socket, bytes, int], None]) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
