"""`LocalCML`: the local server as a context manager, started as a subprocess on a free port."""

from __future__ import annotations

import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType

READY = "cml-local listening on "
START_TIMEOUT = 30.0


class LocalCMLError(RuntimeError):
    """The local server could not be started."""


class LocalCML:
    """Run `python -m cml_magic.local serve` for the length of a `with` block.

    ```python
    with LocalCML(seed="demo") as server:
        server.url, server.api_key, server.keys["bob"], server.legacy_keys["bob"]
    ```

    `keys` (v2) and `legacy_keys` hold the keys of the users this object made (by seeding or
    `create_user`): the server stores only hashes, so a folder seeded by someone else brings
    none. `data_dir=None` uses a temporary folder removed on exit; a given folder is kept. `spec`
    (a Swagger file) is served at `/api/v2/swagger.json` (`serve --spec`), `python_client` (an
    sdist) at `/api/v2/python.tar.gz` (`serve --python-client`); `max_page_size` clips every
    listing page to that many items (`serve --max-page-size`).

    `sandbox=None` runs workloads in the bubblewrap sandbox where it works here and, where it
    does not, explicitly unsandboxed (`serve --unsandboxed`; `sandbox_problem` says why);
    `True` requires the sandbox, `False` runs unsandboxed. `sandboxed` tells which it is.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        seed: str | None = "demo",
        phase_delay: float = 0.3,
        port: int = 0,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        ssl_certfile: str | Path | None = None,
        ssl_keyfile: str | Path | None = None,
        max_upload_mb: int | None = None,
        spec: str | Path | None = None,
        python_client: str | Path | None = None,
        sandbox: bool | None = None,
        max_page_size: int | None = None,
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="cml-local-"))
        self.seed = seed
        self.phase_delay = phase_delay
        self.port = port
        self.host = host
        self.env = dict(env or {})
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self.max_upload_mb = max_upload_mb
        self.spec = spec
        self.python_client = python_client
        self.sandbox = sandbox
        self.max_page_size = max_page_size
        self.sandboxed = False
        self.sandbox_problem = ""
        self.url = ""
        self.keys: dict[str, str] = {}
        self.legacy_keys: dict[str, str] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []

    def __repr__(self) -> str:  # never the keys
        return f"LocalCML(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def model_endpoint(self) -> str:
        """Where this server serves its deployed models (the client's `model_endpoint`)."""
        return self.url + "/model"

    @property
    def api_key(self) -> str:
        """alice's API v2 key (the demo user)."""
        return self.keys.get("alice", "")

    @property
    def legacy_api_key(self) -> str:
        """alice's legacy (API v1) key."""
        return self.legacy_keys.get("alice", "")

    def _remember(self, username: str, keys: dict[str, str]) -> None:
        self.keys[username] = keys["api_key"]
        self.legacy_keys[username] = keys["legacy_key"]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> LocalCML:
        if self.running:
            return self
        self._choose_sandbox()
        if self.seed:
            from cml_magic.local.seed import seed_demo

            for username, keys in seed_demo(self.data_dir).items():
                self._remember(username, keys)
        cmd = [
            sys.executable,
            "-m",
            "cml_magic.local",
            "serve",
            "--data",
            str(self.data_dir),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--phase-delay",
            str(self.phase_delay),
            "--exit-with-parent",
        ]
        for name, value in self.env.items():
            cmd += ["--env", f"{name}={value}"]
        if self.ssl_certfile:
            cmd += ["--ssl-certfile", str(self.ssl_certfile)]
        if self.ssl_keyfile:
            cmd += ["--ssl-keyfile", str(self.ssl_keyfile)]
        if self.max_upload_mb is not None:
            cmd += ["--max-upload-mb", str(self.max_upload_mb)]
        if self.max_page_size is not None:
            cmd += ["--max-page-size", str(self.max_page_size)]
        if self.spec:
            cmd += ["--spec", str(self.spec)]
        if self.python_client:
            cmd += ["--python-client", str(self.python_client)]
        if not self.sandboxed:
            cmd.append("--unsandboxed")
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(self._proc.stdout, lines), daemon=True).start()
        threading.Thread(
            target=_collect, args=(self._proc.stderr, self._stderr), daemon=True
        ).start()
        try:
            while True:
                line = lines.get(timeout=START_TIMEOUT)
                if line is None:
                    self._proc.wait(5)
                    raise LocalCMLError(
                        "cml-local exited before it was ready: " + "".join(self._stderr[-20:])
                    )
                if line.startswith(READY):
                    self.url = line[len(READY) :].strip()
                    self.port = int(self.url.rsplit(":", 1)[1])
                    break
        except queue.Empty:
            self.kill()
            raise LocalCMLError(f"cml-local did not start within {START_TIMEOUT:.0f} s") from None
        return self

    def _choose_sandbox(self) -> None:
        if self.sandbox is False:
            self.sandboxed, self.sandbox_problem = False, "unsandboxed by request"
            return
        from cml_magic.local.sandbox import detect

        found, why = detect(self.data_dir)
        if found is None and self.sandbox:
            raise LocalCMLError(f"no sandbox for workloads: {why}")
        self.sandboxed, self.sandbox_problem = found is not None, why

    def create_user(self, username: str) -> str:
        """Create a user and return their API v2 key (the legacy key: `legacy_keys[username]`)."""
        from cml_magic.local.store import Store, private_files

        with private_files():
            store = Store(self.data_dir)
            try:
                row = store.create_user(username)
            finally:
                store.close()
        self._remember(username, row)
        return row["api_key"]

    def stop(self, timeout: float = 15.0) -> None:
        """Stop cleanly (SIGTERM): runs, applications and deployments are stopped first."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash would (children it started keep running)."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def restart(self) -> LocalCML:
        """Stop (if running) and start again on the same data and port (same `url`)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalCML:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _pump(stream: object, lines: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)
    lines.put(None)


def _collect(stream: object, sink: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)
        del sink[:-200]
