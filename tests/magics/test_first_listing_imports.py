"""The first `%cml jobs list` loads only what a job listing needs, and still gives a DataFrame."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from support.shell import run_fresh

from cml_magic.magics.commands import MODULES, resource_named, resources

# Loaded by other commands only.
NOT_FOR_A_JOB_LISTING = (
    "cml_magic.api.runs",
    "cml_magic.api.models",
    "cml_magic.api.builds",
    "cml_magic.api.deployments",
    "cml_magic.api.applications",
    "cml_magic.api.runtimes",
    "cml_magic.api.files",
    "cml_magic.api.legacy",
    "cml_magic.api.serving_objects",
    "cml_magic.api.run_objects",
    "cml_magic.api.experiment_objects",
    "cml_magic.api.registry_objects",
    "cml_magic.api.workspace_objects",
    "cml_magic.magics.commands.runs",
    "cml_magic.magics.commands.models",
    "cml_magic.magics.commands.apps",
    "cml_magic.magics.commands.files",
    "cml_magic.widgets",
    "cml_magic.api.statuses",
    "cml_magic.magics.session",
    # Tab completion loads on the first Tab on a `%cml` line.
    "cml_magic.magics.completion",
    # Settings from variables alone: no profile named, the key given.
    "cml_magic.api.profiles",
    "cml_magic.api.keystore",
    "tomllib",
    # The listing's HTML is `DataFrame.to_html`: a pandas Styler would import jinja2.
    "pandas.io.formats.style",
    "jinja2",
)

SCRIPT = f"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "cml_magic")
# As a notebook shows a cell's result: its text and its HTML.
shell.display_formatter.formatters["text/html"].enabled = True
result = shell.run_cell("%cml jobs list --project risk-analysis")
print(json.dumps({{
    "frame": isinstance(result.result, sys.modules["pandas"].DataFrame),
    "rows": len(result.result),
    "loaded": sorted(m for m in {NOT_FOR_A_JOB_LISTING!r} if m in sys.modules),
    # Masking's patterns compile on first use; a listing masks nothing.
    "masking_patterns": sys.modules["cml_magic.api.masking"]._patterns.cache_info().currsize,
}}))
"""


def test_the_module_index_matches_each_modules_names_and_aliases() -> None:
    for module, spellings in MODULES.items():
        declared = import_module(f"cml_magic.magics.commands.{module}").RESOURCE
        assert (declared.name, *declared.aliases) == spellings
        for spelling in spellings:
            assert resource_named(spelling) is declared
    assert resource_named("widgets") is None
    table = resources()
    assert [name for name, found in table.items() if name == found.name] == list(MODULES)
    assert sorted(table) == sorted(s for spellings in MODULES.values() for s in spellings)


def test_first_job_listing_loads_only_what_it_needs(magic_server: Any, tmp_path: Any) -> None:
    config = str(tmp_path / "no-config.toml")
    out, _ = run_fresh(SCRIPT, magic_server.url, magic_server.api_key, config)
    assert out["frame"] is True
    assert out["rows"] > 0
    assert out["loaded"] == []
    assert out["masking_patterns"] == 0
