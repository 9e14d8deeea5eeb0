"""Helpers for the reliability tests: a raw socket server for faults that no well-behaved HTTP
server produces, a tight-retry client and a bounded wait."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from cml_magic.api import CML
from cml_magic.api.statuses import RUN

RUN_FINAL = RUN.final


def wait_for(check: Callable[[], Any], what: str, seconds: float = 20.0) -> Any:
    """`check()` until it returns something truthy (returned), for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def quick_client(url: str, key: str = "k" * 20, **options: Any) -> CML:
    """A client that retries without sleeping long, so fault tests stay fast."""
    options.setdefault("timeout", 5.0)
    return CML(url, key, backoff=0.01, **options)


class RawServer:
    """A TCP server whose handler gets each accepted socket (and its request bytes)."""

    def __init__(self, handler: Callable[[socket.socket, bytes, int], None]) -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
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
