"""The first listing imports pandas on a thread of its own (see `context.load_frames`); a failed
import still fails the cell with the import's own error, once, and a Ctrl-C while the listing
waits for the thread leaves the next listing working."""

from __future__ import annotations

from typing import Any

from support.shell import run_fresh

SCRIPT = """
import json, sys, threading
seen = []

class Spy:
    # Records which thread imports pandas; with BLOCK set, pandas cannot be imported.
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            seen.append(threading.current_thread() is threading.main_thread())
            if BLOCK:
                raise ModuleNotFoundError("No module named 'pandas'", name="pandas")
        return None

BLOCK = {block}
sys.meta_path.insert(0, Spy())
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
result = shell.run_cell("%cml jobs list --project risk-analysis")
error = result.error_in_exec
print(json.dumps({{
    "on_main_thread": seen,
    "rows": None if error else len(result.result),
    "error": type(error).__name__ if error else None,
}}))
"""


def _first_listing(server: Any, tmp_path: Any, block: bool) -> tuple[dict[str, Any], str]:
    config = str(tmp_path / "no-config.toml")
    out, done = run_fresh(SCRIPT.format(block=block), server.url, server.api_key, config)
    return out, done.stdout + done.stderr


def test_the_first_listing_imports_pandas_off_the_main_thread(
    magic_server: Any, tmp_path: Any
) -> None:
    out, _ = _first_listing(magic_server, tmp_path, block=False)
    assert out["error"] is None
    assert out["rows"] > 0
    assert out["on_main_thread"] == [False]


def test_a_failed_pandas_import_fails_the_cell_with_its_own_error(
    magic_server: Any, tmp_path: Any
) -> None:
    out, printed = _first_listing(magic_server, tmp_path, block=True)
    assert out["error"] == "ModuleNotFoundError"
    # Tried on the loader thread, then again where the cell sees it; the thread stays quiet.
    assert out["on_main_thread"] == [False, True]
    assert "Exception in thread" not in printed
    assert printed.count("No module named 'pandas'") == 1


# Threads are recorded only from the listing on (the shell starts its own before).
PANDAS_FIRST = """
import json, threading
import pandas
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
started = []
start = threading.Thread.start
def spy(self):
    started.append(self.name)
    return start(self)
threading.Thread.start = spy
result = shell.run_cell("%cml jobs list --project risk-analysis")
print(json.dumps({"rows": len(result.result), "started": started}))
"""


def test_with_pandas_imported_already_the_first_listing_starts_no_thread(
    magic_server: Any, tmp_path: Any
) -> None:
    # The common notebook: pandas first, then the first listing.
    config = str(tmp_path / "no-config.toml")
    out, _ = run_fresh(PANDAS_FIRST, magic_server.url, magic_server.api_key, config)
    assert out["rows"] > 0
    assert out["started"] == []


# The loader thread's lookup of pandas is held back (`HOLD` seconds) and a Ctrl-C reaches the
# main thread while the listing waits for it.
INTERRUPTED = """
import json, signal, sys, threading, time

class Gate:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" and threading.current_thread().name == "cml-magic-pandas":
            time.sleep(HOLD)
        return None

HOLD = 2.0
sys.meta_path.insert(0, Gate())
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
main = threading.main_thread().ident
threading.Timer(1.0, signal.pthread_kill, (main, signal.SIGINT)).start()
first = shell.run_cell("%cml jobs list --project risk-analysis")
HOLD = 0
second = shell.run_cell("%cml jobs list --project risk-analysis")
print(json.dumps({"first": type(first.error_in_exec).__name__, "rows": len(second.result)}))
"""


def test_after_ctrl_c_in_the_wait_the_next_listing_works(magic_server: Any, tmp_path: Any) -> None:
    config = str(tmp_path / "no-config.toml")
    out, _ = run_fresh(INTERRUPTED, magic_server.url, magic_server.api_key, config)
    assert out["first"] == "KeyboardInterrupt"
    assert out["rows"] > 0
