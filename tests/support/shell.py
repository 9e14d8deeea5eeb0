"""The test IPython shell, in jupysql's manner: a real shell whose `run_cell` re-raises what the
cell raised, so a failing cell fails its test instead of leaving a name undefined.

IPython allows one global test shell per process, so the extension is loaded into it for one
test (`loaded`) and everything the test left behind is removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import IPython
import pytest
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.testing.globalipapp import start_ipython


def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CML settings of the machine's reach the test: no `CML_MAGIC_*` or CML session
    variable, and a config file that does not exist."""
    for name in list(os.environ):
        if name.startswith(("CML_MAGIC_", "CDSW_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CML_MAGIC_CONFIG", str(tmp_path / "no-config.toml"))


def run_fresh(
    script: str, host: str, api_key: str, config: str
) -> tuple[Any, subprocess.CompletedProcess[str]]:
    """Run `script` in a fresh Python whose `%cml` talks to `host` with `api_key` (no CML
    settings of the machine, the config file `config`); it must exit 0. Returns the JSON of
    its last printed line, and the finished process (its output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CML_MAGIC_", "CDSW_"))}
    env |= {"CML_MAGIC_HOST": host, "CML_MAGIC_API_KEY": api_key, "CML_MAGIC_CONFIG": config}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done


def raise_error(result: ExecutionResult) -> ExecutionResult:
    """`result`, or the error its cell raised (before or during execution), raised."""
    if result.error_before_exec is not None:
        raise result.error_before_exec
    if result.error_in_exec is not None:
        raise result.error_in_exec
    return result


def shown(shell: InteractiveShell, code: str) -> ExecutionResult:
    """Run `code` as a front end does: an error is shown, not raised, and is in the result
    (for tests of what a user sees)."""
    return type(shell).run_cell(shell, code)


@contextmanager
def loaded(**settings: Any) -> Iterator[InteractiveShell]:
    """The test shell with `%load_ext cml_magic` and `%config CMLMagics.<name> = <value>` for
    each setting; its `run_cell` re-raises. Afterwards the extension is unloaded, and the names
    and settings the test left are removed."""
    shell: InteractiveShell = start_ipython() or IPython.get_ipython()
    _forget_settings(shell)
    shell.run_line_magic("load_ext", "cml_magic")
    for name, value in settings.items():
        shell.run_line_magic("config", f"CMLMagics.{name} = {value!r}")

    def run_cell(raw_cell: str, *args: Any, **kwargs: Any) -> ExecutionResult:
        return raise_error(type(shell).run_cell(shell, raw_cell, *args, **kwargs))

    shell.run_cell = run_cell  # type: ignore[method-assign]
    before = set(shell.user_ns)
    try:
        yield shell
    finally:
        del shell.run_cell  # the class's own again
        shell.run_line_magic("unload_ext", "cml_magic")
        for name in set(shell.user_ns) - before:
            del shell.user_ns[name]
        _forget_settings(shell)


def _forget_settings(shell: InteractiveShell) -> None:
    """`%config` writes into the shell's config, which outlives a test."""
    for section in ("CMLMagics", "CMLMagic"):
        shell.config.pop(section, None)
