"""The shared poller on its own: look-ups are plain functions here, so every rule is checked
without a server (the widget tests run it against the local CML server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from support.listeners import Recorder
from support.waits import wait_for

from cml_magic.api.errors import CMLConnectionError, NotFoundError, RateLimitError, ServerError
from cml_magic.widgets import get_poller
from cml_magic.widgets.poller import (
    LOOKUP_SHARE,
    Poller,
    stretches,
)
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
def new_poller() -> Iterator[Callable[..., Poller]]:
    """Makes pollers with the options a test needs; each is stopped after the test."""
    made: list[Poller] = []

    def make(**options: Any) -> Poller:
        made.append(Poller(**options))
        return made[-1]

    yield make
    for p in made:
        p.stop()


@pytest.fixture
def poller():
    # A cap the fast intervals below never reach: only the tests of the cap stretch them.
    p = Poller(
        interval=0.02,
        idle_after=60,
        idle_interval=0.2,
        settled_interval=0.5,
        max_backoff=0.16,
        max_rate=1000,
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


def test_unchanged_items_are_polled_less_and_less(new_poller):
    p = new_poller(interval=0.01, idle_after=0.0, idle_interval=0.08)
    rec = Recorder()
    p.watch("r1", Source("ENGINE_RUNNING"), rec, activity=run_activity)
    wait_for(lambda: len(rec.updates) >= 6)
    assert p._items["r1"].interval == 0.08  # doubled from 0.01 up to idle_interval


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


def test_the_next_lookup_is_one_interval_after_the_previous_was_sent(new_poller):
    p = new_poller(interval=5.0)
    source = SlowSource(0.3, "ENGINE_RUNNING")
    p.watch("r1", source, Recorder(), activity=run_activity)
    due = wait_for(lambda: source.sent and (p.next_lookup("r1") or 0) > source.sent[0] + 1)
    assert due
    # Not one interval after the (0.3 s late) answer, but early by the round trip: the next
    # answer comes one interval after this look-up was sent, so a change made on the server
    # right after it answered is seen at most one interval later.
    assert p.next_lookup("r1") == pytest.approx(source.sent[0] + 5.0 - 0.3, abs=0.1)


def test_up_to_the_rate_cap_items_are_polled_at_the_interval(new_poller):
    p = new_poller(interval=1.0)
    sources = {f"r{i}": SlowSource(0.0, "ENGINE_RUNNING") for i in range(2)}
    for key, source in sources.items():
        p.watch(key, source, Recorder(), activity=run_activity)
    wait_for(
        lambda: all((p.next_lookup(k) or 0) > (s.sent or [1e18])[0] for k, s in sources.items())
    )
    assert p.pace == 1.0
    for key, source in sources.items():
        assert p.next_lookup(key) == pytest.approx(source.sent[0] + 1.0, abs=0.1)


def test_stretches_serve_short_steps_first_and_keep_half_for_long_ones():
    assert stretches(10.0, 2.0, 5.0) == (1.0, 1.0)  # within the rate: nothing stretched
    assert stretches(float("inf"), 100.0, 100.0) == (1.0, 1.0)  # nothing measured yet
    # Few short steps: they keep their interval, the long ones share the rest.
    assert stretches(10.0, 2.0, 40.0) == (1.0, 5.0)
    # Many of both: half the rate each.
    assert stretches(10.0, 20.0, 40.0) == (4.0, 8.0)
    # Many short steps, few long ones: the long ones keep their interval.
    assert stretches(10.0, 20.0, 2.0) == (2.5, 1.0)
    # Only one kind watched: the whole rate is theirs.
    assert stretches(10.0, 0.0, 40.0) == (1.0, 4.0)
    assert stretches(10.0, 40.0, 0.0) == (4.0, 1.0)


@pytest.mark.parametrize("rate", [0, -1, float("nan")])
def test_max_rate_must_be_positive(rate):
    with pytest.raises(ValueError, match="max_rate"):
        Poller(max_rate=rate)


def burn(seconds: float) -> None:
    """Spend `seconds` of this thread's CPU (what a look-up costs the kernel)."""
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        pass


class BurningSource(SlowSource):
    """A Source whose look-ups each cost the calling thread `cpu` seconds of CPU."""

    def __init__(self, cpu: float, *script: object) -> None:
        super().__init__(0.0, *script)
        self.cpu = cpu

    def __call__(self) -> Item:
        burn(self.cpu)
        return super().__call__()


