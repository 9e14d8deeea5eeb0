"""Several run widgets against the local CML server under a tight rate cap: the real client,
the real poller, intervals stretched and log downloads spaced out to the cap."""

from __future__ import annotations

import time

from support.clients import client
from support.listeners import log_downloads
from support.waits import wait_for

from cml_magic.widgets.poller import BURST_SECONDS, Poller
from cml_magic.widgets.run_widget import RunWidget

RUNS = 6


def test_run_widgets_on_a_tight_budget_follow_every_run_to_its_log(local_cml_factory):
    server = local_cml_factory()
    # Ten requests a second allowed; six runs at 0.05 s want 120 look-ups.
    poller = Poller(interval=0.05, idle_after=60, max_rate=10)
    with client(server) as cml:
        downloads = log_downloads(cml)
        runs = []
        for i in range(RUNS):
            job = cml.jobs.create(f"budget-{i}", "analysis.py")
            runs.append(cml.runs.create(job.id, environment={"ANALYSIS_SECONDS": "1"}))
        started = time.monotonic()
        widgets = [RunWidget(run, cml, poller=poller, job_name=run.job_id) for run in runs]
        try:
            # Six active items at 0.05 s want 120 look-ups a second: the cap stretches them.
            wait_for(lambda: poller.pace > 4 * poller.interval, what="the cap to stretch")

            wait_for(
                lambda: all(w.status == "ENGINE_SUCCEEDED" for w in widgets),
                timeout=30,
                what="every run to succeed in its widget",
            )
            wait_for(
                lambda: all("wrote output" in w.output.value for w in widgets),
                what="every run's final log",
            )
            wait_for(lambda: not poller.running, what="the poller to end")
            elapsed = time.monotonic() - started
        finally:
            for widget in widgets:
                widget.close()
            poller.stop()
    # The cap held: never more requests than the bucket's burst plus its refill.
    assert poller.lookups + len(downloads) <= poller.max_rate * (elapsed + BURST_SECONDS) + 1
    # With this cap a running run's tail comes at most every few seconds: the logs were
    # fetched about once each, when the runs ended.
    assert RUNS <= len(downloads) <= 2 * RUNS
