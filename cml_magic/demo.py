"""`cml-magic demo`: the quickstart notebook run end to end against a local CML server.

The local server starts on a free port with the demo data; the notebook's kernel finds it
through `CML_MAGIC_HOST`, `CML_MAGIC_API_KEY` and `CML_MAGIC_PROJECT`. `--lab` opens
JupyterLab on the notebooks instead of running one headless.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cml_magic.notebook_text import cell_report

DEMO_USER = "alice"
DEMO_PROJECT = "risk-analysis"
QUICKSTART = "quickstart.ipynb"
CELL_TIMEOUT = 120  # seconds; every demo cell takes a few at most
KERNEL_NAME = "cml-magic-demo"

# What each part of the demo needs, by import name, with the extra that installs it.
NEEDS = {
    "the local server": (("fastapi", "uvicorn"), "local"),
    "headless notebooks": (("nbformat", "nbconvert", "nbclient", "ipykernel"), "demo"),
    "JupyterLab": (("jupyterlab",), "demo"),
}


class DemoError(Exception):
    """A problem the user can fix; shown as one line, without a traceback."""


def run(
    notebook: Path | None = None,
    output: Path | None = None,
    lab: bool = False,
    keep: bool = False,
) -> int:
    """Run `notebook` (default: the quickstart) headless against a fresh local server, the
    executed copy written to `output`; `lab`: open JupyterLab on its folder instead; `keep`:
    keep the server's data folder. Answers the exit status."""
    _require("the local server", "JupyterLab" if lab else "headless notebooks")
    written: Path | None = None
    if lab:
        target = notebook.parent if notebook else notebooks_dir()
    else:
        target = notebook or notebooks_dir() / QUICKSTART
        if not target.is_file():
            raise DemoError(f"no notebook at {target}")
        written = _output_path(output, target)
    data_dir = Path(tempfile.mkdtemp(prefix="cml-local-demo-")) if keep else None
    with tempfile.TemporaryDirectory(prefix="cml-magic-demo-") as scratch:
        config = Path(scratch) / "config.toml"
        config.write_text("# cml-magic demo: every setting comes from the environment\n")
        return _serve_and_run(target, written, config, data_dir)


def _serve_and_run(target: Path, output: Path | None, config: Path, data_dir: Path | None) -> int:
    """Start the local server, run the notebook (or JupyterLab when `output` is None), stop."""
    from cml_magic.local import LocalCML, LocalCMLError

    print("Starting the local CML server with the demo data ...", flush=True)
    try:
        server = LocalCML(data_dir=data_dir, seed="demo").start()
    except LocalCMLError as exc:
        reason = _one_line(str(exc), last=True)
        raise DemoError(f"the local CML server did not start: {reason}") from None
    try:
        print(f"Local CML server: {server.url} (user {DEMO_USER}, project {DEMO_PROJECT})")
        env = kernel_environment(os.environ, server.url, server.api_key, config)
        if output is None:
            return run_lab(target, env)
        return run_notebook(target, output, env)
    finally:
        server.close()
        print("Local CML server stopped.")
        if data_dir is not None:
            print(
                f"Its data is kept in {data_dir}: `cml-local serve --data {data_dir}` serves it"
                f" again; `cml-local rotate-keys alice --data {data_dir}` prints new keys for"
                " alice (the server keeps only hashes of keys)."
            )


def notebooks_dir() -> Path:
    """The repository's `notebooks/` folder, else the copy inside an installed wheel."""
    package = Path(__file__).resolve().parent
    beside_package = package.parent / "notebooks"
    if beside_package.is_dir():
        return beside_package
    # A wheel carries the notebooks inside the package (see pyproject's force-include).
    if (package / "notebooks").is_dir():
        return package / "notebooks"
    here = Path.cwd() / "notebooks"
    if here.is_dir():
        return here
    raise DemoError(
        "cannot find the notebooks/ folder: run from a clone of the cml_magic repository, "
        "or pass --notebook PATH"
    )