def watch_all(p: Poller, sources: dict[str, Source], **options) -> None:
    for key, source in sources.items():
        p.watch(
            key,
            source,
            Recorder(),
            activity=run_activity,
            transitional=lambda i: phase("run", i.status).transitional,
            **options,
        )


def test_more_items_than_the_rate_allows_stretch_the_intervals(new_poller):
    # 10 items at 0.05 s want 200 look-ups/s; the cap is 40 requests/s.
    p = new_poller(interval=0.05, idle_after=60, max_rate=40)
    sources = {f"r{i}": BurningSource(0.001, "ENGINE_RUNNING") for i in range(10)}
    watch_all(p, sources)
    wait_for(lambda: all(s.calls >= 4 for s in sources.values()), what="a few look-ups each")
    assert p.rate == 40
    # Every interval stretched by the wanted rate over the rate planned for look-ups (the
    # cap, less the share left for log downloads): ~0.33 s.
    expected = 0.05 * (10 / 0.05) / (p.rate * LOOKUP_SHARE)
    assert p.pace == pytest.approx(expected, rel=0.2)
    assert p.pace > 4 * p.interval
    # Each item's look-ups follow the stretched interval, not the configured one.
    for source in sources.values():
        gaps = [b - a for a, b in zip(source.sent[1:], source.sent[2:], strict=False)]
        assert min(gaps) > 2 * p.interval, gaps


def test_items_in_a_short_step_are_served_before_items_in_a_long_one(new_poller):
    # One run starting, ten running; the cap is 40 requests/s: the starting one keeps its
    # 0.05 s interval, the running ones share the rest.
    p = new_poller(interval=0.05, idle_after=60, max_rate=40)
    starting = BurningSource(0.001, "ENGINE_STARTING")
    running = {f"r{i}": BurningSource(0.001, "ENGINE_RUNNING") for i in range(10)}
    watch_all(p, {"s": starting, **running})
    wait_for(lambda: starting.calls >= 30, what="30 look-ups of the starting run")
    # Sharing the rate evenly would have looked each up about as often.
    assert max(s.calls for s in running.values()) <= starting.calls / 3
    assert all(s.calls >= 1 for s in running.values())


def test_idle_items_take_the_slow_schedule_however_many_are_watched(new_poller):
    # Ten items unchanged past idle_after go to idle_interval: they want 12.5 look-ups/s, which
    # the cap allows, so they are looked up every 0.8 s and not 0.8 s stretched.
    p = new_poller(interval=0.05, idle_after=0.3, idle_interval=0.8, max_rate=40)
    sources = {f"r{i}": BurningSource(0.001, "ENGINE_RUNNING") for i in range(10)}
    watch_all(p, sources)
    wait_for(lambda: p.pace > 2 * p.interval, what="the rate cap to stretch the intervals")
    wait_for(
        lambda: all(p._items[k].interval == 0.8 for k in sources) and p.pace == p.interval,
        what="every item idle, nothing stretched",
        show=lambda: (p.pace, [p._items[k].interval for k in sources]),
    )
    for key, source in sources.items():
        due = p.next_lookup(key)
        assert due is not None and due - source.sent[-1] <= 0.8 + 0.05


def test_items_left_are_looked_up_sooner_once_others_go(new_poller):
    # 3 look-ups/s allowed (a cap of 4, less the share for logs), 20 wanted: every interval
    # stretched to about 3.3 s.
    p = new_poller(interval=0.5, idle_after=60, max_rate=4)
    sources = {f"r{i}": BurningSource(0.001, "ENGINE_RUNNING") for i in range(10)}
    subs = [p.watch(k, s, Recorder(), activity=run_activity) for k, s in sources.items()]
    wait_for(lambda: p.pace > 1.5, what="the rate cap to stretch the intervals")
    wait_for(
        lambda: (p.next_lookup("r0") or 0) - time.monotonic() > 1.5,
        what="r0 to be looked up and due again in more than 1.5 s",
    )
    for sub in subs[1:]:
        sub.cancel()
    kept = sources["r0"]
    # Alone it is within the cap: it does not wait out the stretched interval, its next
    # look-up moves back to one interval after the last.
    wait_for(
        lambda: (p.next_lookup("r0") or 1e18) - kept.sent[-1] <= 1.5 * p.interval,
        timeout=1.0,
        what="the remaining item's next look-up to come sooner",
        show=lambda: (p.pace, (p.next_lookup("r0") or 0) - kept.sent[-1]),
    )
    wait_for(lambda: p.pace == p.interval, what="the stretch to go")


