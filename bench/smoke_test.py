"""A short end-to-end run of `python -m bench --quick --only load` (not part of tests/).

Run: `.venv/bin/pytest -q bench/smoke_test.py`. Checks the report is written and complete,
never how fast anything is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.common import ROOT


def test_quick_load_figure_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "load", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    for part in ("## Machine", "| CPU |", "| Python |", "## Extension load", "What limits it"):
        assert part in page
    assert "heavy modules imported by the load | none" in page
