"""Starting and ending the local server's child processes (runs, applications, model workers)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

# Every child carries this variable so that a restarted server can recognise (and end) the
# processes a killed predecessor left behind, without touching anything else.
MARKER = "CML_LOCAL_PROCESS"

GRACE_SECONDS = 2.0


def command_for(script: Path, arguments: str) -> list[str]:
    """The command line running `script` as CML would: by its kind, arguments shlex-split."""
    argv = shlex.split(arguments) if arguments else []
    suffix = script.suffix.lower()
    if suffix == ".py":
        return [sys.executable, "-u", str(script), *argv]
    if suffix == ".sh":
        return ["bash", str(script), *argv]
    if suffix == ".r":
        return ["Rscript", str(script), *argv]
    return [str(script), *argv]


def spawn(
    cmd: list[str], cwd: Path, env: dict[str, str], log_path: Path, marker: str
) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own process group, stdout and stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**env, MARKER: marker}
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def end(proc: subprocess.Popen[bytes]) -> int:
    """End the process and its whole group: SIGTERM, then SIGKILL after a grace period."""
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
    # Children the script left behind in its group go too.
    _signal_group(proc.pid, signal.SIGKILL)
    return proc.returncode


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def end_orphan(pid: int | None, marker: str) -> bool:
    """End the process group of `pid` if it is still the child marked `marker` (Linux only)."""
    if not pid:
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    if f"{MARKER}={marker}".encode() not in environ.split(b"\0"):
        return False
    _signal_group(pid, signal.SIGKILL)
    return True
