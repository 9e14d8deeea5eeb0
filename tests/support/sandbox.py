"""How a test's server confines workloads: in the bubblewrap sandbox (skipped, saying why, where
it cannot run here) or explicitly unsandboxed."""

from __future__ import annotations

from pathlib import Path

import pytest

from cml_magic.local.sandbox import detect

MODES = ["sandboxed", "unsandboxed"]


def require_sandbox(state_dir: Path) -> None:
    """Skip the test where bubblewrap cannot make a sandbox (`dev.py test` installs it)."""
    found, why = detect(state_dir)
    if found is None:
        pytest.skip(f"the workload sandbox cannot run here: {why}")


def confinement(mode: str, state_dir: Path) -> bool:
    """`LocalCML(sandbox=...)` for a mode of MODES (skipping "sandboxed" where it cannot run)."""
    if mode == "sandboxed":
        require_sandbox(state_dir)
        return True
    return False
