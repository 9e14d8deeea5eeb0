"""The first listing imports pandas on a thread of its own (see `context.load_frames`), while
its request is on its way, and a failed import still fails the cell with the import's own
error, once."""

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


# The loader thread's pandas import waits (at most 30 s) until the listing's request has gone
# out, so the order is fixed: the request is sent while pandas is being imported only if the
# import began before the request did.
OVERLAP = """
import json, sys, threading
import requests.adapters
sent = threading.Event()
during = []

class Gate:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" and threading.current_thread() is not threading.main_thread():
            sent.wait(30)
        return None

send = requests.adapters.HTTPAdapter.send
def spy(self, request, **kw):
    during.append(any(t.name == "cml-magic-pandas" and t.is_alive() for t in threading.enumerate()))
    sent.set()
    return send(self, request, **kw)
requests.adapters.HTTPAdapter.send = spy
sys.meta_path.insert(0, Gate())
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
result = shell.run_cell("%cml jobs list --project risk-analysis")
shell.run_cell("%cml jobs show nightly --project risk-analysis")
print(json.dumps({"rows": len(result.result), "loading_during_requests": during}))
"""


def test_the_first_listing_imports_pandas_while_its_request_is_sent(
    magic_server: Any, tmp_path: Any
) -> None:
    config = str(tmp_path / "no-config.toml")
    out, _ = run_fresh(OVERLAP, magic_server.url, magic_server.api_key, config)
    assert out["rows"] > 0
    # The listing's request went out with pandas' import under way; a later command's did not.
    assert out["loading_during_requests"][0] is True
    assert out["loading_during_requests"][-1] is False


def test_with_pandas_imported_already_the_first_listing_starts_no_thread(
    magic_server: Any, tmp_path: Any
) -> None:
    # The common notebook: pandas first, then the first listing (our modules load then).
    config = str(tmp_path / "no-config.toml")
    out, _ = run_fresh("import pandas\n" + OVERLAP, magic_server.url, magic_server.api_key, config)
    assert out["rows"] > 0
    assert not any(out["loading_during_requests"])
