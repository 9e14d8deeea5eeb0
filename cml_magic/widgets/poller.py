"""One background poller per kernel for every live widget and text progress line.

A daemon thread, started when the first item is watched and ended when the last one goes. It
looks up every due item once (however many widgets show it), then sleeps until the next item
is due. Items whose status stopped changing are polled less and less often, settled ones (a
serving deployment) rarely, finished ones get one last update and are dropped. An item's next
look-up is sent so that its answer comes one interval after the previous look-up was sent, so a
change shows within one interval.

Every request the thread sends takes a token from a bucket refilled at `rate` per second:
look-ups, and the work handed to `later(task)` (a run widget's log download), which runs after
the look-ups due. When the watched items want more look-ups a second than the bucket leaves
them, their intervals are stretched just enough (`pace`: the interval of an active item in
effect). Items in a short step (scheduling, starting, stopping) are looked up first and
stretched last; items in a long step (running) keep at least half the rate when they need it.
CML has no call returning several runs of different jobs, so look-ups of single runs cannot be
merged; a sweep's items each cover several runs (`Controller.follow_runs`).
When a look-up fails the item waits longer after each failure (its listeners hear
"reconnecting"), every item of the same server waits with it, and a rate limit's `Retry-After`
is honoured; the first success resumes normal polling by itself. Listeners that report
themselves closed are dropped.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cml_magic.widgets.failures import is_permanent, one_line
from cml_magic.widgets.status import Activity

log = logging.getLogger(__name__)

LOOKUP_SHARE = 0.75  # of `rate`, planned for look-ups: the rest is left for log downloads
LONG_STEP_SHARE = 0.5  # of the look-ups' rate, kept for items in long steps when both kinds wait
BURST_SECONDS = 1.0  # of `rate`, what the bucket holds: a few new widgets are served at once
REFILL = 0.5  # of the bucket, waited for when it is empty: requests back to back cost less CPU


class Listener(Protocol):
    """What the poller tells a widget (called from the poller's thread)."""

    def update(self, obj: Any) -> None:
        """A fresh copy of the watched item."""

    def trouble(self, message: str, retry_in: float | None) -> None:
        """A look-up failed; `retry_in` seconds until the next try, None when it will not retry."""

    def alive(self) -> bool:
        """False once closed: the poller then forgets the listener."""


@dataclass(eq=False)
class Subscription:
    """One listener's registration; `cancel()` stops its updates."""

    poller: Poller
    key: Hashable
    listener: Listener

    def cancel(self) -> None:
        """Stop sending updates to this listener (idempotent)."""
        self.poller.unwatch(self)


@dataclass(eq=False)
class _Item:
    key: Hashable
    group: Hashable
    fetch: Callable[[], Any]
    activity: Callable[[Any], Activity]
    status_of: Callable[[Any], Any]
    transitional_of: Callable[[Any], bool] | None
    listeners: list[Listener]
    due: float
    interval: float  # before any stretch for the rate
    changed_at: float
    transitional: bool  # in a short step, as the last answer said
    status: Any = None
    failures: int = 0
    waiting: bool = False  # after a failure (its own or its server's), until the next answer
    sent: float | None = None  # when the last successful look-up was sent
    round_trip: float = 0.0
    last: Any = field(default=None, repr=False)


def stretches(rate: float, transitional_load: float, other_load: float) -> tuple[float, float]:
    """How much to stretch the intervals of items in short and in long steps.

    `rate`: look-ups per second available; the loads: look-ups per second the items of each
    kind want at their own intervals. Short steps are served first, but items in long steps
    keep at least `LONG_STEP_SHARE` of the rate when they need it. Returns the factors
    (short, long), each at least 1.
    """
    if transitional_load + other_load <= rate:
        return 1.0, 1.0
    kept = min(other_load, max(rate * LONG_STEP_SHARE, rate - transitional_load))
    other = other_load / kept if kept > 0 else 1.0
    short = max(1.0, transitional_load / (rate - kept)) if transitional_load > 0 else 1.0
    return short, other


class Poller:
    """Polls watched items from one daemon thread; see the module docstring for the rules.

    `interval` is the normal delay between two look-ups of an active item; an item unchanged for
    `idle_after` seconds is polled at a doubling interval up to `idle_interval`; settled items every
    `settled_interval`; after failures the delay doubles from `interval` up to `max_backoff`.
    The thread sends at most `rate` requests a second (look-ups and `later()` tasks): past
    what that leaves for look-ups, intervals are stretched (`pace` is the interval of an active
    item in effect).
    """

    def __init__(
        self,
        interval: float = 1.0,
        idle_after: float = 30.0,
        idle_interval: float = 10.0,
        settled_interval: float = 30.0,
        max_backoff: float = 30.0,
        max_rate: float = 12.0,
    ) -> None:
        if not max_rate > 0:
            raise ValueError(f"max_rate must be a positive number of requests/s, not {max_rate}")
        self.interval = interval
        self.idle_after = idle_after
        self.idle_interval = idle_interval
        self.settled_interval = settled_interval
        self.max_backoff = max_backoff
        self.max_rate = max_rate
        self._items: dict[Hashable, _Item] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._tasks: deque[Callable[[], None]] = deque()
        self._stretch = {True: 1.0, False: 1.0}  # by item.transitional
        self._shape = 0  # bumped when items come or go or change interval or kind of step
        self._planned_for: tuple[int, float] | None = None  # (shape, rate) of the last plan
        self._tokens = self._capacity()
        self._filled = time.monotonic()
        self.lookups = 0  # look-ups sent so far: lets tests and benchmarks see the batching

    # -- registration (any thread) -------------------------------------------------------

    def watch(
        self,
        key: Hashable,
        fetch: Callable[[], Any],
        listener: Listener,
        *,
        activity: Callable[[Any], Activity],
        status_of: Callable[[Any], Any] = lambda obj: getattr(obj, "status", None),
        group: Hashable = None,
        transitional: Callable[[Any], bool] | None = None,
    ) -> Subscription:
        """Watch the item `key`, looked up by `fetch()`, and tell `listener` about each copy.

        Listeners of the same `key` share one look-up per tick. Items of the same `group` (one
        server) back off together when look-ups fail. `transitional(obj)` says whether the item
        is in a short step, served first when the rate is short (without it: a long step).
        The first look-up is sent at once.
        """
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is None:
                # Before the first answer, an item that can be in a short step is taken to be in
                # one: its first look-ups are served first.
                item = _Item(
                    key,
                    group,
                    fetch,
                    activity,
                    status_of,
                    transitional,
                    listeners=[],
                    due=now,
                    interval=self.interval,
                    changed_at=now,
                    transitional=transitional is not None,
                )
                self._items[key] = item
                self._shape += 1
            else:
                item.due = min(item.due, now)
            item.listeners.append(listener)
            self._ensure_thread()
        self._wake.set()
        return Subscription(self, key, listener)

    def look_up_now(self, match: Callable[[Hashable], bool]) -> int:
        """Look up at once every watched item whose key `match`es, e.g. after this kernel
        stopped it: its widgets need not wait out an idle or settled interval. Returns how
        many items are due now."""
        now = time.monotonic()
        with self._lock:
            found = [item for key, item in self._items.items() if match(key)]
            for item in found:
                # It was acted on: polled as an item whose status just changed.
                item.due, item.interval, item.changed_at = now, self.interval, now
            self._shape += 1
        if found:
            self._wake.set()
        return len(found)

    def later(self, task: Callable[[], None]) -> None:
        """Run `task` (a log download) in the poller's thread when no look-up is due; it takes
        a request of the rate, like a look-up."""
        with self._lock:
            self._tasks.append(task)
            self._ensure_thread()
        self._wake.set()

    def unwatch(self, sub: Subscription) -> None:
        """Forget one listener; the item goes when its last listener does."""
        with self._lock:
            item = self._items.get(sub.key)
            if item is not None and sub.listener in item.listeners:
                item.listeners.remove(sub.listener)
                if not item.listeners:
                    del self._items[sub.key]
                    self._shape += 1
        self._wake.set()

    def watched(self) -> int:
        """How many distinct items are being watched."""
        with self._lock:
            return len(self._items)

    @property
    def rate(self) -> float:
        """Requests per second the thread sends at most, look-ups and log downloads together."""
        return self.max_rate

    @property
    def pace(self) -> float:
        """The interval between two look-ups of an active item, stretched for the rate."""
        return self.interval * max(self._stretch.values())

    def next_lookup(self, key: Hashable) -> float | None:
        """When (`time.monotonic()`) the item `key` is looked up next; None if not watched."""
        with self._lock:
            item = self._items.get(key)
            return None if item is None else item.due

    @property
    def running(self) -> bool:
        """True while the polling thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Forget every item and wait for the thread to end."""
        with self._lock:
            self._items.clear()
            self._tasks.clear()
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _ensure_thread(self) -> None:  # called with the lock held
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="cml-magic-poller", daemon=True)
            self._thread.start()

    # -- the polling thread ---------------------------------------------------------------

    def _loop(self) -> None:
        pruned = 0.0
        while True:
            with self._lock:
                self._wake.clear()  # a watch() from now on wakes the wait below
                now = time.monotonic()
                # Asking every widget whether it is closed costs more than a look-up with
                # many open: do it at most once an interval (and before the thread may end).
                if now - pruned >= self.interval or not self._items:
                    self._prune()
                    pruned = now
                if not self._items and not self._tasks:
                    self._thread = None
                    return
                self._plan()
                item, first = self._first_due(now)
                task = self._tasks[0] if item is None and self._tasks else None
                if item is None and task is None:
                    pause = min(first - now, self.interval)  # the prune above runs meanwhile
                elif (pause := self._take(now)) == 0 and task is not None:
                    self._tasks.popleft()
            if item is None and task is None:
                self._wake.wait(pause)
            elif pause > 0:
                time.sleep(pause)  # for tokens; what is due then is chosen afresh
            elif item is not None:
                self._look_up(item)
            elif task is not None:
                self._run(task)

    def _first_due(self, now: float) -> tuple[_Item | None, float]:  # lock held
        """The due item to look up now, short steps first; else when the next one is due."""
        due = [item for item in self._items.values() if item.due <= now]
        if due:
            return min(due, key=lambda item: (not item.transitional, item.due)), now
        return None, min((item.due for item in self._items.values()), default=math.inf)

    def _capacity(self) -> float:
        return max(1.0, self.rate * BURST_SECONDS)

    def _take(self, now: float) -> float:  # lock held
        """Take a token for one request: 0, or the seconds to wait (the bucket is empty)."""
        rate = self.rate
        self._tokens = min(self._capacity(), self._tokens + (now - self._filled) * rate)
        self._filled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (max(1.0, self._capacity() * REFILL) - self._tokens) / rate

    def _plan(self) -> None:  # lock held
        """Set the stretches for the items watched; when they loosen (items went, or went
        idle), the others need not wait out their stretched interval."""
        # Only when the items or the rate moved: planning walks every item, and with a hundred
        # watched, doing it before every request took about 4 % of the thread's CPU (profiled).
        rate = self.rate
        if self._planned_for is not None:
            shape, planned_rate = self._planned_for
            if shape == self._shape and rate == planned_rate:
                return
        self._planned_for = (self._shape, rate)
        load = {True: 0.0, False: 0.0}
        for item in self._items.values():
            load[item.transitional] += 1.0 / max(item.interval, 1e-3)
        short, other = stretches(rate * LOOKUP_SHARE, load[True], load[False])
        loosened = short < self._stretch[True] or other < self._stretch[False]
        self._stretch = {True: short, False: other}
        if loosened:
            for item in self._items.values():
                if not item.waiting and item.sent is not None:
                    item.due = min(item.due, self._planned(item))

    def _planned(self, item: _Item) -> float:
        # Counted from when the look-up was sent, less its round trip (the next one likely takes
        # as long): the next answer then arrives one interval after this one was sent, so a change
        # made on the server just after it answered is shown within one interval.
        sent = item.sent if item.sent is not None else time.monotonic()
        every = item.interval * self._stretch[item.transitional]
        return sent + every - min(item.round_trip, every / 2)

    def _prune(self) -> None:  # lock held
        for key, item in list(self._items.items()):
            item.listeners = [x for x in item.listeners if _alive(x)]
            if not item.listeners:
                del self._items[key]
                self._shape += 1

    def _run(self, task: Callable[[], None]) -> None:
        try:
            task()
        except Exception:  # a broken task must not stop the look-ups
            log.exception("cml_magic poller: task %r failed", task)

    def _look_up(self, item: _Item) -> None:
        sent = time.monotonic()
        try:
            self.lookups += 1
            obj = item.fetch()
        except Exception as exc:  # any failure must leave the thread alive
            message, retry = self._classify(item, exc)
            if retry is None:
                self._give_up(item, message)
                return
            # The server failed: its other items wait with this one instead of piling on.
            until = time.monotonic() + retry
            with self._lock:
                waiting = [item] + [
                    other
                    for other in self._items.values()
                    if item.group is not None
                    and other.group == item.group
                    and other is not item
                    and other.due < until
                ]
            for other in waiting:
                self._failed(other, message, retry)
        else:
            self._deliver(item, obj, sent, time.monotonic())

    def _classify(self, item: _Item, exc: Exception) -> tuple[str, float | None]:
        """A one-line message, and the delay before the next try (None: do not retry)."""
        message = one_line(exc)
        if is_permanent(exc):
            return message, None
        item.failures += 1
        delay = min(self.max_backoff, self.interval * 2 ** (item.failures - 1))
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > 0:
            delay = max(delay, float(retry_after))
        return message, delay

    def _failed(self, item: _Item, message: str, delay: float) -> None:
        item.due, item.waiting = time.monotonic() + delay, True
        for listener in list(item.listeners):
            _call(listener.trouble, message, delay)

    def _give_up(self, item: _Item, message: str) -> None:
        self._drop(item)
        for listener in list(item.listeners):
            _call(listener.trouble, message, None)

    def _drop(self, item: _Item) -> None:
        with self._lock:
            if self._items.get(item.key) is item:  # not a newer watch of the same key
                del self._items[item.key]
                self._shape += 1

    def _deliver(self, item: _Item, obj: Any, sent: float, answered: float) -> None:
        item.failures, item.waiting = 0, False
        item.last = obj
        for listener in list(item.listeners):
            _call(listener.update, obj)
        try:
            activity = item.activity(obj)
            status = item.status_of(obj)
            transitional = item.transitional_of is not None and bool(item.transitional_of(obj))
        except Exception:
            log.exception("cml_magic poller: cannot classify %r", item.key)
            activity, status, transitional = Activity.ACTIVE, None, False
        if activity is Activity.FINAL:
            self._drop(item)
            return
        before = item.interval
        if status != item.status:
            item.status, item.changed_at, item.interval = status, answered, self.interval
        elif activity is Activity.SETTLED:
            item.interval = self.settled_interval
        elif answered - item.changed_at >= self.idle_after:
            item.interval = min(self.idle_interval, max(item.interval * 2, self.interval))
        with self._lock:
            if item.interval != before or item.transitional != transitional:
                self._shape += 1
            item.transitional = transitional
            item.sent, item.round_trip = sent, answered - sent
            item.due = self._planned(item)


def _alive(listener: Listener) -> bool:
    try:
        return bool(listener.alive())
    except Exception:
        return False


def _call(method: Callable[..., None], *args: Any) -> None:
    try:
        method(*args)
    except Exception:  # a broken widget must not stop the others' updates
        log.exception("cml_magic poller: listener %r failed", method)


_shared: Poller | None = None
_shared_lock = threading.Lock()


def get_poller() -> Poller:
    """The kernel's one shared poller (created on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Poller()
        return _shared
