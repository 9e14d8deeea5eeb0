"""Without matplotlib (the optional extra `cml-magic[plot]`): importing cml_magic and loading
the extension never ask for it, and a chart is one line saying how to install it.

Run in a fresh interpreter where an import hook refuses matplotlib, as if it were not
installed.
"""

from __future__ import annotations

import os

from support.servers import free_port
from support.shell import run_fresh

SCRIPT = """
import importlib.abc, json, sys

asked = []

class NoMatplotlib(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "matplotlib":
            asked.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoMatplotlib())

import pandas as pd
from IPython.core.interactiveshell import InteractiveShell

import cml_magic, cml_magic.frames, cml_magic.plots

shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
shell.run_cell("%cml runs list --help")
before = list(asked)
error = shell.run_cell("%cml runs plot --job nightly --project risk-analysis").error_in_exec
try:
    cml_magic.plots.metric_history_figure(pd.DataFrame(), "loss")
except Exception as exc:
    direct = [type(exc).__name__, isinstance(exc, ImportError), str(exc)]
print(json.dumps({
    "asked_before": before,
    "asked": sorted(set(asked)),
    "error": [type(error).__name__, getattr(error, "kind", ""), str(error)],
    "direct": direct,
}))
"""

LINE = "charts need matplotlib: pip install 'cml-magic[plot]'"


def test_without_matplotlib_a_chart_is_one_line_saying_how_to_install_it() -> None:
    # Nothing listens at the host: were a request sent before the check, the error would
    # be about the connection.
    seen, done = run_fresh(SCRIPT, f"http://127.0.0.1:{free_port()}", "k" * 20, os.devnull)
    assert seen["asked_before"] == []  # import, %load_ext and other commands never ask
    assert seen["asked"] == ["matplotlib"]
    assert seen["error"] == ["UsageError", "missing_extra", LINE]
    assert seen["direct"] == ["PlotsUnavailable", True, LINE]
    # IPython shows the UsageError as this one line, no traceback.
    assert f"UsageError: {LINE}" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr
