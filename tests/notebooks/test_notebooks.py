"""The notebooks in notebooks/ run clean against a fresh local CML server and produce the
outputs stored in them (`pytest --nbval`, with tests/notebooks/sanitize.cfg for what changes
from run to run: ids, times, ports, durations).

Each notebook gets its own seeded server, so one notebook's runs do not show up in another's
listings. The kernel's environment is the one `cml-magic demo` gives it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from cml_magic.demo import kernel_environment
from cml_magic.local import LocalCML

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SANITIZE = Path(__file__).with_name("sanitize.cfg")
EXPECTED = ("quickstart", "models", "applications", "api", "run_on_cml", "experiments")
NBVAL_TIMEOUT = 240  # seconds for a whole notebook; each takes a few


def test_every_notebook_is_checked() -> None:
    """No notebook escapes the nbval run below (a new one must be added to EXPECTED)."""
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_outputs_are_complete(name: str) -> None:
    """nbval compares only cells that were executed, and skips marked ones: neither is allowed.

    Every code cell must carry its stored execution, in order, with no NBVAL_* opt-out.
    """
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, f"{name} has no code cells"
    counts = [cell.get("execution_count") for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"{name}: run it top to bottom and save"
    for cell in code:
        assert "NBVAL" not in cell.source, f"{name}: cell opts out of comparison: {cell.source}"
        assert not any(o.get("output_type") == "error" for o in cell.outputs), cell.source
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_outputs_hold_no_key(name: str) -> None:
    """Stored outputs never show a key or an authorization header."""
    text = (NOTEBOOKS / f"{name}.ipynb").read_text()
    assert not re.search(r"[a-z0-9]{32}\.[a-z0-9]{24}", text), "an API key-shaped string"
    assert "Bearer " not in text
    assert "CML_MAGIC_API_KEY=" not in text


def sanitize(text: str) -> str:
    """`text` as nbval compares it, with the patterns read the way nbval reads them."""
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_sanitizers_hide_only_what_changes_between_runs() -> None:
    line = (
        "run 0645larphwti9o39 of job ennq-7dum-18ab-a5ow: ENGINE_SUCCEEDED (0m02s)  \n"
        "2026-11-25 20:21:16.798730+00:00  http://127.0.0.1:41351  api_key='****22pe'\n"
        "build 5d7c037e-d512-4c6d-9f72-a5383c5aef1f: built in 1.25 s\n"
    )
    assert sanitize(line) == (
        "run RUN_ID of job ID-ID-ID-ID: ENGINE_SUCCEEDED (ELAPSED)\n"
        "TIME http://127.0.0.1:PORT api_key='****KEY4'\n"
        "build UUID: built in N s\n"
    )
    # What the notebooks are about still differs after sanitizing.
    assert sanitize("ENGINE_SUCCEEDED") != sanitize("ENGINE_FAILED")
    assert sanitize("ANALYSIS_REGION=apac") != sanitize("ANALYSIS_REGION=emea")
    assert sanitize("prediction': 6.02") != sanitize("prediction': 6.0")
    assert sanitize("[3 rows x 10 columns]") != sanitize("[2 rows x 10 columns]")


def test_stored_quickstart_still_shows_its_results_after_sanitizing() -> None:
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    shown = sanitize(json.dumps([cell.get("outputs", []) for cell in nb.cells]))
    for fact in ("risk-analysis", "nightly", "ENGINE_SUCCEEDED", "ANALYSIS_REGION=apac"):
        assert fact in shown


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_matches_its_stored_outputs(
    name: str, local_cml_factory: Callable[..., LocalCML], tmp_path: Path
) -> None:
    server = local_cml_factory(seed="demo", phase_delay=0.1)
    config = tmp_path / "config.toml"
    config.write_text("")
    env = kernel_environment(os.environ, server.url, server.api_key, config)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        "--nbval-current-env",
        f"--nbval-sanitize-with={SANITIZE}",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
        str(NOTEBOOKS / f"{name}.ipynb"),
    ]
    done = subprocess.run(
        cmd,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=NBVAL_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    regenerate = (
        f"\nIf the change is meant, store fresh outputs: cml-magic demo --notebook"
        f" notebooks/{name}.ipynb --output notebooks/{name}.ipynb"
    )
    report = done.stdout[-6000:] + done.stderr[-2000:] + regenerate
    assert done.returncode == 0, report
    passed = re.search(r"(\d+) passed", done.stdout)
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    cells = sum(1 for cell in nb.cells if cell.cell_type == "code")
    assert passed and int(passed[1]) == cells, report
    assert server.api_key not in done.stdout + done.stderr