def test_a_burst_of_new_items_is_spread_to_the_rate(new_poller):
    # 60 items opened at once: the bucket (25 requests/s) lets 25 go at once, the rest follow
    # as it refills instead of all in one go.
    p = new_poller(interval=10.0, idle_after=60, max_rate=25)
    sources = {f"r{i}": BurningSource(0.002, "ENGINE_RUNNING") for i in range(60)}
    watch_all(p, sources)
    wait_for(lambda: all(s.sent for s in sources.values()), what="every first look-up")
    firsts = sorted(s.sent[0] for s in sources.values())
    # 35 look-ups past the burst: at least 1.4 s at 25/s; the bound is loose, a faster poller
    # would be the failure.
    assert firsts[-1] - firsts[0] > 0.5


def test_tasks_run_in_the_poller_thread_after_the_lookups_then_the_thread_ends(poller):
    ran: list[str] = []
    source = Source("ENGINE_SUCCEEDED")
    rec = Recorder()
    poller.watch("r1", source, rec, activity=run_activity)
    poller.later(lambda: ran.append(threading.current_thread().name))
    wait_for(lambda: ran and not poller.running, what="the task, then the thread's end")
    assert ran == ["cml-magic-poller"]
    assert len(rec.updates) == 1
    # With nothing watched, a task alone starts the thread, which ends once it ran.
    poller.later(lambda: ran.append("again"))
    wait_for(lambda: ran[-1] == "again" and not poller.running)


def test_a_failing_task_does_not_stop_the_poller(poller):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    poller.later(broken)
    poller.later(lambda: ran.append("next"))
    rec = Recorder()
    poller.watch("r1", Source("ENGINE_RUNNING", "ENGINE_SUCCEEDED"), rec, activity=run_activity)
    wait_for(lambda: ran == ["next"] and not poller.running)
    assert [u.status for u in rec.updates][-1] == "ENGINE_SUCCEEDED"


def test_tasks_take_from_the_same_rate_as_the_lookups(new_poller):
    # 5 requests/s, a bucket of 5: fifteen log downloads queued at once cannot all go at once.
    p = new_poller(interval=10.0, max_rate=5)
    ran: list[float] = []
    for _ in range(15):
        p.later(lambda: ran.append(time.monotonic()))
    wait_for(lambda: len(ran) == 15 and not p.running, what="every task, then the thread's end")
    # Ten past the bucket at 5/s: 2 s; the bound is loose, a faster poller would be the failure.
    assert ran[-1] - ran[0] > 1.0


def test_a_servers_back_off_holds_when_other_items_go(new_poller):
    # Ten items stretch the intervals; one server's item is rate limited for 3 s, so the other
    # item of that server waits too. When the ten go, the intervals loosen and due look-ups come
    # forward, but not those of the server that asked to wait.
    p = new_poller(interval=1.0, idle_after=60, max_rate=4)
    others = [
        p.watch(f"o{i}", Source("ENGINE_RUNNING"), Recorder(), activity=run_activity)
        for i in range(10)
    ]
    wait_for(lambda: p.pace > 2 * p.interval, what="the rate cap to stretch the intervals")
    limited = RateLimitError("slow down", retry_after=3.0, status=429)
    failing, waiting = Source("ENGINE_RUNNING", limited, "ENGINE_RUNNING"), Source("ENGINE_RUNNING")
    rec = Recorder()
    p.watch("a", failing, Recorder(), activity=run_activity, group="server1")
    p.watch("b", waiting, rec, activity=run_activity, group="server1")
    wait_for(lambda: rec.troubles, timeout=15, what="b to wait with a's server")
    held = p.next_lookup("b")
    assert held is not None and held - time.monotonic() > 2.0
    for sub in others:
        sub.cancel()
    wait_for(lambda: p.pace == p.interval, what="the stretch to go")
    assert p.next_lookup("b") == held
