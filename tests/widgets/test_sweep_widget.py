"""The sweep summary widget against the local CML server: one row per run followed to its final
status through the shared poller, Stop all, the masked last output line, the DataFrame, the
look-ups batched per job, and the text fallback outside Jupyter.

The local server runs a job at most once at a time (as CML does), so a sweep here is one job
per combination, all started at once, each with its own environment.
"""

from __future__ import annotations

import itertools
import uuid

import pandas as pd
import pytest
from IPython.utils.capture import capture_output
from support.waits import wait_for

from cml_magic import widgets
from cml_magic.api.masking import MASK
from cml_magic.widgets import sweep_feed
from cml_magic.widgets.controller import Controller
from cml_magic.widgets.sweep import SweepWidget, show_sweep
from cml_magic.widgets.text import SweepProgress

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The job script writes its own output to `.cml/runs/<run id>.log`, the convention the
# widgets' log tail reads on any workspace, and prints nothing.
SCRIPT = """\
import os, sys, time
from pathlib import Path

log = Path(".cml") / "runs" / (os.environ["CDSW_ENGINE_ID"] + ".log")
log.parent.mkdir(parents=True, exist_ok=True)


def say(text):
    with log.open("a") as out:
        out.write(text + "\\n")


say("start LR=" + os.environ.get("LR", "") + " LAYERS=" + os.environ.get("LAYERS", ""))
time.sleep(float(os.environ.get("SWEEP_SECONDS", "0.2")))
say("loss=0.5 for LR=" + os.environ.get("LR", ""))
if os.environ.get("SWEEP_LEAK"):
    say("token " + os.environ["SWEEP_LEAK"] + " SWEEP_API_KEY=" + os.environ["SWEEP_LEAK"])
sys.exit(int(os.environ.get("SWEEP_EXIT", "0")))
"""


@pytest.fixture(scope="module")
def project(local_cml) -> str:
    from support.clients import client

    with client(local_cml, project=None) as cml:
        created = cml.projects.create(f"sweep-{uuid.uuid4().hex[:8]}", template="blank")
        cml.files.upload("sweep.py", SCRIPT, project=created.id)
        return str(created.id)


def start_sweep(cml, project, combinations, **env):
    """One job per combination, each run started with its combination (and `env`) set."""
    runs = []
    for combination in combinations:
        job = cml.jobs.create(f"sweep-{uuid.uuid4().hex[:10]}", "sweep.py", project=project)
        run = cml.runs.create(job.id, project=project, environment={**combination, **env})
        runs.append((combination, run))
    return runs


def grid(**values):
    keys = list(values)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values.values())]


def statuses(widget):
    return {run.id: run.status for run in widget.runs}


def test_rows_follow_every_run_to_its_final_status(cml, poller, project):
    combos = grid(LR=["0.1", "0.2"], LAYERS=["2", "3"])
    runs = start_sweep(cml, project, combos[:3])
    runs += start_sweep(cml, project, combos[3:], SWEEP_EXIT="3")  # this one fails
    widget = SweepWidget(runs, cml, poller=poller)
    assert widget.table.value.count('class="cml-sweep-row"') == 4
    assert "waiting" in widget.summary.value  # all scheduling when created
    wait_for(lambda: widget.finished, what="every run to end", show=lambda: statuses(widget))
    assert sorted(statuses(widget).values()) == ["ENGINE_FAILED"] + ["ENGINE_SUCCEEDED"] * 3
    assert "1 failed" in widget.summary.value and "3 succeeded" in widget.summary.value
    assert "0 running" in widget.summary.value
    # One column per sweep key, the status pill of the other widgets, a duration per row.
    table = widget.table.value
    assert "<th" in table and ">LR</th>" in table and ">LAYERS</th>" in table
    assert table.count("cml-badge") == 4 and "succeeded" in table and "failed" in table
    for combination, run in runs:
        row = table.split(f'data-run="{run.id}"', 1)[1].split("</tr>", 1)[0]
        assert f"<code>{combination['LR']}</code>" in row
        assert f"<code>{combination['LAYERS']}</code>" in row
        assert "0:0" in row  # a duration like 0:01
    # The last output line of each run, from its log.
    wait_for(
        lambda: widget.table.value.count("loss=0.5 for LR=") == 4,
        what="every last output line",
        show=lambda: widget.table.value,
    )
    assert widget.stop_button.layout.display == "none"  # nothing left to stop
    wait_for(lambda: not poller.running, what="the poller to end once every run is final")


