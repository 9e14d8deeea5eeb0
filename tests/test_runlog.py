"""`python -m cml_magic.runlog` and its snippet, run as a CML run runs them: a subprocess with
CDSW_ENGINE_ID set, in the project folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cml_magic import runlog

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = (
    "import sys\n"
    "print('to stdout', sys.argv[1:])\n"
    "print('to stderr', file=sys.stderr)\n"
    "raise SystemExit(int(sys.argv[1]) if sys.argv[1:] else 0)\n"
)


def _run(
    folder: Path, *argv: str, engine: str | None = "r1x2y3"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CDSW_ENGINE_ID", runlog.CHILD)}
    env["PYTHONPATH"] = str(ROOT)
    if engine is not None:
        env["CDSW_ENGINE_ID"] = engine
    return subprocess.run(
        [sys.executable, *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )


def test_module_saves_what_the_script_writes_and_keeps_its_status(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(SCRIPT)
    done = _run(tmp_path, "-m", "cml_magic.runlog", "job.py", "3")
    assert done.returncode == 3
    saved = (tmp_path / ".cml" / "runs" / "r1x2y3.log").read_text()
    assert saved == "to stdout ['3']\nto stderr\n"
    assert done.stdout == saved  # the console still shows it all


def test_shell_scripts_and_appending_across_runs_of_one_engine(tmp_path: Path) -> None:
    (tmp_path / "job.sh").write_text('echo "shell says $1"\n')
    assert _run(tmp_path, "-m", "cml_magic.runlog", "job.sh", "hi").returncode == 0
    assert _run(tmp_path, "-m", "cml_magic.runlog", "job.sh", "again").returncode == 0
    saved = (tmp_path / ".cml" / "runs" / "r1x2y3.log").read_text()
    assert saved == "shell says hi\nshell says again\n"


def test_outside_a_run_the_script_runs_and_nothing_is_saved(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(SCRIPT)
    done = _run(tmp_path, "-m", "cml_magic.runlog", "job.py", engine=None)
    assert done.returncode == 0 and "to stdout" in done.stdout
    assert not (tmp_path / ".cml").exists()


def test_without_a_script_it_says_how_to_call_it(tmp_path: Path) -> None:
    done = _run(tmp_path, "-m", "cml_magic.runlog")
    assert done.returncode == 2 and "usage: python -m cml_magic.runlog SCRIPT" in done.stderr
    missing = _run(tmp_path, "-m", "cml_magic.runlog", "./nothing-here")
    assert missing.returncode == 127 and "cannot run ./nothing-here" in missing.stderr


def test_the_snippet_saves_a_script_s_own_output(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(runlog.SNIPPET + SCRIPT)
    done = _run(tmp_path, "job.py", "4")
    assert done.returncode == 4
    saved = (tmp_path / ".cml" / "runs" / "r1x2y3.log").read_text()
    assert saved == "to stdout ['4']\nto stderr\n" == done.stdout


def test_the_snippet_under_the_module_saves_once(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(runlog.SNIPPET + SCRIPT)
    assert _run(tmp_path, "-m", "cml_magic.runlog", "job.py").returncode == 0
    saved = (tmp_path / ".cml" / "runs" / "r1x2y3.log").read_text()
    assert saved == "to stdout []\nto stderr\n"


def test_the_snippet_does_nothing_when_the_file_is_imported(tmp_path: Path) -> None:
    """A model's file (imported by the model server) may carry it too."""
    (tmp_path / "model.py").write_text(runlog.SNIPPET + "def predict(args):\n    return args\n")
    code = "import runpy; print(runpy.run_path('model.py', run_name='cml_model')['predict'](7))"
    done = _run(tmp_path, "-c", code)
    assert done.stdout == "7\n" and not (tmp_path / ".cml").exists()


@pytest.mark.parametrize("engine", ["", "../x", ".hidden", "a/b"])
def test_no_log_path_for_an_engine_id_that_is_not_one(engine: str) -> None:
    assert runlog.log_path({"CDSW_ENGINE_ID": engine}) is None
    assert runlog.log_path({"CDSW_ENGINE_ID": "abc", runlog.CHILD: "1"}) is None
    assert runlog.log_path({"CDSW_ENGINE_ID": "abc"}) == ".cml/runs/abc.log"


def test_the_docs_and_the_demo_jobs_carry_the_snippet_as_it_is() -> None:
    docs = (ROOT / "docs" / "magics.md").read_text()
    assert runlog.SNIPPET in docs
    templates = ROOT / "cml_magic" / "local" / "template_files" / "python"
    for name in ("analysis.py", "fit.py", "pi.py"):
        assert runlog.SNIPPET in (templates / name).read_text(), name


def test_runlog_needs_nothing_but_the_standard_library() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import cml_magic.runlog\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] not in sys.stdlib_module_names))"
    )
    done = _run(ROOT, "-c", code, engine=None)
    assert done.stdout.strip() == "['cml_magic', 'cml_magic.runlog']", done.stderr
