"""The package as a user installs it: a wheel built from the clone, installed into a fresh
virtualenv (no system site-packages), and `%load_ext cml_magic` in an IPython of that venv.

Building needs the build backend (hatchling), which pip fetches into an isolated build
environment; installing needs IPython from the package index (or pip's cache). Where either
cannot be had (offline, no index), the fixture skips and says which.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 300  # seconds; a build or an install from pip's cache takes a few


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel . --no-deps` builds from this clone (as the README says)."""
    dist = tmp_path_factory.mktemp("dist")
    built = _run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-w", dist)
    if built.returncode != 0:
        pytest.skip(f"cannot build the wheel (the build backend is fetched by pip): {_tail(built)}")
    (found,) = dist.glob("cml_magic-*.whl")
    return found


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv of its own (no system site-packages) holding the wheel, installed with
    --no-deps, plus IPython: all that `%load_ext cml_magic` needs."""
    folder = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(folder)
    python = folder / "bin" / "python"
    installed = _run(python, "-m", "pip", "install", "-q", "--no-deps", wheel)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    ipython = _run(python, "-m", "pip", "install", "-q", "ipython>=8.12")
    if ipython.returncode != 0:
        pytest.skip(f"cannot install IPython into the fresh venv (no index?): {_tail(ipython)}")
    return python


LOAD = """\
import cml_magic
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
print("file", cml_magic.__file__)
print("line magics", sorted(m for m in shell.magics_manager.magics["line"] if m == "cml"))
print("cell magics", sorted(m for m in shell.magics_manager.magics["cell"] if m.startswith("cml")))
shell.run_line_magic("cml", "help")
"""


def test_the_wheel_installs_into_a_fresh_venv_and_the_extension_loads(
    fresh_venv: Path, tmp_path: Path
) -> None:
    # Nothing of this clone or of the test's own environment leaks in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run(
        [str(fresh_venv), "-c", LOAD], capture_output=True, text=True, cwd=tmp_path,
        env=env, timeout=STEP_TIMEOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    site = fresh_venv.parent.parent / "lib"
    assert f"file {site}" in out, out  # the installed copy, not the clone
    assert "line magics ['cml']" in out
    assert "cell magics ['cml_file', 'cml_job_env', 'cml_run']" in out
    assert "%cml RESOURCE VERB" in out  # the magic runs, not only registers