def test_frame_has_the_sweep_keys_and_the_runs(cml, poller, project):
    runs = start_sweep(cml, project, grid(LR=["0.1", "0.2"]))
    widget = SweepWidget(runs, cml, poller=poller)
    wait_for(lambda: widget.finished, what="every run to end", show=lambda: statuses(widget))
    wait_for(lambda: widget.table.value.count("loss=0.5") == 2, what="last lines")
    frame = widget.frame()
    assert list(frame.columns) == ["LR", "run_id", "status", "duration", "last_line"]
    assert list(frame["LR"]) == ["0.1", "0.2"]
    assert list(frame["run_id"]) == [run.id for _, run in runs]
    assert set(frame["status"]) == {"ENGINE_SUCCEEDED"}
    assert frame["duration"].dtype == "timedelta64[ns]"
    assert (frame["duration"] >= pd.Timedelta(0)).all()
    assert list(frame["last_line"]) == ["loss=0.5 for LR=0.1", "loss=0.5 for LR=0.2"]


def test_stop_all_stops_every_active_run(cml, poller, project):
    done = start_sweep(cml, project, [{"LR": "0"}])
    cml.wait_for_run(done[0][1], timeout=30, poll_interval=0.05)
    runs = done + start_sweep(cml, project, grid(LR=["1", "2", "3"]), SWEEP_SECONDS="120")
    widget = SweepWidget(runs, cml, poller=poller)
    wait_for(
        lambda: sum(s == "ENGINE_RUNNING" for s in statuses(widget).values()) == 3,
        what="the three long runs to run",
        show=lambda: statuses(widget),
    )
    assert not widget.stop_button.disabled and widget.stop_button.layout.display is None
    widget.stop_button.click()
    assert "stop requested for 3 runs" in widget.message.value
    wait_for(
        lambda: sum(s == "ENGINE_STOPPED" for s in statuses(widget).values()) == 3,
        what="the three runs to stop",
        show=lambda: statuses(widget),
    )
    assert widget.runs[0].status == "ENGINE_SUCCEEDED"  # the run that had ended is left alone
    for _combination, run in runs[1:]:
        assert cml.runs.get(run.id, run.job_id, project=project).status == "ENGINE_STOPPED"
    assert "3 stopped" in widget.summary.value and "1 succeeded" in widget.summary.value
    assert widget.stop_button.layout.display == "none"


def test_the_last_line_is_masked_and_no_key_is_in_widget_state(cml, poller, project, local_cml):
    runs = start_sweep(cml, project, [{"LR": "0.3"}], SWEEP_LEAK=local_cml.api_key)
    widget = SweepWidget(runs, cml, poller=poller)
    wait_for(lambda: widget.finished, what="the run to end")
    wait_for(lambda: "SWEEP_API_KEY=" in widget.table.value, what="the last line")
    assert "SWEEP_API_KEY=" + MASK in widget.table.value
    assert local_cml.api_key not in widget.table.value
    line = widget.frame()["last_line"][0]
    assert line.startswith("token ") and local_cml.api_key not in line
    states, stack = [], [widget]
    while stack:
        part = stack.pop()
        states.append(repr(part.get_state()))
        stack.extend(getattr(part, "children", ()))
    assert local_cml.api_key not in "".join(states)


def test_runs_of_one_job_are_looked_up_by_one_listing(cml, poller, project):
    # CML runs a job once at a time: three runs of one job one after the other, then a widget
    # given their first copies (scheduling): it looks all three up with one request.
    job = cml.jobs.create(f"sweep-{uuid.uuid4().hex[:10]}", "sweep.py", project=project)
    runs = []
    for lr in ("1", "2", "3"):
        run = cml.runs.create(job.id, project=project, environment={"LR": lr})
        cml.wait_for_run(run, timeout=30, poll_interval=0.05)
        runs.append(({"LR": lr}, run))
    other = start_sweep(cml, project, [{"LR": "4"}])  # a job of its own: a look-up of its own
    cml.wait_for_run(other[0][1], timeout=30, poll_interval=0.05)
    sent: list[str] = []
    cml.transport.session.hooks["response"].append(
        lambda response, *a, **k: sent.append(response.request.method + " " + response.url)
    )
    widget = SweepWidget(runs + other, cml, poller=poller)
    # One item per job, not one per run (the feed's own subscriptions: the poller may already
    # have looked one up and dropped it as final).
    assert len(widget.feed.keys_watched()) == 2
    wait_for(lambda: widget.finished, what="every run to be seen final")
    assert set(statuses(widget).values()) == {"ENGINE_SUCCEEDED"}
    assert poller.lookups == 2
    status_calls = [url for url in sent if "/runs" in url and ":download" not in url]
    listings = [url for url in status_calls if url.split("?")[0].endswith(f"/jobs/{job.id}/runs")]
    assert len(listings) == 1 and len(status_calls) == 2, status_calls
    widget.close()


