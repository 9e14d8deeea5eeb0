"""The shared poller on its own: look-ups are plain functions here, so every rule is checked
without a server (the widget tests run it against the local CML server)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
from widget_helpers import Recorder, wait_for

from cml_magic.api.errors import CMLConnectionError, NotFoundError, RateLimitError, ServerError
from cml_magic.widgets import get_poller
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Activity, phase


@dataclass(frozen=True)
class Item:
    id: str
    status: str


def run_activity(item: Item) -> Activity:
    return phase("run", item.status).activity


class Source:
    """Answers look-ups from a script of statuses or exceptions, then repeats the last one."""

    def __init__(self, *script: object) -> None:
        self.script = list(script)
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> Item:
        with self.lock:
            step = self.script[min(self.calls, len(self.script) - 1)]
            self.calls += 1
        if isinstance(step, Exception):
            raise step
        return Item("r1", str(step))


@pytest.fixture
def poller():
    p = Poller(
        interval=0.02, idle_after=60, idle_interval=0.2, settled_interval=0.5, max_backoff=0.16
    )
    yield p
    p.stop()


def test_two_listeners_of_one_item_share_each_lookup(poller):
    source = Source("ENGINE_RUNNING")
    a, b = Recorder(), Recorder()
    poller.watch("r1", source, a, activity=run_activity)
    poller.watch("r1", source, b, activity=run_activity)
    wait_for(lambda: len(a.updates) >= 5 and len(b.updates) >= 5)
    poller.stop()
    assert poller.watched() == 0
    # Every look-up fed both listeners: one item, one request per tick.
    assert source.calls == pytest.approx(len(a.updates), abs=1)
    assert source.calls == pytest.approx(len(b.updates), abs=1)


def test_final_item_gets_one_last_update_then_the_thread_ends(poller):
    source = Source("ENGINE_RUNNING", "ENGINE_RUNNING", "ENGINE_SUCCEEDED")
    rec = Recorder()
    poller.watch("r1", source, rec, activity=run_activity)
    assert poller.running
    wait_for(lambda: not poller.running, what="poller thread to end")
    assert [u.status for u in rec.updates] == ["ENGINE_RUNNING"] * 2 + ["ENGINE_SUCCEEDED"]
    assert source.calls == 3
    assert poller.watched() == 0


def test_thread_starts_again_for_a_new_item(poller):
    rec = Recorder()
    poller.watch("a", Source("ENGINE_SUCCEEDED"), rec, activity=run_activity)
    wait_for(lambda: not poller.running)
    poller.watch("b", Source("ENGINE_FAILED"), rec, activity=run_activity)
    wait_for(lambda: len(rec.updates) == 2 and not poller.running)


def test_errors_back_off_and_updates_resume_by_themselves(poller):
    down = CMLConnectionError("connection refused", method="GET", path="/api/v2/x")
    source = Source(down, down, down, down, down, "ENGINE_RUNNING", "ENGINE_SUCCEEDED")
    rec = Recorder()
    poller.watch("r1", source, rec, activity=run_activity)
    wait_for(lambda: not poller.running)
    delays = [d for _, d in rec.troubles]
    assert delays == [0.02, 0.04, 0.08, 0.16, 0.16]  # doubling, capped at max_backoff
    assert all("connection refused" in m for m, _ in rec.troubles)
    assert [u.status for u in rec.updates] == ["ENGINE_RUNNING", "ENGINE_SUCCEEDED"]


def test_rate_limit_waits_as_long_as_retry_after_says(poller):
    limited = RateLimitError("slow down", retry_after=0.3, status=429)
    source = Source(limited, "ENGINE_SUCCEEDED")
    rec = Recorder()
    poller.watch("r1", source, rec, activity=run_activity)
    wait_for(lambda: not poller.running)
    assert rec.troubles == [("429 slow down", 0.3)]
    assert len(rec.updates) == 1


def test_an_item_that_is_gone_is_dropped_with_a_message(poller):
    source = Source(NotFoundError("run r1 not found", status=404))
    rec = Recorder()
    poller.watch("r1", source, rec, activity=run_activity)
    wait_for(lambda: not poller.running)
    assert rec.troubles == [("404 run r1 not found", None)]
    assert source.calls == 1


def test_items_of_a_failing_server_wait_together(poller):
    failing = Source(*[ServerError("bad gateway", status=502)] * 3, "ENGINE_SUCCEEDED")
    other = Source("ENGINE_RUNNING", "ENGINE_SUCCEEDED")
    a, b = Recorder(), Recorder()
    poller.watch("a", failing, a, activity=run_activity, group="server1")
    poller.watch("b", other, b, activity=run_activity, group="server1")
    wait_for(lambda: not poller.running)
    # b was due in the same ticks as a's failures: it waited instead of being looked up.
    assert len(b.troubles) >= 1
    assert all(m == "502 bad gateway" for m, _ in b.troubles)
    assert a.updates[-1].status == b.updates[-1].status == "ENGINE_SUCCEEDED"


def test_closed_listeners_are_forgotten(poller):
    rec = Recorder()
    poller.watch("r1", Source("ENGINE_RUNNING"), rec, activity=run_activity)
    wait_for(lambda: rec.updates)
    rec.closed = True
    wait_for(lambda: not poller.running)
    assert poller.watched() == 0


def test_unwatch_the_last_listener_ends_the_thread(poller):
    rec = Recorder()
    sub = poller.watch("r1", Source("ENGINE_RUNNING"), rec, activity=run_activity)
    wait_for(lambda: rec.updates)
    sub.cancel()
    sub.cancel()  # idempotent
    wait_for(lambda: not poller.running)


def test_unchanged_items_are_polled_less_and_less():
    p = Poller(interval=0.01, idle_after=0.0, idle_interval=0.08)
    try:
        rec = Recorder()
        p.watch("r1", Source("ENGINE_RUNNING"), rec, activity=run_activity)
        wait_for(lambda: len(rec.updates) >= 6)
        assert p._items["r1"].interval == 0.08  # doubled from 0.01 up to idle_interval
    finally:
        p.stop()


def test_settled_items_are_polled_at_the_settled_rate(poller):
    rec = Recorder()
    source = Source("deployed")
    poller.watch("d1", source, rec, activity=lambda i: phase("deployment", i.status).activity)
    wait_for(lambda: len(rec.updates) >= 2)
    assert poller._items["d1"].interval == 0.5


def test_a_failing_listener_does_not_stop_the_others(poller):
    class Broken(Recorder):
        def update(self, obj):
            raise RuntimeError("boom")

    good = Recorder()
    source = Source("ENGINE_RUNNING", "ENGINE_SUCCEEDED")
    poller.watch("r1", source, Broken(), activity=run_activity)
    poller.watch("r1", Source("unused"), good, activity=run_activity)
    wait_for(lambda: not poller.running)
    assert [u.status for u in good.updates][-1] == "ENGINE_SUCCEEDED"


def test_get_poller_is_one_per_kernel():
    assert get_poller() is get_poller()


class SlowSource(Source):
    """A Source whose look-ups take `delay` seconds and remember when each was sent."""

    def __init__(self, delay: float, *script: object) -> None:
        super().__init__(*script)
        self.delay = delay
        self.sent: list[float] = []

    def __call__(self) -> Item:
        self.sent.append(time.monotonic())
        time.sleep(self.delay)
        return super().__call__()


def test_the_next_lookup_is_one_interval_after_the_previous_was_sent():
    p = Poller(interval=5.0)
    try:
        source = SlowSource(0.3, "ENGINE_RUNNING")
        p.watch("r1", source, Recorder(), activity=run_activity)
        due = wait_for(lambda: source.sent and (p.next_lookup("r1") or 0) > source.sent[0] + 1)
        assert due
        # Not one interval after the (0.3 s late) answer, but early by the round trip: the next
        # answer comes one interval after this look-up was sent, so a change made on the server
        # right after it answered is seen at most one interval later.
        assert p.next_lookup("r1") == pytest.approx(source.sent[0] + 5.0 - 0.3, abs=0.1)
    finally:
        p.stop()


def test_many_items_stretch_every_interval_to_bound_the_request_rate():
    p = Poller(interval=1.0, full_speed_items=2)
    try:
        sources = {f"r{i}": SlowSource(0.0, "ENGINE_RUNNING") for i in range(6)}
        assert p.pace == 1.0
        for key, source in sources.items():
            p.watch(key, source, Recorder(), activity=run_activity)
        assert p.pace == 3.0  # 6 items, 2 at full speed: 3 s apart, 2 look-ups a second
        wait_for(lambda: all(s.sent for s in sources.values()), what="first look-ups")
        wait_for(lambda: all((p.next_lookup(k) or 0) > s.sent[0] for k, s in sources.items()))
        for key, source in sources.items():
            assert p.next_lookup(key) == pytest.approx(source.sent[0] + 3.0, abs=0.1)
            assert source.calls == 1
    finally:
        p.stop()


def test_up_to_full_speed_items_are_polled_at_the_interval():
    p = Poller(interval=1.0, full_speed_items=2)
    try:
        sources = {f"r{i}": SlowSource(0.0, "ENGINE_RUNNING") for i in range(2)}
        for key, source in sources.items():
            p.watch(key, source, Recorder(), activity=run_activity)
        assert p.pace == 1.0
        wait_for(
            lambda: all((p.next_lookup(k) or 0) > (s.sent or [1e18])[0] for k, s in sources.items())
        )
        for key, source in sources.items():
            assert p.next_lookup(key) == pytest.approx(source.sent[0] + 1.0, abs=0.1)
    finally:
        p.stop()
