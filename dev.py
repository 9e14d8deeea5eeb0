"""Developer entry point: `python3 dev.py demo`, `python3 dev.py test` and
`python3 dev.py screenshots` (the docs' screenshots, taken again in headless Chromium).

Needs only Python 3.11+: it creates `.venv/` beside this file, installs the project
into it (with the `test` extra) when pyproject.toml changed, then runs the command there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
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


def run_in_foreground(*args: str | Path) -> int:
    """Run a command that handles Ctrl-C itself (the demo stops JupyterLab and its server).

    The terminal sends Ctrl-C's SIGINT to this process and the command alike: here it is only
    waited out, so that the command can clean up and say so, instead of being killed a moment
    later with a traceback from this script.
    """
    previous = signal.signal(signal.SIGINT, lambda *_: None)  # a handler: not inherited
    try:
        return run(*args, check=False)
    finally:
        signal.signal(signal.SIGINT, previous)


def setup_steps() -> list[tuple[str, list[str | Path]]]:
    """What setting up .venv/ runs, each with the line that says what it does and why it can
    take a while (pip's own progress follows it)."""
    return [
        ("Updating pip in .venv/ ...", [PY, "-m", "pip", "install", "--upgrade", "pip"]),
        (
            "Installing cml_magic and its test and demo dependencies into .venv/ (JupyterLab,"
            " pandas, FastAPI, ...): about a minute the first time, seconds later ...",
            [PY, "-m", "pip", "install", "--progress-bar", "on", "-e", ".[test]"],
        ),
    ]


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"cml_magic needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        print(f"Creating the virtualenv {VENV} (first run only) ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Reinstall only when the dependency list changed: repeated runs stay fast.
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("pyproject.toml is new or changed: setting up .venv/ once.", flush=True)
    for say, cmd in setup_steps():
        print(say, flush=True)
        run(*cmd)
    STAMP.write_text(digest)
    print("Set up; later runs skip this.", flush=True)


# The Debian packages some tests need: the file or command that shows it is there, the packages,
# the tests that skip without it. Add a line to add one.
SYSTEM_PACKAGES: list[tuple[str, tuple[str, ...], str]] = [
    (os.environ.get("CHROMIUM", "/usr/bin/chromium"), ("chromium", "fonts-dejavu-core"), "browser"),
    ("java", ("default-jre-headless",), "seed-examples judge (OpenAPI Generator is a jar)"),
    ("bwrap", ("bubblewrap",), "workload sandbox"),
]


def ensure_system_packages() -> None:
    """Install the missing SYSTEM_PACKAGES where we may (root on Debian, e.g. CI).

    Elsewhere the tests that need them skip and say why; nothing here is fatal.
    """
    missing = [e for e in SYSTEM_PACKAGES if not (Path(e[0]).exists() or shutil.which(e[0]))]
    if not missing:
        return
    if os.name != "posix" or os.geteuid() != 0 or not Path("/usr/bin/apt-get").exists():
        return
    packages = [name for _, names, _ in missing for name in names]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        print("+", " ".join(cmd), flush=True)
        if subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL).returncode != 0:
            skipped = ", ".join(used_by for _, _, used_by in missing)
            print(f"{' '.join(packages)} could not be installed: the {skipped} tests will skip.")
            return


def test(extra: list[str]) -> int:
    ensure_system_packages()
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
    if not argv or argv[0] not in {"demo", "test", "screenshots"}:
        print(__doc__)
        print(
            "usage: python3 dev.py demo [--lab] | python3 dev.py test [pytest args]"
            " | python3 dev.py screenshots [pytest args]"
        )
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return run_in_foreground(BIN / "cml-magic", "demo", *rest)
    if command == "screenshots":
        ensure_system_packages()  # Chromium
        return run(PY, ROOT / "tests" / "browser" / "screenshots.py", *rest, check=False)
    return test(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
