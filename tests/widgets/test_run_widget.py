"""The run widget's Python side against the local CML server: live updates, Stop, close,
reconnecting after the server went away, and the text progress used outside Jupyter."""

from __future__ import annotations

import html
import re
import time

import pytest
from support.clients import client
from support.listeners import idle_job, log_downloads
from support.waits import wait_for

from cml_magic import widgets
from cml_magic.api.masking import MASK
from cml_magic.widgets import run_widget
from cml_magic.widgets.run_widget import RunWidget
from cml_magic.widgets.status import phase
from cml_magic.widgets.text import TextProgress


def start(cml, seconds: float, **env: str):
    idle_job(cml)
    return cml.runs.create("nightly", environment={"ANALYSIS_SECONDS": str(seconds), **env})


def test_widget_follows_a_run_to_success_on_its_own(cml, poller, local_cml):
    run = start(cml, 0.3, ANALYSIS_API_KEY="s3cret-value", ANALYSIS_COLOUR="blue")
    widget = RunWidget(run, cml, poller=poller)
    assert widget.stop_button.disabled is False or run.status != "ENGINE_SCHEDULING"
    wait_for(lambda: widget.status == "ENGINE_SUCCEEDED", what="run to succeed")
    assert "succeeded" in widget.status_html.value
    assert widget.stepper.value.count("✔") == 4  # scheduling, starting, running, succeeded
    assert "elapsed" in widget.times.value
    # Overrides are listed, the secret-looking one masked.
    assert "ANALYSIS_COLOUR" in widget.environment.value and "blue" in widget.environment.value
    assert "ANALYSIS_API_KEY" in widget.environment.value
    assert "s3cret-value" not in widget.environment.value
    assert MASK in widget.environment.value
    # The output tail comes from the run's log.
    wait_for(lambda: "analysis starting" in widget.output.value, what="output tail")
    # The job prints its settings: the secret-looking one is masked in the tail too.
    assert "ANALYSIS_API_KEY=" + MASK in widget.output.value
    assert "s3cret-value" not in widget.output.value
    assert "of job <b>nightly</b>" in widget.title.value
    assert f"{local_cml.url}/alice/risk-analysis/engines/{run.id}" in widget.title.value
    assert widget.stop_button.disabled
    wait_for(lambda: not poller.running, what="poller to stop once the run is final")


def test_stop_button_stops_the_run(cml, poller):
    run = start(cml, 60)
    widget = RunWidget(run, cml, poller=poller)
    wait_for(lambda: widget.status == "ENGINE_RUNNING", what="run to be running")
    widget.stop_button.click()
    assert widget.stop_button.disabled
    wait_for(lambda: widget.status == "ENGINE_STOPPED", what="run to stop")
    assert "stopped" in widget.status_html.value
    assert cml.runs.get(run.id, "nightly").status == "ENGINE_STOPPED"


def test_a_final_run_shows_at_once_and_its_log_follows_from_the_poller(cml, poller):
    run = start(cml, 0.1)
    done = cml.wait_for_run(run, timeout=30, poll_interval=0.05)
    widget = RunWidget(done, cml, poller=poller)
    assert "succeeded" in widget.status_html.value  # no look-up, no wait for the log
    wait_for(lambda: "analysis starting" in widget.output.value, what="the log, downloaded later")
    wait_for(lambda: not poller.running, what="the poller to end once the log is in")
    assert poller.lookups == 0


def test_an_empty_log_is_said_in_words_not_an_empty_box(cml, poller):
    run = start(cml, 0.1)
    done = cml.wait_for_run(run, timeout=30, poll_interval=0.05)
    widget = RunWidget(done, cml, poller=poller)
    wait_for(lambda: "analysis starting" in widget.output.value, what="the log")
    widget.set_output("\n  \n")
    assert "<pre" not in widget.output.value
    assert "the run wrote no output" in widget.output.value


