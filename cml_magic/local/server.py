"""Serving: bind the socket, run uvicorn, print `cml-local listening on URL` once ready."""

from __future__ import annotations

import socket
import sys
import threading
import time

import uvicorn

from cml_magic.local.app import create_app
from cml_magic.local.supervisor import Settings


def serve(
    data_dir: str,
    host: str = "127.0.0.1",
    port: int = 0,
    phase_delay: float = 0.3,
    default_env: dict[str, str] | None = None,
) -> int:
    """Run the server until SIGINT/SIGTERM; returns the exit status."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound}"
    settings = Settings(phase_delay=phase_delay, base_url=url, default_env=default_env or {})
    app = create_app(data_dir, settings)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        if server.started:
            print(f"cml-local listening on {url}", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