def test_the_fetcher_finds_runs_past_the_first_page(cml, project):
    # A job whose newest runs are not the sweep's: the listing follows pages until it has them.
    job = cml.jobs.create(f"sweep-{uuid.uuid4().hex[:10]}", "sweep.py", project=project)
    made = []
    for _ in range(13):
        run = cml.runs.create(job.id, project=project, environment={"SWEEP_SECONDS": "0"})
        made.append(cml.wait_for_run(run, timeout=30, poll_interval=0.05))
    from cml_magic.widgets.controller import Controller

    oldest = made[:2]  # past the first page of max(10, 2) newest runs
    found = Controller(cml).runs_fetcher(oldest)()
    assert [run.id for run in found] == [run.id for run in oldest]
    assert all(run.status == "ENGINE_SUCCEEDED" for run in found)
    with pytest.raises(ValueError, match="runs of one job"):
        Controller(cml).runs_fetcher([made[0], start_sweep(cml, project, [{}])[0][1]])


def test_text_progress_outside_a_widget_frontend(cml, poller, project, capsys):
    runs = start_sweep(cml, project, grid(LR=["0.1", "0.2"]))
    progress = show_sweep(cml, runs, poller=poller)
    assert isinstance(progress, SweepProgress)
    final = progress.wait(timeout=30)
    assert {run.status for run in final} == {"ENGINE_SUCCEEDED"}
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "[cml] sweep of 2 runs: 2 waiting · 0 running · 0 succeeded · 0 failed"
    assert lines[-1] == "[cml] sweep of 2 runs: 0 running · 2 succeeded · 0 failed"
    for combination, run in runs:
        mine = [line for line in lines if run.id in line]
        assert mine and all(f"(LR={combination['LR']})" in line for line in mine)
        labels = [line.split("): ", 1)[1].split(" · ")[0] for line in mine]
        assert labels[-1] == "succeeded" and len(labels) == len(set(labels))
    wait_for(lambda: progress.frame()["last_line"].notna().all(), what="last lines")
    assert list(progress.frame().columns) == ["LR", "run_id", "status", "duration", "last_line"]


def test_text_progress_waits_until_every_last_line_is_known(cml, poller, project, capsys):
    # What a blocking `%%cml_run --sweep` needs: once wait() returns, the frame is complete,
    # also for a run that saved no output (its last line stays None).
    cml.files.upload("quiet.py", "print('not saved')\n", project=project)
    quiet = cml.jobs.create(f"quiet-{uuid.uuid4().hex[:10]}", "quiet.py", project=project)
    silent = cml.runs.create(quiet.id, project=project)
    runs = [*start_sweep(cml, project, grid(LR=["0.3"])), ({"LR": "-"}, silent)]
    progress = SweepProgress(runs, Controller(cml), poller=poller)
    progress.wait(timeout=30)
    assert progress.finished and progress.feed.settled
    lines = progress.frame()["last_line"]
    assert lines[0] == "loss=0.5 for LR=0.3" and pd.isna(lines[1])
    progress.close()


def test_show_sweep_gives_the_widget_in_a_widget_frontend(cml, poller, project, monkeypatch):
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    runs = start_sweep(cml, project, [{"LR": "0.5"}])
    widget = widgets.show_sweep(cml, runs, poller=poller)
    assert isinstance(widget, SweepWidget)
    wait_for(lambda: widget.finished, what="the run to end")
    widget.close()


