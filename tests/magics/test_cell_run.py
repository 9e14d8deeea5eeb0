"""`%%cml_run` through a real IPython shell against the local server: the cell runs as a job run
there and its output shows in the cell; sweeps; every bad input refused before anything is
written or started."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.swagger import Recorder
from support.waits import wait_for

from cml_magic.api.masking import MASK
from cml_magic.magics import cellrun, sweeps
from cml_magic.runlog import SNIPPET

# A project of this module's own: the server is shared, and other tests count the demo
# projects' jobs.
PROJECT = f"cell-runs-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module", autouse=True)
def project(magic_server: Any) -> Iterator[str]:
    from cml_magic.api import CML

    with CML(magic_server.url, magic_server.api_key, timeout=10.0) as client:
        made = client.projects.create(PROJECT)
        client.files.upload("analysis.py", "print('analysis')\n", project=made.id)
        yield PROJECT
        client.projects.delete(made.id)


def tagged(code: str) -> tuple[str, str]:
    """A cell of its own (the server is shared and cells are content-addressed): (tag, cell)."""
    tag = uuid.uuid4().hex[:10]
    return tag, f"# {tag}\n{code}"


def run_cell(ip: Any, line: str, cell: str) -> tuple[Any, str]:
    with capture_output() as shown:
        result = ip.run_cell_magic("cml_run", f"{line} --project {PROJECT}", cell)
    return result, shown.stdout


@pytest.fixture
def recorder(cml_ip: Any, magics: Any) -> Recorder:
    """Every request the magics' client sends from now on, judged against CML's spec."""
    seen = Recorder()
    seen.watch(magics.client().transport.session)
    return seen


def writes(recorder: Recorder) -> list[str]:
    """The requests that change something (a download is a POST too, and reads)."""
    return [
        f"{r.method} {r.path_url}"
        for r in recorder.requests
        if r.method != "GET" and not r.path_url.endswith(":download")
    ]


def test_the_cell_runs_on_cml_and_its_output_shows_masked(
    cml_ip: Any, api: Any, magic_server: Any, recorder: Recorder
) -> None:
    key = magic_server.api_key
    _, cell = tagged(
        "import os, sys\n"
        "print('hello from', os.environ['CDSW_ENGINE_ID'], os.environ['GREETING'])\n"
        "print('to stderr', file=sys.stderr)\n"
        "print('SERVICE_TOKEN=' + os.environ['SERVICE_TOKEN'])\n"
        f"print('the key:', {key!r})\n"
    )
    result, out = run_cell(
        cml_ip, "--env GREETING=hi --env SERVICE_TOKEN=tok-secret-123 -o r", cell
    )
    assert result is None  # the output is the cell's; the run is in -o
    run = cml_ip.user_ns["r"]
    assert run.succeeded and run.environment["GREETING"] == "hi"
    assert f"hello from {run.id} hi" in out and "to stderr" in out
    assert "tok-secret-123" not in out and f"SERVICE_TOKEN={MASK}" in out
    assert key not in out and MASK in out
    job = api.jobs.get(run.job_id, project=PROJECT)
    digest = job.script.removeprefix(".cml/cells/").removesuffix(".py")
    assert job.name == f"cell-{digest[:8]}" and len(digest) == 16
    saved = api.files.download(job.script, project=PROJECT).decode()
    assert saved == cellrun.cell_script(cell) and saved.startswith(SNIPPET)
    assert cell in saved
    # The run saved its own output in the project, where any workspace's API reaches it.
    assert f"hello from {run.id} hi" in api.runs.output(run)
    assert not recorder.problems, recorder.problems


def test_a_failing_run_fails_the_cell_in_one_line_after_its_output(cml_ip: Any, api: Any) -> None:
    _, cell = tagged("print('about to fail')\nraise SystemExit(3)\n")
    with capture_output() as shown, pytest.raises(UsageError) as caught:
        cml_ip.run_cell_magic("cml_run", f"--project {PROJECT} --wait -o r", cell)
    message = str(caught.value)
    assert "ended ENGINE_FAILED" in message and "\n" not in message
    assert "about to fail" in shown.stdout
    assert cml_ip.user_ns["r"].status == "ENGINE_FAILED"


def test_the_same_cell_again_reuses_its_file_and_job(
    cml_ip: Any, api: Any, recorder: Recorder
) -> None:
    _, cell = tagged("print('again')\n")
    run_cell(cml_ip, "-o first", cell)
    uploads = [w for w in writes(recorder) if w.endswith("/files")]
    assert len(uploads) == 1
    before = len(writes(recorder))
    run_cell(cml_ip, "-o second", cell)
    first, second = cml_ip.user_ns["first"], cml_ip.user_ns["second"]
    assert first.job_id == second.job_id and first.id != second.id and second.succeeded
    # The second time: no upload, no job change; only the run is started.
    assert [w.split(" ")[0] for w in writes(recorder)[before:]] == ["POST"]
    assert writes(recorder)[-1].endswith(f"/jobs/{first.job_id}/runs")
    assert not recorder.problems, recorder.problems


def test_job_names_a_job_that_is_reused_with_its_script_updated(cml_ip: Any, api: Any) -> None:
    tag, cell = tagged("print('as my job')\n")
    job = api.jobs.create(f"mine-{tag}", "analysis.py", project=PROJECT)
    jobs_before = len(api.jobs.list(project=PROJECT))
    _, out = run_cell(cml_ip, f"--job mine-{tag} -o r", cell)
    assert "as my job" in out
    assert cml_ip.user_ns["r"].job_id == job.id
    assert api.jobs.get(job.id, project=PROJECT).script.startswith(".cml/cells/")
    assert len(api.jobs.list(project=PROJECT)) == jobs_before
    # A new name makes the job.
    _, out = run_cell(cml_ip, f"--job new-{tag} -o r", cell)
    assert api.jobs.get(f"new-{tag}", project=PROJECT).id == cml_ip.user_ns["r"].job_id


def test_runtime_resources_and_timeout_reach_the_job(cml_ip: Any, api: Any) -> None:
    from cml_magic.api.runtimes import short_name

    runtime = api.runtimes.list()[0].image_identifier
    _, cell = tagged("import time\ntime.sleep(30)\n")
    line = f"--runtime {short_name(runtime)} --cpu 2 --memory 3 --timeout 1 -o r"
    with capture_output(), pytest.raises(UsageError, match="ended ENGINE_TIMEDOUT"):
        cml_ip.run_cell_magic("cml_run", f"{line} --project {PROJECT}", cell)
    job = api.jobs.get(cml_ip.user_ns["r"].job_id, project=PROJECT)
    assert (job.runtime_identifier, job.cpu, job.memory, job.timeout) == (runtime, 2.0, 3.0, 1)


def test_a_sweep_of_two_by_two_waits_and_gives_a_frame(cml_ip: Any, api: Any) -> None:
    _, cell = tagged(
        "import os\nprint('working')\nprint('K', os.environ['K'], 'L', os.environ['L'])\n"
    )
    line = "--sweep K=1,2 --sweep L=a,b --env BASE=x --wait -o df"
    result, out = run_cell(cml_ip, line, cell)
    frame = cml_ip.user_ns["df"]
    assert result is frame and isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["K", "L", "run_id", "status", "duration", "last_output"]
    assert list(zip(frame["K"], frame["L"], strict=True)) == [
        ("1", "a"),
        ("1", "b"),
        ("2", "a"),
        ("2", "b"),
    ]
    assert set(frame["status"]) == {"ENGINE_SUCCEEDED"}
    pairs = zip(frame["K"], frame["L"], strict=True)
    assert list(frame["last_output"]) == [f"K {k} L {v}" for k, v in pairs]
    assert all(d.total_seconds() >= 0 for d in frame["duration"])
    # A line per status change, for each run.
    for k, v, run_id in zip(frame["K"], frame["L"], frame["run_id"], strict=True):
        assert f"[K={k} L={v}] run {run_id}: ENGINE_SUCCEEDED" in out
    runs = {
        run_id: api.runs.get(run_id, job.id, project=PROJECT)
        for run_id in frame["run_id"]
        for job in [_job_of(api, run_id)]
    }
    assert {r.environment["K"] + r.environment["L"] for r in runs.values()} == {
        "1a",
        "1b",
        "2a",
        "2b",
    }
    assert {r.environment["BASE"] for r in runs.values()} == {"x"}
    jobs = {r.job_id for r in runs.values()}
    assert len(jobs) == 4  # a job runs once at a time: one job per combination
    # The same sweep again reuses its four jobs.
    run_cell(cml_ip, line, cell)
    again = cml_ip.user_ns["df"]
    assert {_job_of(api, run_id).id for run_id in again["run_id"]} == jobs


def _job_of(api: Any, run_id: str) -> Any:
    for job in api.jobs.iter(project=PROJECT, search="cell-"):
        for run in api.runs.list(job.id, project=PROJECT, limit=5):
            if run.id == run_id:
                return job
    raise AssertionError(f"no job has run {run_id}")


def test_a_sweep_with_a_failing_run_fails_the_cell_after_storing_the_frame(
    cml_ip: Any,
) -> None:
    _, cell = tagged("import os\nraise SystemExit(1 if os.environ['K'] == '2' else 0)\n")
    with capture_output() as shown, pytest.raises(UsageError) as caught:
        cml_ip.run_cell_magic("cml_run", f"--project {PROJECT} --sweep K=1,2 --wait -o df", cell)
    assert str(caught.value) == "1 of 2 runs of the sweep did not succeed: [K=2] ENGINE_FAILED"
    frame = cml_ip.user_ns["df"]
    assert list(frame["status"]) == ["ENGINE_SUCCEEDED", "ENGINE_FAILED"]
    assert "ENGINE_FAILED" in shown.stdout  # the summary is printed before the error


BAD = [
    ("", "   \n", "the cell is empty"),
    ("", "print(1\nx = 2\n", "line 1: not Python"),
    ("", "x = 1\n!ls -l\n", "line 2: not Python: invalid syntax (IPython syntax"),
    ("--runtime no-such-runtime", "print(1)", "unknown runtime 'no-such-runtime'"),
    ("--runtime docker.example.com/none:1", "print(1)", "unknown runtime"),
    ("--sweep K", "print(1)", "expected NAME=v1,v2"),
    ("--sweep K=1,,2", "print(1)", "none empty"),
    ("--sweep K=1 --sweep K=2", "print(1)", "--sweep K is given twice"),
    ("--sweep K=1,2 --env K=3", "print(1)", "K is set by both --env and --sweep"),
    ("--env NOT-A-NAME=1", "print(1)", "expected KEY=VALUE"),
    ("--wait --watch", "print(1)", "not allowed with argument"),
    ("--cpu 0", "print(1)", "must be positive"),
    ("--timeout soon", "print(1)", "not a whole number"),
    (
        f"--sweep A={','.join(str(i) for i in range(15))} --sweep B={','.join('abcdefghijklmn')}",
        "print(1)",
        "210 runs",
    ),
]


@pytest.mark.parametrize(("line", "cell", "says"), BAD, ids=[b[2] for b in BAD])
def test_bad_input_is_one_line_before_anything_is_written_or_started(
    cml_ip: Any, api: Any, recorder: Recorder, line: str, cell: str, says: str
) -> None:
    jobs = len(api.jobs.list(project=PROJECT))
    with pytest.raises(UsageError) as caught:
        cml_ip.run_cell_magic("cml_run", f"{line} --project {PROJECT}", cell)
    assert says in str(caught.value) and "\n" not in str(caught.value)
    assert writes(recorder) == []
    assert len(api.jobs.list(project=PROJECT)) == jobs


def test_no_project_is_one_line_before_any_request(cml_ip: Any, recorder: Recorder) -> None:
    with pytest.raises(UsageError, match="no project: pass --project NAME"):
        cml_ip.run_cell_magic("cml_run", "--wait", "print(1)\n")
    assert recorder.requests == []


def test_a_big_sweep_runs_with_yes(cml_ip: Any) -> None:
    """The limit is checked, not the product built, before --yes: 201 runs need it."""
    assert sweeps.run_count([("A", tuple(map(str, range(201))))]) == 201
    with pytest.raises(UsageError, match=r"201 runs .* add --yes"):
        cml_ip.run_cell_magic(
            "cml_run", f"--project {PROJECT} --sweep A={','.join(map(str, range(201)))}", "x=1\n"
        )


def test_a_busy_job_is_refused_before_anything_starts(cml_ip: Any, api: Any) -> None:
    tag, cell = tagged("print('late')\n")
    api.files.upload(f"slow-{tag}.py", "import time\ntime.sleep(30)\n", project=PROJECT)
    job = api.jobs.create(f"busy-{tag}", f"slow-{tag}.py", project=PROJECT)
    going = api.runs.create(job.id, project=PROJECT)
    with pytest.raises(UsageError, match=f"still has run {going.id} going"):
        cml_ip.run_cell_magic("cml_run", f"--project {PROJECT} --job busy-{tag}", cell)
    assert api.jobs.get(job.id, project=PROJECT).script == f"slow-{tag}.py"  # untouched


def test_help_prints_the_options(cml_ip: Any) -> None:
    with capture_output() as shown:
        assert cml_ip.run_cell_magic("cml_run", "--help", "print(1)") is None
    for flag in ("--sweep", "--yes", "--job", "--runtime", "--timeout", "--watch", "-o"):
        assert flag in shown.stdout


@pytest.fixture
def widget_front_end(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    yield


def test_watch_in_a_widget_front_end_shows_the_run_widget(
    cml_ip: Any, widget_front_end: None
) -> None:
    from cml_magic.widgets.run_widget import RunWidget

    _, cell = tagged("print('in the widget')\n")
    result, _ = run_cell(cml_ip, "-o view", cell)  # --watch is the default here
    view = cml_ip.user_ns["view"]
    assert result is None and isinstance(view, RunWidget)
    wait_for(lambda: "in the widget" in view.output.value, "the widget's output tail", 30)
    assert view.run.succeeded
    view.close()


@pytest.fixture
def no_sweep_widget() -> None:
    if importlib.util.find_spec("cml_magic.widgets.sweep") is not None:
        pytest.skip("cml_magic.widgets.sweep exists: a watched sweep shows its widget")


def test_a_watched_sweep_shows_text_until_the_sweep_widget_exists(
    cml_ip: Any, widget_front_end: None, no_sweep_widget: None
) -> None:
    _, cell = tagged("import os\nprint('K is', os.environ['K'])\n")
    run_cell(cml_ip, "--sweep K=1,2 --watch -o df", cell)
    assert list(cml_ip.user_ns["df"]["last_output"]) == ["K is 1", "K is 2"]


def test_runs_logs_of_a_run_that_saved_no_output_says_how_to_turn_it_on(
    cml_ip: Any, api: Any
) -> None:
    from cml_magic.runlog import missing_hint

    tag, _ = tagged("")
    api.files.upload(f"quiet-{tag}.py", "print('not saved')\n", project=PROJECT)
    job = api.jobs.create(f"quiet-{tag}", f"quiet-{tag}.py", project=PROJECT)
    run = api.wait_for_run(api.runs.create(job.id, project=PROJECT), timeout=30, poll_interval=0.05)
    with capture_output() as shown:
        cml_ip.run_line_magic("cml", f"runs logs {run.id} --job {job.id} --project {PROJECT}")
    assert shown.stdout == missing_hint(run.id) + "\n"
    assert "python -m cml_magic.runlog SCRIPT" in shown.stdout


def test_cml_run_completes_its_flags_and_job_names(cml_ip: Any, magics: Any) -> None:
    from IPython.core.completer import provisionalcompleter

    from cml_magic.api import Job

    magics.names.remember([Job.from_json({"id": "j1", "name": "nightly"})])

    def complete(line: str) -> list[str]:
        with provisionalcompleter():
            return [c.text for c in cml_ip.Completer.completions(line, len(line))]

    assert complete("%%cml_run --sw") == ["--sweep"]
    assert "--yes" in complete("%%cml_run --")
    assert complete("%%cml_run --job ni") == ["nightly"]


def test_watch_outside_a_widget_front_end_shows_text_then_the_output(
    cml_ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "0")
    _, cell = tagged("print('watched as text')\n")
    result, out = run_cell(cml_ip, "--watch -o r", cell)
    assert result is None and cml_ip.user_ns["r"].succeeded
    assert ": succeeded" in out and out.endswith("watched as text\n")
