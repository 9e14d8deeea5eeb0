"""`%cml runs plot`: a job's past runs as a chart, in a real IPython shell against the local
server, with runs that succeeded, failed and were stopped; and inline in a Jupyter kernel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import nbclient
import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from support.rest import Api, make_job, make_project, start_run, wait_run
from support.waits import wait_for

from cml_magic import plots

# Sleeps SLEEP seconds, then exits with CODE.
SCRIPT = "import os, sys, time\ntime.sleep(float(os.environ.get('SLEEP', '0')))\n"
SCRIPT += "sys.exit(int(os.environ.get('CODE', '0')))\n"
PNG = b"\x89PNG\r\n\x1a\n"


def cml(ip: Any, line: str) -> Any:
    with capture_output():
        return ip.run_line_magic("cml", line)


@pytest.fixture(scope="module")
def job_runs(magic_server: Any) -> Iterator[tuple[str, str, list[str]]]:
    """(project name, job name, final statuses in start order): a fresh job whose four runs
    succeeded, failed, succeeded and were stopped, and an empty job `idle` beside it."""
    api = Api(magic_server)
    project = make_project(api, {"exit.py": SCRIPT})
    job = make_job(api, project, name="scored", script="exit.py")
    make_job(api, project, name="idle", script="exit.py")
    statuses = []
    for code in ("0", "1", "0"):
        run, _ = wait_run(api, start_run(api, job, environment={"CODE": code}))
        statuses.append(run["status"])
    going = start_run(api, job, environment={"SLEEP": "60"})
    path = f"/projects/{project['id']}/jobs/{job['id']}/runs/{going['id']}"
    wait_for(lambda: api.get(path)["status"] == "ENGINE_RUNNING", "the run to be running")
    api.post(path + ":stop")
    run, _ = wait_run(api, going)
    statuses.append(run["status"])
    assert statuses == ["ENGINE_SUCCEEDED", "ENGINE_FAILED", "ENGINE_SUCCEEDED", "ENGINE_STOPPED"]
    yield project["name"], job["name"], statuses
    api.delete(f"/projects/{project['id']}")


def colours(*groups: str) -> list[tuple[float, ...]]:
    return [to_rgba(plots.STATUS_COLOURS[g]) for g in groups]


def test_plot_draws_one_bar_per_run_coloured_by_final_status(
    cml_ip: Any, job_runs: tuple[str, str, list[str]]
) -> None:
    project, job, _ = job_runs
    figure = cml(cml_ip, f"runs plot --job {job} --project {project}")
    assert isinstance(figure, Figure)
    (axes,) = figure.axes
    bars = axes.patches
    assert [tuple(b.get_facecolor()) for b in bars] == colours(
        "succeeded", "failed", "succeeded", "stopped"
    )
    assert all(b.get_height() > 0 for b in bars)
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "succeeded",
        "failed",
        "stopped",
    ]
    assert axes.get_ylabel() == "duration (s)" and axes.get_xlabel() == "run (start order)"
    assert axes.get_title() == f"4 runs of job {job}"


def test_plot_keeps_the_figure_in_o_and_takes_the_last_n_runs(
    cml_ip: Any, job_runs: tuple[str, str, list[str]]
) -> None:
    project, job, _ = job_runs
    cml(cml_ip, f"use {project}")
    shown = cml(cml_ip, f"runs plot --job {job} --last 2 -o chart")
    assert cml_ip.user_ns["chart"] is shown
    bars = shown.axes[0].patches
    assert [tuple(b.get_facecolor()) for b in bars] == colours("succeeded", "stopped")
    assert shown.axes[0].get_title() == f"2 runs of job {job}"


def test_plot_by_job_id_names_the_job_from_the_listing(
    cml_ip: Any, job_runs: tuple[str, str, list[str]], api: Any
) -> None:
    project, job, _ = job_runs
    job_id = api.jobs.get(job, project=project).id
    cml(cml_ip, f"jobs list --project {project}")  # names seen in a listing
    figure = cml(cml_ip, f"runs plot --job {job_id} --project {project}")
    assert figure.axes[0].get_title() == f"4 runs of job {job}"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("runs plot --job idle", "job idle has no runs to plot yet; start one: %cml jobs run idle"),
        ("runs plot --job scored --last 0", "argument --last: '0' must be at least 1"),
        ("runs plot", "the following arguments are required: --job"),
    ],
)
def test_plot_mistakes_are_one_line(
    cml_ip: Any, job_runs: tuple[str, str, list[str]], line: str, says: str
) -> None:
    with pytest.raises(UsageError) as caught:
        cml(cml_ip, f"{line} --project {job_runs[0]}")
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_runs_help_lists_plot(cml_ip: Any) -> None:
    with capture_output() as out:
        cml_ip.run_line_magic("cml", "runs --help")
    assert "plot" in out.stdout and "%cml runs plot --job nightly --last 20" in out.stdout


def test_plot_shows_inline_in_a_jupyter_kernel(
    magic_server: Any, job_runs: tuple[str, str, list[str]], cml_settings: Any
) -> None:
    """The returned figure is the cell's PNG result, with no `%matplotlib` and no pyplot."""
    project, job, _ = job_runs
    cml_settings(magic_server.url, magic_server.api_key)
    cells = ["%load_ext cml_magic", f"%cml runs plot --job {job} --project {project}"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=90, kernel_name="python3").execute()
    (result,) = [o for o in nb.cells[1].outputs if o["output_type"] == "execute_result"]
    import base64

    assert base64.b64decode(result["data"]["image/png"]).startswith(PNG)
    assert result["data"]["text/plain"].startswith("<Chart size")