def test_shown_from_a_cell_the_widget_is_drawn_once(ip, cml, poller, project, monkeypatch):
    # As a magic's --watch does: show() from the cell, the widget also the cell's value.
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    ip.user_ns.update(cml=cml, runs=start_sweep(cml, project, [{"LR": "0.6"}]), poller=poller)
    ip.run_cell("from cml_magic.widgets.sweep import show_sweep")
    with capture_output() as captured:
        ip.run_cell(
            "one = show_sweep(cml, runs, poller=poller)\none.show()\none", store_history=True
        )
    assert sum(WIDGET_VIEW in out.data for out in captured.outputs) == 1
    # Assigned in one cell, shown in a later one: drawn there as usual.
    with capture_output() as captured:
        ip.run_cell("two = show_sweep(cml, runs, poller=poller)\ntwo.show()", store_history=True)
    assert sum(WIDGET_VIEW in out.data for out in captured.outputs) == 1
    with capture_output() as later:
        ip.run_cell("two", store_history=True)
    assert sum(WIDGET_VIEW in out.data for out in later.outputs) == 1
    for name in ("one", "two"):
        sweep = ip.user_ns.pop(name)
        wait_for(lambda sweep=sweep: sweep.finished, what="the run to end")
        sweep.close()
    for name in ("cml", "runs", "poller", "show_sweep"):
        ip.user_ns.pop(name, None)


def test_a_sweep_refuses_what_it_cannot_show(cml, poller, project):
    with pytest.raises(ValueError, match="at least one run"):
        SweepWidget([], cml, poller=poller)
    with pytest.raises(TypeError, match="JobRuns, not Job"):
        SweepWidget([({"LR": "1"}, cml.jobs.list(project=project)[0])], cml, poller=poller)
    runs = start_sweep(cml, project, [{"LR": "1"}])
    with pytest.raises(ValueError, match="twice"):
        SweepWidget(runs + runs, cml, poller=poller)


def test_last_line_takes_the_last_non_blank_line_masked_and_cut():
    assert sweep_feed.last_line(None) is None
    assert sweep_feed.last_line("") == ""
    assert sweep_feed.last_line("one\ntwo\n\n  \n") == "two"
    assert sweep_feed.last_line("DB_PASSWORD=hunter2\n") == "DB_PASSWORD=" + MASK
    long = sweep_feed.last_line("x" * 500)
    assert long is not None and len(long) == sweep_feed.LAST_LINE_CHARS and long.endswith("…")


def test_with_a_legacy_key_runs_of_many_jobs_are_one_request(local_cml, poller, project):
    # API v1's job list gives each job's newest run: one request for a sweep over many jobs.
    from cml_magic.api import CML

    with CML(
        local_cml.url, local_cml.api_key, legacy_api_key=local_cml.legacy_api_key, project=project
    ) as cml:
        runs = start_sweep(cml, project, grid(LR=["0.1", "0.2", "0.3"]), SWEEP_SECONDS="0.5")
        sent: list[str] = []
        cml.transport.session.hooks["response"].append(
            lambda response, *a, **k: sent.append(response.url)
        )
        widget = SweepWidget(runs, cml, poller=poller)
        assert poller.watched() == 1  # one item for the three jobs
        wait_for(lambda: widget.finished, what="every run to end", show=lambda: statuses(widget))
        assert set(statuses(widget).values()) == {"ENGINE_SUCCEEDED"}
        looked_up = [url for url in sent if ":download" not in url and "/projects/" in url]
        v1 = [url for url in looked_up if "/api/v1/" in url]
        assert len(v1) == poller.lookups >= 1
        assert all(url.endswith("/jobs") for url in v1)
        assert not [url for url in looked_up if "/runs/" in url]  # no run looked up by itself
        # The times came with it: each row has the run's duration.
        for run in widget.runs:
            assert run.running_at is not None and run.finished_at is not None
        wait_for(lambda: widget.table.value.count("loss=0.5") == 3, what="last lines")
        widget.close()


