"""Developer entry point: `python3 dev.py demo` and `python3 dev.py test`.

Needs only Python 3.11+: it creates `.venv/` beside this file, installs the project
into it (with the `test` extra) when pyproject.toml changed, then runs the command there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".cml-magic-installed"


def run(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"cml_magic needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Reinstall only when the dependency list changed: repeated runs stay fast.
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "-q", "-e", ".[test]")
    STAMP.write_text(digest)


def ensure_chromium() -> None:
    """Install Debian's Chromium for the browser tests, and a Java runtime for the seed-examples
    judge (OpenAPI Generator is a jar), where we may (root on Debian, e.g. CI).

    Elsewhere those tests skip and say why; nothing here is fatal.
    """
    if Path(os.environ.get("CHROMIUM", "/usr/bin/chromium")).exists() and shutil.which("java"):
        return
    if os.name != "posix" or os.geteuid() != 0 or not Path("/usr/bin/apt-get").exists():
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
        + ["chromium", "fonts-dejavu-core", "default-jre-headless"],
    ):
        print("+", " ".join(cmd), flush=True)
        if subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL).returncode != 0:
            print("Chromium or Java could not be installed: their tests will skip.", flush=True)
            return


def test(extra: list[str]) -> int:
    ensure_chromium()
    steps: list[list[str | Path]] = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy"],
    ]
    for step in steps:
        run(*step)
    if (ROOT / "mkdocs.yml").exists():
        run(BIN / "mkdocs", "build", "--strict", "--quiet", "--site-dir", ROOT / "build" / "site")
    return run(PY, "-m", "pytest", *extra, check=False)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        print("usage: python3 dev.py demo [--lab] | python3 dev.py test [pytest args]")
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return run(BIN / "cml-magic", "demo", *rest, check=False)
    return test(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
