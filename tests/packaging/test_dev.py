"""`dev.py` and the README, as a newcomer meets them: the commands the README gives work from a
clone, the first setup says what it is doing, and Ctrl-C on `dev.py demo --lab` lets the demo
stop JupyterLab and its server."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]

# Stands for `cml-magic demo --lab`: on Ctrl-C it takes a moment to clean up, then says so.
CHILD = """\
import sys, time
try:
    print("ready", flush=True)
    time.sleep(120)
except KeyboardInterrupt:
    time.sleep(1)  # stopping JupyterLab, then the local server
    print("Local CML server stopped.", flush=True)
    sys.exit(0)
"""


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ctrl_c_on_dev_py_demo_lets_the_demo_clean_up() -> None:
    driver = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import dev; "
        f"sys.exit(dev.run_in_foreground(sys.executable, '-c', {CHILD!r}))"
    )
    # Its own session: SIGINT to the group is what a terminal's Ctrl-C sends to both.
    proc = subprocess.Popen(
        [sys.executable, "-c", driver], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.strip() == "ready":
                break
        os.killpg(proc.pid, signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = "".join(lines) + rest
    assert proc.returncode == 0, out + err
    assert "Local CML server stopped." in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_the_first_setup_says_what_each_step_does_and_shows_pips_progress() -> None:
    steps = load_dev().setup_steps()
    assert len(steps) >= 2
    for say, cmd in steps:
        words = [str(part) for part in cmd]
        assert ".venv/" in say and say.endswith("..."), say
        assert "-q" not in words and "--quiet" not in words, words  # pip's progress is shown
    assert any("minute" in say for say, _ in steps)  # says why it takes a while


def test_readme_installs_from_a_clone_and_leads_into_jupyterlab() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = [
        line.strip()
        for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
        for line in block.splitlines()
    ]
    assert not [c for c in commands if re.match(r"pip install '?cml-magic", c)]  # unpublished
    assert any(c.startswith("pip install .") for c in commands)
    assert any(c.startswith("pip install '.[local]'") for c in commands)
    assert any(c.startswith("pip wheel . --no-deps -w dist") for c in commands)
    assert any(c.startswith("python3 dev.py demo --lab") for c in commands)
