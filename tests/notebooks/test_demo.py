"""`cml-magic demo`, run as a user runs it: a subprocess with its own local server and kernel."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
import requests

DEMO_TIMEOUT = 120  # seconds; a demo run takes a few
ROOT = Path(__file__).resolve().parents[2]


def demo(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cml_magic.cli", "demo", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def server_url(stdout: str) -> str:
    found = re.search(r"Local CML server: (http://127\.0\.0\.1:\d+)", stdout)
    assert found, stdout
    return found[1]


def assert_closed(url: str) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with pytest.raises(OSError), socket.create_connection((host, int(port)), timeout=2):
        pass


def write_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, path)
    return path


def test_demo_runs_the_quickstart_and_shows_its_results(tmp_path: Path) -> None:
    done = demo("--output", str(tmp_path / "out.ipynb"), "--keep")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    # The listings as text, the run's final status, where the notebook went.
    assert "risk-analysis" in out and "churn-model" in out
    assert "nightly" in out and "analysis.py" in out
    assert "ENGINE_SUCCEEDED" in out
    assert f"Executed notebook written to {tmp_path / 'out.ipynb'}" in out
    assert "Local CML server stopped." in out
    assert_closed(server_url(out))

    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count for cell in code)
    assert not any(o.output_type == "error" for cell in code for o in cell.outputs)

    # --keep left the data; the demo users' keys appear in neither the output nor the notebook.
    kept = re.search(r"Its data is kept in (\S+):", out)
    assert kept, out
    data_dir = Path(kept[1])
    # The server keeps only the keys' hashes: every piece of text shaped like a key is hashed
    # and looked up.
    with sqlite3.connect(data_dir / "cml-local.sqlite3") as db:
        hashes = {row[0] for row in db.execute("SELECT hash FROM api_keys WHERE owner IS NULL")}
    assert len(hashes) == 4  # alice's and bob's v2 and legacy keys
    probe = "k" * 32 + "." + "7" * 24
    assert hashlib.sha256(probe.encode()).hexdigest() in _key_shaped_hashes(f"='{probe}x'")
    saved = (tmp_path / "out.ipynb").read_text()
    for text in (out, done.stderr, saved):
        assert not hashes & _key_shaped_hashes(text)


def _key_shaped_hashes(text: str) -> set[str]:
    """SHA-256 of every 32-character run (a legacy key) and 57-character run (a v2 key,
    `32.24`) of key characters in `text`, wherever it starts."""
    found = set()
    for run in re.findall(r"[a-z0-9.]{32,}", text):
        for size in (32, 57):
            for start in range(len(run) - size + 1):
                found.add(hashlib.sha256(run[start : start + size].encode()).hexdigest())
    return found


def test_the_kernel_sees_only_the_local_server(tmp_path: Path) -> None:
    """Settings for a real workspace in the caller's environment do not reach the demo kernel."""
    probe = write_notebook(
        tmp_path / "probe.ipynb",
        "import os\n"
        "print(sorted(k for k in os.environ if k.startswith(('CML_MAGIC_', 'CDSW_'))))\n"
        "print(os.environ['CML_MAGIC_HOST'], os.environ['CML_MAGIC_PROJECT'])\n"
        "print(open(os.environ['CML_MAGIC_CONFIG']).read().count('=') == 0)",
    )
    done = demo(
        "--notebook",
        str(probe),
        "--output",
        str(tmp_path / "out"),
        env={
            "CDSW_APIV2_KEY": "real-workspace-key",
            "CDSW_API_URL": "https://ml.example.com/api/v1",
            "CML_MAGIC_LEGACY_API_KEY": "legacy",
            "CML_MAGIC_VERIFY": "0",
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = "['CML_MAGIC_API_KEY', 'CML_MAGIC_CONFIG', 'CML_MAGIC_HOST', 'CML_MAGIC_PROJECT', "
    assert names + "'CML_MAGIC_WIDGETS']" in done.stdout
    assert f"{server_url(done.stdout)} risk-analysis" in done.stdout
    assert "\nTrue" in done.stdout
    assert (tmp_path / "out" / "probe.ipynb").is_file()


def test_a_failing_cell_is_one_line_and_the_server_stops(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "fails.ipynb",
        "print('first cell ran')",
        "raise ValueError('the data is not there\\nsecond line of detail')",
        "print('never reached')",
    )
    done = demo("--notebook", str(notebook), "--output", str(tmp_path / "out.ipynb"))
    assert done.returncode == 1
    assert "first cell ran" in done.stdout
    assert "never reached" not in done.stdout
    assert "Traceback" not in done.stderr
    assert (
        "cml-magic: the notebook stopped at an error: ValueError: the data is not there"
        in done.stderr.splitlines()
    )
    assert f"Partly executed notebook written to {tmp_path / 'out.ipynb'}" in done.stderr
    assert (tmp_path / "out.ipynb").is_file()
    assert "Local CML server stopped." in done.stdout
    assert_closed(server_url(done.stdout))


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        ("uvicorn", [], "the local server needs uvicorn: pip install 'cml-magic[local]'"),
        ("nbconvert", [], "headless notebooks needs nbconvert: pip install 'cml-magic[demo]'"),
        ("jupyterlab", ["--lab"], "JupyterLab needs jupyterlab: pip install 'cml-magic[demo]'"),
    ],
    ids=["local", "demo", "lab"],
)
def test_a_missing_extra_is_named_in_one_line(module: str, args: list[str], message: str) -> None:
    # A module set to None in sys.modules cannot be imported: as if it were not installed.
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from cml_magic.cli import main\n"
        f"sys.exit(main(['demo', *{args!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"cml-magic: {message}\n"


def test_a_missing_notebook_is_one_line(tmp_path: Path) -> None:
    done = demo("--notebook", str(tmp_path / "nope.ipynb"))
    assert done.returncode == 1
    assert done.stderr == f"cml-magic: no notebook at {tmp_path / 'nope.ipynb'}\n"
    assert "Starting" not in done.stdout


def test_lab_serves_the_notebooks_against_the_local_server(tmp_path: Path) -> None:
    """`--lab` starts JupyterLab on notebooks/ with the server's variables; Ctrl-C stops both."""
    runtime = tmp_path / "runtime"
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "BROWSER": "true",  # the "browser" is /bin/true: nothing opens
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cml_magic.cli", "demo", "--lab"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lab: psutil.Process | None = None
    try:
        info = _wait_for_server_file(runtime, proc, timeout=60)
        lab = psutil.Process(info["pid"])
        assert Path(info["root_dir"]).resolve() == (ROOT / "notebooks").resolve()
        lab_env = lab.environ()
        assert lab_env["CML_MAGIC_PROJECT"] == "risk-analysis"
        host = lab_env["CML_MAGIC_HOST"]
        answer = requests.get(
            f"{host}/api/v2/projects",
            headers={"authorization": f"Bearer {lab_env['CML_MAGIC_API_KEY']}"},
            timeout=10,
        )
        assert answer.status_code == 200
        status = requests.get(
            f"{info['url'].rstrip('/')}/api/status",
            headers={"Authorization": f"token {info['token']}"},
            timeout=10,
        )
        assert status.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
        if lab is not None and lab.is_running():
            lab.kill()
    assert proc.returncode == 0, stdout + stderr
    assert "Local CML server stopped." in stdout
    assert lab is not None and not lab.is_running()
    assert_closed(host)


def _wait_for_server_file(runtime: Path, proc: subprocess.Popen[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for path in runtime.glob("jpserver-*.json"):
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass  # being written
        time.sleep(0.1)
    raise AssertionError(f"JupyterLab did not start within {timeout} s")
