"""`cml-local` without bubblewrap: one warning, and no second user unless `--unsandboxed`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.sandbox import require_sandbox

PYTHON = [sys.executable, "-m", "cml_magic.local"]


@pytest.fixture
def no_bwrap(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH holds no bwrap (an empty folder)."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    return {**os.environ, "PATH": str(empty)}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PYTHON, *args], capture_output=True, text=True, timeout=60, env=env or dict(os.environ)
    )


def _serve(data: Path, env: dict[str, str], *extra: str) -> tuple[str, str]:
    """Start `serve`, wait until it listens, stop it; returns its first stdout line and stderr."""
    proc = subprocess.Popen(
        [*PYTHON, "serve", "--data", str(data), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        line = proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    return line, err


def test_without_bwrap_a_second_user_is_refused(tmp_path: Path, no_bwrap) -> None:
    data = str(tmp_path / "state")
    assert _cli("create-user", "carol", "--data", data, env=no_bwrap).returncode == 0
    line, err = _serve(Path(data), no_bwrap)
    assert line.startswith("cml-local listening on ")
    warnings = [x for x in err.splitlines() if "warning" in x]
    assert len(warnings) == 1 and "bwrap" in warnings[0] and "--unsandboxed" in warnings[0]

    second = _cli("create-user", "dave", "--data", data, env=no_bwrap)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert "--unsandboxed" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    seeded = _cli("seed", "demo", "--data", data, env=no_bwrap)
    assert seeded.returncode == 1 and "--unsandboxed" in seeded.stderr and not seeded.stdout

    allowed = _cli("create-user", "dave", "--data", data, "--unsandboxed", env=no_bwrap)
    assert allowed.returncode == 0 and allowed.stdout.startswith("dave ")
    refused = subprocess.run(
        [*PYTHON, "serve", "--data", data, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=no_bwrap,
    )
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "2 users" in refused.stderr and "--unsandboxed" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    line, err = _serve(Path(data), no_bwrap, "--unsandboxed")
    assert line.startswith("cml-local listening on ")
    assert len([x for x in err.splitlines() if "warning" in x]) == 1


def test_with_bwrap_serve_sandboxes_without_a_warning(tmp_path: Path) -> None:
    require_sandbox(tmp_path)
    data = str(tmp_path / "state")
    assert _cli("seed", "demo", "--data", data).returncode == 0  # two users: fine here
    line, err = _serve(Path(data), dict(os.environ))
    assert line.startswith("cml-local listening on ")
    assert "warning" not in err


def test_local_cml_without_bwrap_runs_unsandboxed_explicitly(
    local_cml_factory, tmp_path: Path, no_bwrap, monkeypatch
) -> None:
    monkeypatch.setenv("PATH", no_bwrap["PATH"])
    server = local_cml_factory(data_dir=tmp_path / "state")  # seeded: alice and bob
    assert server.sandboxed is False and "bwrap" in server.sandbox_problem
    assert set(server.keys) == {"alice", "bob"}
