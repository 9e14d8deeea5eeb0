"""Starting and ending the local server's child processes (runs, applications, builds, model
workers).

Each workload starts in its own process group (and, sandboxed, its own pid namespace), held at
a gate until the server has recorded it: `spawn` returns a `Child` whose command has not run
yet; the caller stores `pid`/`pgid`, then `release()`s it. A server killed before the release
closes the gate's pipe, and the gated command never runs.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from pathlib import Path, PurePath

from cml_magic.local.sandbox import Sandbox

# Every workload carries this variable so that the server can find (and end) each process of
# it, also ones that left its process group with setsid(), and a restarted server the ones a
# killed predecessor left behind, without touching anything else.
MARKER = "CML_LOCAL_PROCESS"

GRACE_SECONDS = 2.0
KILL_WAIT_SECONDS = 5.0

# Reads one line from stdin (the gate's pipe); runs the command only on the server's "go".
GATE = 'IFS= read -r go; [ "$go" = go ] || exit 125; exec "$@" </dev/null'


def command_for(script: PurePath, arguments: str) -> list[str]:
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


class Child:
    """A started workload: its process (bwrap's, when sandboxed) and the gate holding it."""

    def __init__(self, popen: subprocess.Popen[bytes], marker: str, gate: int | None) -> None:
        self.popen = popen
        self.marker = marker
        self._gate = gate

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def pgid(self) -> int:
        return self.popen.pid  # started with start_new_session: it leads its own group

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> int:
        return self.popen.wait(timeout)

    def release(self) -> None:
        """Let the command run (call once its pid is stored)."""
        if self._gate is None:
            return
        with contextlib.suppress(OSError):  # it may have been ended meanwhile
            os.write(self._gate, b"go\n")
        self._close_gate()

    def _close_gate(self) -> None:
        if self._gate is not None:
            with contextlib.suppress(OSError):
                os.close(self._gate)
            self._gate = None


def spawn(
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    marker: str,
    sandbox: Sandbox | None = None,
) -> Child:
    """Start `cmd` held at the gate, in its own process group (in `sandbox` if given, `cwd`
    then being the project folder mounted at /home/cdsw), stdout and stderr appended to
    `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    gated = ["/bin/sh", "-c", GATE, "cml-gate", *cmd]
    if sandbox is not None:
        argv = sandbox.command(cwd, gated, {MARKER: marker})
    else:
        argv, env = gated, {**env, MARKER: marker}
    read_end, write_end = os.pipe()
    try:
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=read_end,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    return Child(popen, marker, write_end)


def end(child: Child) -> int:
    """End the workload: SIGTERM to its group and every process carrying its marker, SIGKILL
    after a grace period; then SIGKILL whatever of it is left (children in its group, ones
    that called setsid())."""
    child._close_gate()  # a command still held at the gate never runs
    if child.poll() is None:
        _signal_group(child.pgid, signal.SIGTERM, only_sandbox_free=True)
        for pid in marked({child.marker}):
            _signal(pid, signal.SIGTERM)
        try:
            child.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(child.pgid, signal.SIGKILL)
            child.wait()
    _signal_group(child.pgid, signal.SIGKILL)
    kill_marked({child.marker})
    return child.returncode if child.returncode is not None else -1


def _signal_group(pgid: int, sig: int, only_sandbox_free: bool = False) -> None:
    if only_sandbox_free and _is_bwrap(pgid):
        # SIGTERM would end bwrap at once and its sandbox with SIGKILL: the workload itself
        # (found by its marker) gets the SIGTERM instead.
        return
    if pgid == os.getpgrp():
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _is_bwrap(pid: int) -> bool:
    try:
        first = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return False
    return os.path.basename(first) == b"bwrap"


def _markers_of(pid: int) -> Iterator[str]:
    """The marker values a process carries: in its environment (the workload), or on its
    command line (bwrap's `--setenv CML_LOCAL_PROCESS <marker>`)."""
    prefix = MARKER.encode() + b"="
    with contextlib.suppress(OSError):
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            if item.startswith(prefix):
                yield item[len(prefix) :].decode(errors="replace")
    with contextlib.suppress(OSError):
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if args and os.path.basename(args[0]) == b"bwrap":
            for i, arg in enumerate(args[:-2]):
                if arg == b"--setenv" and args[i + 1] == MARKER.encode():
                    yield args[i + 2].decode(errors="replace")


def marked(markers: Collection[str]) -> list[int]:
    """Every live process (Linux /proc) carrying one of `markers`."""
    if not markers:
        return []
    me = os.getpid()
    found = []
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if (
                name.isdigit()
                and int(name) != me
                and any(m in markers for m in _markers_of(int(name)))
            ):
                found.append(int(name))
    return found


def kill_marked(markers: Collection[str]) -> list[int]:
    """SIGKILL every process carrying one of `markers`, and its process group; wait (a little)
    until they are gone. Returns the pids found."""
    found = marked(markers)
    for pid in found:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            _signal_group(os.getpgid(pid), signal.SIGKILL)
        _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while found and time.monotonic() < deadline and any(_alive(p) for p in found):
        time.sleep(0.01)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie is dead, only not yet reaped by its parent
