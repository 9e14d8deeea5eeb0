"""Connection pools whose answers' heads (status line and headers) arrive within one timeout.

urllib3 gives the socket the read timeout, and each read waits up to that long: a server that
sends its head a byte at a time, each in time, holds a request for as long as it likes. Here the
whole head is read by one deadline, the read timeout from when the wait for it began; the body is
then read as before (the transport bounds it itself). A SOCKS proxy's pools are left as urllib3
makes them.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
from typing import Any

from urllib3 import connection, connectionpool, poolmanager


class _HeadByDeadline(io.RawIOBase):
    """The socket's bytes (through http.client's own file, which keeps the socket open while
    the answer is read); until `release`, each read waits only for what is left of the
    deadline."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, wait: float | None) -> None:
        super().__init__()
        self._raw, self._sock, self._wait = raw, sock, wait
        self._deadline = None if wait is None else time.monotonic() + wait

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def readinto(self, buffer: Any) -> int | None:
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")  # as the socket says it: a read timeout
            self._sock.settimeout(left)
        return self._raw.readinto(buffer)

    def release(self) -> None:
        """The head is read: from now on each read waits as long as the socket's timeout."""
        if self._deadline is not None:
            self._deadline = None
            self._sock.settimeout(self._wait)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _Response(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self._head: _HeadByDeadline | None = None
        wait = getattr(sock, "gettimeout", lambda: None)()
        if wait is not None and isinstance(self.fp, io.BufferedReader):
            self._head = _HeadByDeadline(self.fp.detach(), sock, wait)  # nothing read yet
            self.fp = io.BufferedReader(self._head)

    def begin(self) -> None:
        try:
            super().begin()
        finally:
            if self._head is not None:
                self._head.release()


class _HTTPConnection(connection.HTTPConnection):
    response_class = _Response


class _HTTPSConnection(connection.HTTPSConnection):
    response_class = _Response


class _HTTPConnectionPool(connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOLS: dict[str, type[connectionpool.HTTPConnectionPool]] = {
    "http": _HTTPConnectionPool,
    "https": _HTTPSConnectionPool,
}


def bound_heads(manager: poolmanager.PoolManager) -> poolmanager.PoolManager:
    """`manager`, the pools it makes from now on reading each answer's head by one deadline."""
    if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:  # not SOCKS
        manager.pool_classes_by_scheme = POOLS
    return manager