def kernel_environment(
    base: Mapping[str, str], url: str, api_key: str, config: Path
) -> dict[str, str]:
    """The environment of the demo's kernel: the local server, and nothing else of CML's.

    Settings for a real workspace (ours, CML's session variables, a config file) are left
    out so that the demo cannot reach anything but the local server.
    """
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith(("CML_MAGIC_", "CDSW_")) and key != "REQUESTS_CA_BUNDLE"
    }
    no_proxy = ",".join(
        part for part in (base.get("NO_PROXY", ""), "127.0.0.1", "localhost") if part
    )
    env.update(
        CML_MAGIC_HOST=url,
        CML_MAGIC_API_KEY=api_key,
        CML_MAGIC_PROJECT=DEMO_PROJECT,
        CML_MAGIC_CONFIG=str(config),
        CML_MAGIC_WIDGETS="0",
        NO_PROXY=no_proxy,
        no_proxy=no_proxy,
    )
    return env


def run_notebook(notebook: Path, output: Path, env: dict[str, str]) -> int:
    """Execute `notebook` headless with `env`, write it to `output`, print its results."""
    import nbformat
    from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    print(f"Running {notebook.name} ...\n", flush=True)
    processor = ExecutePreprocessor(
        timeout=CELL_TIMEOUT, kernel_name=KERNEL_NAME, record_timing=False
    )
    failure: CellExecutionError | None = None
    with _kernel_manager(env, notebook.parent) as km:
        try:
            processor.preprocess(nb, {"metadata": {"path": str(notebook.parent)}}, km=km)
        except CellExecutionError as exc:
            failure = exc
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, output)
    for line in cell_report(nb):
        print(line)
    if failure is not None:
        name = getattr(failure, "ename", "") or "Error"
        value = _one_line(getattr(failure, "evalue", "") or str(failure))
        print(f"\ncml-magic: the notebook stopped at an error: {name}: {value}", file=sys.stderr)
        print(f"Partly executed notebook written to {output}", file=sys.stderr)
        return 1
    print(f"\nExecuted notebook written to {output}")
    return 0


@contextlib.contextmanager
def _kernel_manager(env: dict[str, str], cwd: Path) -> Iterator[Any]:
    """A kernel of this Python (whatever kernels Jupyter knows), started in `cwd` with exactly
    `env` (a kernel spec's `env` would only add to this process's environment)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory(prefix="cml-magic-kernel-") as folder:
        spec_dir = Path(folder) / KERNEL_NAME
        spec_dir.mkdir()
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "cml-magic demo",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        specs = KernelSpecManager(kernel_dirs=[folder])
        # IPC sockets keep the kernel off TCP (and ipykernel quiet about it).
        transport = "ipc" if os.name == "posix" else "tcp"
        ip = str(Path(folder) / "kernel") if transport == "ipc" else "127.0.0.1"
        km = KernelManager(
            kernel_name=KERNEL_NAME, kernel_spec_manager=specs, transport=transport, ip=ip
        )
        km.start_kernel(env=env, cwd=str(cwd))
        try:
            yield km
        finally:
            # A kernel manager passed in is not shut down by the executor.
            if km.has_kernel:
                km.shutdown_kernel()


def run_lab(folder: Path, env: dict[str, str]) -> int:
    """JupyterLab on `folder` with `env` until Ctrl-C (or until it exits by itself)."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses root without it (containers, CI)
    print(
        textwrap.dedent(
            f"""\
            Opening JupyterLab on {folder}.
            Its kernels reach the local server through CML_MAGIC_HOST, CML_MAGIC_API_KEY
            and CML_MAGIC_PROJECT. Press Ctrl-C here to stop JupyterLab and the server."""
        ),
        flush=True,
    )
    lab = subprocess.Popen(cmd, env=env, cwd=folder, start_new_session=True)
    try:
        return lab.wait()
    except KeyboardInterrupt:
        # JupyterLab asks for confirmation on the first SIGINT; SIGTERM ends it cleanly.
        lab.send_signal(signal.SIGTERM)
        try:
            lab.wait(30)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait()
        return 0


def _output_path(given: Path | None, notebook: Path) -> Path:
    if given is None:
        return Path(tempfile.mkdtemp(prefix="cml-magic-demo-")) / notebook.name
    if given.is_dir() or given.suffix != ".ipynb":
        return given / notebook.name
    return given


def _require(*parts: str) -> None:
    """Fail with one line naming the extra to install when a part's packages are missing."""
    for part in parts:
        modules, extra = NEEDS[part]
        missing = [name for name in modules if not _importable(name)]
        if missing:
            raise DemoError(f"{part} needs {', '.join(missing)}: pip install 'cml-magic[{extra}]'")


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
        return False


def _one_line(text: str, last: bool = False) -> str:
    """The first (or last) non-blank line of `text`."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return text
    return lines[-1] if last else lines[0]
