"""Text progress in a notebook run in batch (nbclient, as nbconvert and nbval run them): no
widget is made, and the status lines land in the cell that waits for the run."""

from __future__ import annotations

import pytest
from support.clients import client
from support.listeners import idle_job

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CELLS = [
    "from cml_magic.api import CML\n"
    "from cml_magic import widgets\n"
    "cml = CML.from_env()\n"
    "run = cml.runs.create('nightly', environment={'ANALYSIS_SECONDS': '2'})\n"
    "progress = widgets.watch(run, cml)\n"
    "type(progress).__name__",
    "progress.wait(60).status",
]


def test_batch_notebook_gets_text_lines_in_the_waiting_cell(local_cml, monkeypatch, tmp_path):
    monkeypatch.setenv("CML_MAGIC_HOST", local_cml.url)
    monkeypatch.setenv("CML_MAGIC_API_KEY", local_cml.api_key)
    monkeypatch.setenv("CML_MAGIC_PROJECT", "risk-analysis")
    monkeypatch.setenv("CML_MAGIC_CONFIG", str(tmp_path / "none.toml"))
    with client(local_cml) as cml:
        idle_job(cml)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbclient.NotebookClient(nb, timeout=90, kernel_name="python3").execute()
    first, second = nb.cells[0].outputs, nb.cells[1].outputs
    # A status change between the two cells may print in the first cell after its result.
    (result,) = [o for o in first if o["output_type"] == "execute_result"]
    assert result["data"]["text/plain"] == "'TextProgress'"
    assert "[cml] job run" in first[0]["text"]
    lines = "".join(o.get("text", "") for o in second).splitlines()
    assert second[-1]["data"]["text/plain"] == "'ENGINE_SUCCEEDED'"
    assert lines[-1].split(": ", 1)[1].startswith("succeeded")
    assert len(lines) == len(set(lines))
