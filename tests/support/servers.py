"""A raw TCP server on 127.0.0.1 for faults that no well-behaved HTTP server produces (resets,
cut-off or trickling answers, lost answers)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

Handler = Callable[[socket.socket, bytes, int], None]


class RawServer:
    """Accepts connections and hands each to `handler(conn, request_head, n)` (n counts from 1).

    `url`, `port`; `connections` counts every accepted connection, `received` holds each
    request head read (a connection dropped before its head was read is counted, not received).
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    continue
                self.received.append(data)
                with contextlib.suppress(OSError):
                    self.handler(conn, data, len(self.received))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