def test_a_run_its_job_list_cannot_vouch_for_is_looked_up_on_its_own(local_cml, poller, project):
    # The v1 job list shows each job's newest run: a sweep's run whose job ran again since is
    # looked up by itself, the others still come with the list.
    from cml_magic.api import CML
    from cml_magic.widgets import controller

    with CML(
        local_cml.url, local_cml.api_key, legacy_api_key=local_cml.legacy_api_key, project=project
    ) as cml:
        runs = start_sweep(cml, project, grid(LR=["0.1", "0.2"]), SWEEP_SECONDS="0")
        for _combination, run in runs:
            cml.wait_for_run(run, timeout=30, poll_interval=0.05)
        hidden = runs[0][1]
        newer = cml.runs.create(hidden.job_id, project=project, environment={"SWEEP_SECONDS": "0"})
        cml.wait_for_run(newer, timeout=30, poll_interval=0.05)
        sent: list[str] = []
        cml.transport.session.hooks["response"].append(
            lambda response, *a, **k: sent.append(response.url)
        )
        widget = SweepWidget(runs, cml, poller=poller)  # their first copies: scheduling
        assert poller.watched() == 1
        wait_for(
            lambda: widget.finished, what="both runs seen final", show=lambda: statuses(widget)
        )
        assert set(statuses(widget).values()) == {"ENGINE_SUCCEEDED"}
        alone = [url for url in sent if url.split("?")[0].endswith(f"/runs/{hidden.id}")]
        assert len(alone) == 1  # looked up once; final, it is not looked up again
        assert not [url for url in sent if url.split("?")[0].endswith(f"/runs/{runs[1][1].id}")]
        widget.close()

        # Many such runs: a few a look-up, so one look-up stays a few requests.
        many = start_sweep(cml, project, [{"LR": str(i)} for i in range(5)], SWEEP_SECONDS="0")
        for _combination, run in many:
            cml.wait_for_run(run, timeout=30, poll_interval=0.05)
            again = cml.runs.create(run.job_id, project=project, environment={"SWEEP_SECONDS": "0"})
            cml.wait_for_run(again, timeout=30, poll_interval=0.05)
        del sent[:]
        before = poller.lookups
        widget = SweepWidget(many, cml, poller=poller)
        wait_for(lambda: widget.finished, what="all seen final", show=lambda: statuses(widget))
        singles = [url for url in sent if "/api/v2/" in url and "/runs/" in url]
        assert len(singles) == 5 and controller.ALONE_PER_LOOKUP == 3
        assert poller.lookups - before == 2  # 3 runs, then the 2 left
        widget.close()


def test_stopping_runs_that_ended_meanwhile_is_one_line_each(cml, project):
    # The copies say scheduling; the runs have ended since: each stop fails, none raises.
    from cml_magic.widgets.controller import Controller

    runs = [run for _combination, run in start_sweep(cml, project, grid(LR=["1", "2"]))]
    for run in runs:
        cml.wait_for_run(run, timeout=30, poll_interval=0.05)
    stopped, failed = Controller(cml).stop_runs(runs)
    assert stopped == [] and len(failed) == 2
    for run, line in zip(runs, failed, strict=True):
        assert line.startswith(f"{run.id}: ") and "\n" not in line
    # Copies that say they ended are not sent a stop at all.
    finals = [cml.runs.get(run.id, run.job_id, project=project) for run in runs]
    assert Controller(cml).stop_runs(finals) == ([], [])


def test_a_duration_alone_waits_for_the_next_redraw(cml, poller, project, monkeypatch):
    from dataclasses import replace
    from datetime import timedelta

    from cml_magic.widgets import sweep

    runs = start_sweep(cml, project, grid(LR=["5", "6"]), SWEEP_SECONDS="120")
    widget = SweepWidget(runs, cml, poller=poller)
    try:
        wait_for(
            lambda: set(statuses(widget).values()) == {"ENGINE_RUNNING"},
            what="both runs running",
            show=lambda: statuses(widget),
        )
        widget.feed.close()  # from here this test feeds the copies, as the poller would
        wait_for(lambda: not poller.running, what="the poller to end")
        monkeypatch.setattr(sweep, "DURATION_EVERY", 1e9)  # no redraw for durations alone
        (_, a), (_, b) = runs
        row_a, row_b = widget.feed.rows[a.id], widget.feed.rows[b.id]

        def cell(run_id):
            return widget.table.value.split(f'data-run="{run_id}"', 1)[1].split("</tr>", 1)[0]

        before = widget.table.value
        earlier = replace(row_a.run, running_at=row_a.run.running_at - timedelta(hours=2))
        widget.feed.update(earlier)  # the same status, only a longer duration
        assert widget.table.value == before
        assert "2:0" not in cell(a.id)
        widget.feed.update(replace(row_b.run, status="ENGINE_STOPPING"))  # a change: drawn
        assert 'data-status="ENGINE_STOPPING"' in widget.table.value
        assert "2:0" in cell(a.id)  # the waiting row was drawn with it
        monkeypatch.setattr(sweep, "DURATION_EVERY", 0.0)  # a second went by: drawn at once
        widget.feed.update(replace(earlier, running_at=earlier.running_at - timedelta(hours=2)))
        assert "4:0" in cell(a.id)
    finally:
        widget.close()
        for _, run in runs:
            cml.runs.stop(run.id, run.job_id, project=project)
