"""The sandbox every workload runs in: a bubblewrap (`bwrap`) command line.

A workload sees its own project folder read-write at `/home/cdsw` (CML's working folder), the
system (`/usr`, `/etc`, the `/bin`-style links as on the host) and the server's Python runtime
read-only, a private `/tmp`, `/proc` and `/dev`, and its own pid namespace. Nothing of the
server's state folder (the database, other projects) is visible. The network stays shared, so
a workload reaches the server's loopback API as a CML workload reaches its workspace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOME = "/home/cdsw"

# The top-level names that are links into /usr on merged-/usr systems, or folders elsewhere.
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
SYSTEM_FOLDERS = ("/usr", "/etc")

PROBE_SECONDS = 10.0


def package_folder() -> Path:
    """The `cml_magic` package folder: model workers import `cml_magic.local.model_worker`."""
    return Path(__file__).resolve().parents[1]


def runtime_folders() -> list[Path]:
    """The server's Python runtime: `sys.prefix` and `sys.base_prefix`, as given and resolved,
    and the interpreter's folder should it live elsewhere."""
    found: list[Path] = []
    for text in (sys.prefix, sys.base_prefix):
        for path in (Path(text), Path(os.path.realpath(text))):
            if path not in found:
                found.append(path)
    interpreter = Path(os.path.realpath(sys.executable)).parent
    if not any(interpreter == p or p in interpreter.parents for p in found):
        found.append(interpreter)
    return found


@dataclass(frozen=True)
class Sandbox:
    """Builds the `bwrap` command line for one workload."""

    bwrap: str
    state_dir: Path
    readable: tuple[Path, ...] = ()

    def command(
        self, project_dir: Path, argv: Sequence[str], setenv: Mapping[str, str]
    ) -> list[str]:
        """`argv` run inside the sandbox, cwd and HOME at `/home/cdsw` = `project_dir`.

        The environment is bwrap's own (the caller's `env`), plus `setenv`, which only the
        sandboxed command carries (bwrap's own processes do not show it in /proc).
        """
        cmd = [self.bwrap, *self._system()]
        # The private /tmp comes before the runtime: a Python or checkout under /tmp stays seen.
        cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        cmd += self._mounts()
        cmd += ["--bind", str(project_dir), HOME, "--chdir", HOME]
        cmd += ["--unshare-pid", "--unshare-ipc", "--die-with-parent", "--new-session"]
        for name, value in setenv.items():
            cmd += ["--setenv", name, value]
        return [*cmd, "--", *argv]

    def _system(self) -> list[str]:
        args: list[str] = []
        for name in SYSTEM_LINKS:
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        for folder in SYSTEM_FOLDERS:
            if Path(folder).is_dir():
                args += ["--ro-bind", folder, folder]
        return args

    def _mounts(self) -> list[str]:
        """The read-only folders, with the state folder hidden under an empty tmpfs should it
        lie inside one of them. Parents are mounted before what lies inside them."""
        state = Path(os.path.realpath(self.state_dir))
        mounts: list[tuple[Path, list[str]]] = [
            (p, ["--ro-bind", str(p), str(p)]) for p in self.readable if p.exists()
        ]
        if any(p == state or p in state.parents for p, _ in mounts):
            mounts.append((state, ["--tmpfs", str(state)]))
        mounts.sort(key=lambda m: len(m[0].parts))
        return [arg for _, args in mounts for arg in args]


def detect(state_dir: Path) -> tuple[Sandbox | None, str]:
    """The sandbox for workloads of the server over `state_dir`, or None and why not.

    `bwrap` must be on PATH and able to make a sandbox here (user namespaces may be off)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return (
            None,
            "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt-get install bubblewrap)",
        )
    sandbox = Sandbox(bwrap, Path(state_dir), (*runtime_folders(), package_folder()))
    try:
        with tempfile.TemporaryDirectory(prefix="cml-local-probe-") as project:
            done = subprocess.run(
                sandbox.command(Path(project), ["/bin/sh", "-c", "exit 0"], {}),
                capture_output=True,
                text=True,
                timeout=PROBE_SECONDS,
                stdin=subprocess.DEVNULL,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bubblewrap ({bwrap}) cannot run here: {exc}"
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        return None, f"bubblewrap ({bwrap}) cannot make a sandbox here: {first[:200]}"
    return sandbox, ""