def test_a_failing_stop_is_one_line_in_the_widget(cml, poller):
    run = start(cml, 0.1)
    done = cml.wait_for_run(run, timeout=30, poll_interval=0.05)
    widget = RunWidget(done, cml, poller=poller)
    widget._on_stop()  # the button is disabled for a final run; the handler still must not raise
    assert "not active" in widget.message.value or "400" in widget.message.value
    assert "\n" not in widget.message.value


def test_close_unregisters_the_widget(cml, poller):
    run = start(cml, 60)
    widget = RunWidget(run, cml, poller=poller)
    wait_for(lambda: poller.watched() == 1)
    widget.close()
    wait_for(lambda: not poller.running, what="poller to end after close")
    assert poller.watched() == 0
    cml.runs.stop(run.id, "nightly")


def test_two_widgets_of_one_run_share_the_lookups(cml, poller):
    run = start(cml, 0.5)
    a, b = RunWidget(run, cml, poller=poller), RunWidget(run, cml, poller=poller)
    assert poller.watched() == 1
    wait_for(lambda: a.status == b.status == "ENGINE_SUCCEEDED")
    a.close(), b.close()


def test_widget_reconnects_after_the_server_was_stopped_and_started(local_cml_factory, poller):
    server = local_cml_factory()
    with client(server) as cml:
        run = start(cml, 60)
        widget = RunWidget(run, cml, poller=poller)
        wait_for(lambda: widget.status == "ENGINE_RUNNING", what="run to be running")
        server.stop()  # stopping the server stops its runs
        wait_for(lambda: "reconnecting" in widget.message.value, what="reconnecting notice")
        note = widget.message.value
        where = server.url.split("://", 1)[1]
        plain = f"cannot reach CML at {re.escape(where)}: connection (refused|reset)"
        assert re.search(plain, note), note
        assert "Errno" not in note and "HTTPConnection" not in note  # plain words, not urllib3's
        assert poller.running
        server.restart()
        wait_for(lambda: widget.status in ("ENGINE_STOPPED", "ENGINE_FAILED"), timeout=20)
        assert widget.message.value == ""  # the notice went away by itself
        wait_for(lambda: not poller.running)


def test_watch_gives_text_progress_outside_a_widget_frontend(cml, poller, capsys):
    run = start(cml, 0.2)
    progress = widgets.watch(run, cml, poller=poller)
    assert isinstance(progress, TextProgress)
    final = progress.wait(timeout=30)
    assert final.status == "ENGINE_SUCCEEDED"
    lines = capsys.readouterr().out.strip().splitlines()
    labels = [line.split(": ", 1)[1].split(" · ")[0] for line in lines]
    assert labels[-1] == "succeeded"
    assert len(labels) == len(set(labels)) <= 5  # one line per status, never repeated
    assert all(line.startswith(f"[cml] job run {run.id}") for line in lines)
    assert "/alice/risk-analysis/engines/" in lines[-1]


def test_watch_gives_a_widget_in_a_widget_frontend(cml, poller, monkeypatch):
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    run = start(cml, 0.1)
    widget = widgets.watch(run, cml, poller=poller)
    assert isinstance(widget, RunWidget)
    wait_for(lambda: widget.status == "ENGINE_SUCCEEDED")


def test_watch_refuses_what_it_cannot_follow(cml):
    with pytest.raises(TypeError, match="cannot watch a Job"):
        widgets.watch(cml.jobs.get("nightly"), cml)


def test_the_api_key_is_in_no_widget_state(cml, poller, local_cml):
    # Even handed to the job as a secret-looking variable, the key never reaches the front end.
    run = start(cml, 0.1, ANALYSIS_API_KEY=local_cml.api_key)
    widget = RunWidget(run, cml, poller=poller)
    wait_for(lambda: widget.status == "ENGINE_SUCCEEDED")
    wait_for(lambda: "wrote output" in widget.output.value, what="final output tail")
    states, stack = [], [widget]
    while stack:
        part = stack.pop()
        states.append(repr(part.get_state()))
        stack.extend(getattr(part, "children", ()))
    assert local_cml.api_key not in "".join(states)
    assert local_cml.api_key not in repr(widget.controller)


