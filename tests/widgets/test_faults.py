"""Faults the local server cannot produce (429 with Retry-After, 503), from a throwaway HTTP
server, seen through the real client, the shared poller and a run widget."""

from __future__ import annotations

import json
import re
import time

import pytest
from support.waits import wait_for
from werkzeug import Response

from cml_magic.api import CML
from cml_magic.api.run_objects import JobRun
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.run_widget import RunWidget

PROJECT, JOB, RUN = "aaaa-bbbb-cccc-dddd", "eeee-ffff-gggg-hhhh", "abcdefghijklmnop"
RUN_PATH = f"/api/v2/projects/{PROJECT}/jobs/{JOB}/runs/{RUN}"


def run_json(status: str) -> dict[str, str]:
    return {"id": RUN, "project_id": PROJECT, "job_id": JOB, "status": status,
            "created_at": "2026-11-25T10:00:00Z", "environment": "null"}  # fmt: skip


def test_rate_limit_and_outage_show_reconnecting_then_recover(httpserver):
    answers = [
        Response(json.dumps({"message": "slow down", "code": 8}), 429, {"Retry-After": "1"}),
        Response(json.dumps({"message": "upstream down", "code": 14}), 503),
        Response(json.dumps(run_json("ENGINE_RUNNING")), 200),
        Response(json.dumps(run_json("ENGINE_SUCCEEDED")), 200),
    ]
    seen: list[float] = []

    def run_answer(_request):
        seen.append(time.monotonic())
        return answers[min(len(seen), len(answers)) - 1]

    httpserver.expect_request(RUN_PATH, method="GET").respond_with_handler(run_answer)
    # Project, job and output look-ups (links, names, log) are not there: widgets do without.
    httpserver.expect_request(re.compile(".*")).respond_with_json({"message": "nope"}, 404)
    cml = CML(host=httpserver.url_for("/"), api_key="k" * 20, max_retries=0, backoff=0.01)
    poller = Poller(interval=0.05, max_backoff=0.2)
    try:
        widget = RunWidget(JobRun.from_json(run_json("ENGINE_SCHEDULING")), cml, poller=poller)
        notes: list[str] = []
        widget.message.observe(lambda change: notes.append(change["new"]), names="value")
        wait_for(lambda: widget.status == "ENGINE_SUCCEEDED", what="recovery")
    finally:
        poller.stop()
    told = " ".join(notes)
    assert "reconnecting… (429 slow down; next try in 1 s)" in told
    assert "503 upstream down" in told
    assert widget.message.value == ""  # cleared by itself once answers came back
    assert seen[1] - seen[0] >= 1.0  # Retry-After was honoured
    assert "k" * 20 not in told
    assert widget.link is None and "of job <b>" + JOB in widget.title.value


def test_the_first_failed_look_up_is_told_at_once(httpserver):
    """The poller retries on its own schedule: its look-ups are sent once, so an outage is
    told after one failed request, not after the client's retries and their back-off."""
    seen: list[int] = []

    def down(_request):
        seen.append(1)
        return Response(json.dumps({"message": "upstream down", "code": 14}), 503)

    httpserver.expect_request(RUN_PATH, method="GET").respond_with_handler(down)
    httpserver.expect_request(re.compile(".*")).respond_with_json({"message": "nope"}, 404)
    cml = CML(host=httpserver.url_for("/"), api_key="k" * 20, max_retries=4, backoff=0.02)
    poller = Poller(interval=0.05, max_backoff=5)
    first: list[int] = []
    try:
        widget = RunWidget(JobRun.from_json(run_json("ENGINE_RUNNING")), cml, poller=poller)
        widget.message.observe(
            lambda change: first.append(len(seen)) if "reconnecting" in change["new"] else None,
            names="value",
        )
        wait_for(lambda: first, what="the reconnecting note")
    finally:
        poller.stop()
    assert first[0] == 1, f"told after {first[0]} requests"
    before = len(seen)
    with pytest.raises(Exception, match="503"):  # outside the poller the client still retries
        cml.runs.get(RUN, JOB, project=PROJECT)
    assert len(seen) - before == 5


@pytest.mark.parametrize("status", [403, 404])
def test_a_lost_item_stops_the_watch_with_one_line(httpserver, status):
    httpserver.expect_request(RUN_PATH).respond_with_json({"message": "gone"}, status)
    httpserver.expect_request(re.compile(".*")).respond_with_json({"message": "nope"}, 404)
    cml = CML(host=httpserver.url_for("/"), api_key="k" * 20, max_retries=0)
    poller = Poller(interval=0.05)
    try:
        widget = RunWidget(JobRun.from_json(run_json("ENGINE_RUNNING")), cml, poller=poller)
        wait_for(lambda: not poller.running, what="the watch to end")
    finally:
        poller.stop()
    assert f"stopped watching: {status} gone" in widget.message.value


def test_the_elapsed_time_goes_on_while_reconnecting(httpserver):
    down = json.dumps({"message": "upstream down", "code": 14})
    httpserver.expect_request(RUN_PATH, method="GET").respond_with_response(Response(down, 503))
    httpserver.expect_request(re.compile(".*")).respond_with_json({"message": "nope"}, 404)
    cml = CML(host=httpserver.url_for("/"), api_key="k" * 20, max_retries=0, backoff=0.01)
    poller = Poller(interval=0.05, max_backoff=0.2)
    try:
        widget = RunWidget(JobRun.from_json(run_json("ENGINE_RUNNING")), cml, poller=poller)
        wait_for(lambda: "reconnecting" in widget.message.value, what="the outage told")
        widget.times.value = "as last drawn"
        # Each failed look-up draws the times again, counted up to now.
        wait_for(lambda: "elapsed" in widget.times.value, what="the times drawn again")
        assert "reconnecting" in widget.message.value
    finally:
        poller.stop()
