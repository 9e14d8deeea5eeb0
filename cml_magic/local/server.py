"""Serving: bind the socket, run uvicorn, print `cml-local listening on URL` once ready."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn

from cml_magic.local import sandbox
from cml_magic.local.app import create_app, read_spec
from cml_magic.local.validate import DEFAULT_MAX_UPLOAD_MB
from cml_magic.local.workloads.base import Settings
from cml_magic.local.workspace_client import read_sdist

UNCONFINED = (
    "workloads run unconfined: each can read the state folder (every user's keys) and every project"
)


class SandboxRefused(RuntimeError):
    """More than one user, and no sandbox to keep their workloads apart."""


def choose_sandbox(data_dir: str, unsandboxed: bool, users: int) -> sandbox.Sandbox | None:
    """The sandbox for workloads, or None (after one warning on stderr) where there is none.

    Without one, only a single user may be served unless `unsandboxed` says so: raises
    `SandboxRefused` with the one-line reason."""
    if unsandboxed:
        print(f"cml-local: warning: --unsandboxed: {UNCONFINED}", file=sys.stderr, flush=True)
        return None
    found, why = sandbox.detect(Path(data_dir))
    if found is not None:
        return found
    if users > 1:
        raise SandboxRefused(
            f"{users} users, but workloads cannot be sandboxed: {why}. Install bubblewrap, or"
            " start with --unsandboxed to run every user's workloads unconfined"
        )
    print(
        f"cml-local: warning: {why}; {UNCONFINED}. A second user is refused unless"
        " --unsandboxed is given",
        file=sys.stderr,
        flush=True,
    )
    return None


def serve(
    data_dir: str,
    host: str = "127.0.0.1",
    port: int = 0,
    phase_delay: float = 0.3,
    default_env: dict[str, str] | None = None,
    exit_with_parent: bool = False,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB,
    spec_file: str | None = None,
    unsandboxed: bool = False,
    python_client_file: str | None = None,
    max_page_size: int | None = None,
) -> int:
    """Run the server until SIGINT/SIGTERM (or, with `exit_with_parent`, until the process
    that started it is gone); returns the exit status.

    Workloads run in a bubblewrap sandbox; where there is none, only one user is served
    unless `unsandboxed` (raises `SandboxRefused`)."""
    from cml_magic.local.store import Store

    # Everything the server writes (database, logs, project files) is private to its owner.
    os.umask(0o077)
    store = Store(Path(data_dir))
    try:
        users = len(store.users())
    finally:
        store.close()
    confinement = choose_sandbox(data_dir, unsandboxed, users)
    # IPPROTO_TCP explicitly: asyncio turns Nagle off only on sockets that say so, and with
    # Nagle on, keep-alive answers stall ~40 ms on delayed ACKs.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    scheme = "https" if ssl_certfile else "http"
    url = f"{scheme}://{shown_host}:{bound}"
    settings = Settings(
        phase_delay=phase_delay,
        base_url=url,
        default_env=default_env or {},
        sandbox=confinement,
    )
    spec = read_spec(spec_file) if spec_file else None  # ValueError: a one-line reason
    python_client = read_sdist(python_client_file) if python_client_file else None
    app = create_app(data_dir, settings, spec, max_upload_mb, python_client, max_page_size)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        if server.started:
            print(f"cml-local listening on {url}", flush=True)

    def watch_parent(parent: int) -> None:
        # A test runner killed with SIGKILL cannot stop its server; the server notices instead.
        while not server.should_exit:
            if os.getppid() != parent:
                server.should_exit = True
            time.sleep(0.5)

    threading.Thread(target=announce, daemon=True).start()
    if exit_with_parent:
        threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    server.run(sockets=[sock])
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