def test_log_is_fetched_once_at_the_end_of_a_short_run(cml, poller, monkeypatch):
    # A run shorter than the tail's period: its log is downloaded once, when it ends.
    monkeypatch.setattr(run_widget, "OUTPUT_EVERY", 60.0)
    downloads = log_downloads(cml)
    run = start(cml, 0.5)
    widget = RunWidget(run, cml, poller=poller)
    wait_for(lambda: widget.status == "ENGINE_SUCCEEDED", what="run to succeed")
    wait_for(lambda: "analysis starting" in widget.output.value, what="output tail")
    assert len(downloads) == 1
    widget.close()


def test_many_watched_items_space_out_the_log_downloads():
    # Few widgets: every OUTPUT_EVERY; many: a quarter of the look-ups the budget pays for.
    assert run_widget.output_every(1, 20.0) == run_widget.OUTPUT_EVERY
    assert run_widget.output_every(1, float("inf")) == run_widget.OUTPUT_EVERY
    assert run_widget.output_every(100, 20.0) == 100 / (run_widget.OUTPUT_SHARE * 20.0)


def test_stop_shows_while_the_run_goes_on_and_goes_once_it_ended(cml, poller):
    run = start(cml, 60)
    widget = RunWidget(run, cml, poller=poller)
    wait_for(lambda: widget.status == "ENGINE_RUNNING", what="run to be running")
    assert widget.stop_button.layout.display is None and not widget.stop_button.disabled
    assert "ended" not in widget.times.value  # no "ended –" for an end not come yet
    widget.stop_button.click()
    wait_for(lambda: widget.status == "ENGINE_STOPPED", what="run to stop")
    assert widget.stop_button.layout.display == "none"  # not a faded button left behind
    assert "ended " in widget.times.value and "–" not in widget.times.value
    # The times are drawn from the phase `render` worked out, not from a second look.
    widget.show_times(widget.obj, phase("run", "ENGINE_RUNNING"))
    assert "ended" not in widget.times.value and "elapsed" in widget.times.value


def test_a_run_whose_script_saved_no_output_says_how_to_turn_it_on(cml, poller):
    """No `.cml/runs/<run id>.log`: the tail is the one line of cml_magic.runlog."""
    from cml_magic.runlog import missing_hint

    cml.files.upload("quiet.py", "print('not saved')\n", overwrite=True)
    job = cml.jobs.create(f"quiet-{time.monotonic_ns()}", "quiet.py")
    done = cml.wait_for_run(cml.runs.create(job.id), timeout=30, poll_interval=0.05)
    widget = RunWidget(done, cml, poller=poller)
    hint = html.escape(missing_hint(done.id), quote=True)
    wait_for(lambda: hint in widget.output.value, what="the hint in place of the tail")
    assert "not saved" not in widget.output.value
    widget.close()


def test_an_unchanged_copy_redraws_only_what_moves(cml, poller):
    run = start(cml, 60)
    widget = RunWidget(run, cml, poller=poller)
    try:
        wait_for(lambda: widget.status == "ENGINE_RUNNING", what="run to be running")
        widget.close()  # no more updates from the poller: this test feeds the copies itself
        same = cml.runs.get(run.id, "nightly")
        widget.render(same)
        drawn = widget.status_html.value
        # Parts that only a change of the run redraws keep what they show for an equal copy.
        for part in (widget.status_html, widget.title, widget.stepper, widget.environment):
            part.value = "kept"
        widget.times.value = ""
        widget.update(cml.runs.get(run.id, "nightly"))
        assert widget.status_html.value == widget.title.value == "kept"
        assert widget.stepper.value == widget.environment.value == "kept"
        assert "elapsed" in widget.times.value  # the time goes on
        # A changed copy is drawn whole.
        cml.runs.stop(run.id, "nightly")
        stopped = cml.runs.get(run.id, "nightly")
        assert stopped != same
        widget.update(stopped)
        assert widget.status_html.value not in ("kept", drawn)
        assert "of job <b>nightly</b>" in widget.title.value
    finally:
        widget.close()
