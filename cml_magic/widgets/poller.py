"""One background poller per kernel for every live widget and text progress line.

A daemon thread, started when the first item is watched and ended when the last one goes. Each
tick it looks up every due item once (however many widgets show it), then sleeps until the next
item is due. Items whose status stopped changing are polled less and less often, settled ones
(a serving deployment) rarely, finished ones get one last update and are dropped. An item's next
look-up is sent so that its answer comes one interval after the previous look-up was sent, so a
change shows within one interval.

The thread keeps to a CPU budget, `cpu_share` of one core: it measures its own CPU per look-up
(`time.thread_time()`, everything the thread did since the previous one, listeners' work
included: a run widget's log download counts) and, when the watched items would need more
look-ups per second than the budget pays for, stretches their intervals just enough (planning
for 90 % of it: look-ups due soon are sent early, together, which is cheaper). Items in a
short step (scheduling, starting, stopping) are served first; items in a long step (running)
absorb the stretch, though they always keep half of the budget. The stretched interval of an
active item is `pace`: a change shows within it. Out of budget (many widgets opened at once)
the thread rests until part of it is back, so look-ups go out a few at a time. `later(task)`
runs other work, such as a log download, in the same thread and budget after the look-ups due.
CML has no call returning several runs of different jobs, so look-ups cannot be merged.
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

COST_SAMPLES = 64  # recent look-ups whose CPU cost is averaged
LONG_STEP_SHARE = 0.5  # share of the budget kept for items in long steps when both kinds wait
BURST_SECONDS = 1.0  # the thread may spend this many seconds' worth of its budget at once
REFILL = 0.5  # out of budget, the thread rests until this share of the burst is back
JOIN_SHARE = 0.1  # look-ups due within this share of the pace are sent together
PLANNED_SHARE = 0.9  # of the budget, planned for; the rest pays for look-ups sent early
LOOSENED = 0.75  # stretches this far below their recent high bring due look-ups forward


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
    interval: float  # before any stretch for the CPU budget
    changed_at: float
    transitional: bool  # in a short step, as the last answer said
    status: Any = None
    failures: int = 0
    sent: float | None = None  # when the last successful look-up was sent
    round_trip: float = 0.0
    last: Any = field(default=None, repr=False)


def stretches(rate: float, transitional_load: float, other_load: float) -> tuple[float, float]:
    """How much to stretch the intervals of items in short and in long steps.

    `rate`: look-ups per second the CPU budget pays for; the loads: look-ups per second the
    items of each kind want at their own intervals. Short steps are served first, but items in
    long steps keep at least `LONG_STEP_SHARE` of the rate when they need it. Returns the
    factors (short, long), each at least 1.
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
    The thread spends at most `cpu_share` of one core (on average): past what that pays for,
    intervals are stretched (`pace` is the interval of an active item in effect, `rate` the
    look-ups per second the budget pays for, `cost` the CPU seconds of one look-up).
    """

    def __init__(
        self,
        interval: float = 1.0,
        idle_after: float = 30.0,
        idle_interval: float = 10.0,
        settled_interval: float = 30.0,
        max_backoff: float = 30.0,
        cpu_share: float = 0.015,
    ) -> None:
        if cpu_share <= 0:
            raise ValueError(f"cpu_share must be a positive share of one core, not {cpu_share}")
        self.interval = interval
        self.idle_after = idle_after
        self.idle_interval = idle_interval
        self.settled_interval = settled_interval
        self.max_backoff = max_backoff
        self.cpu_share = cpu_share
        self._items: dict[Hashable, _Item] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._costs: deque[float] = deque(maxlen=COST_SAMPLES)
        self._cost = 0.0  # CPU seconds per look-up, recent average; 0 until measured
        self._cpu_mark = 0.0  # thread CPU when the last look-up was charged
        self._debit_mark = 0.0  # thread CPU when the budget was last charged
        self._tasks: deque[Callable[[], None]] = deque()
        self._stretch = {True: 1.0, False: 1.0}  # by item.transitional
        self._high = dict(self._stretch)  # highest stretches since items were last brought forward
        # CPU seconds the thread may spend before it must rest: filled at `cpu_share` per second
        # up to BURST_SECONDS' worth, so a burst (many widgets opened at once) is spread out.
        self._tokens = cpu_share * BURST_SECONDS
        self._refilled = time.monotonic()
        self._resting_until = 0.0  # out of budget until then: new items need not wake the thread
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
        is in a short step, served first when the CPU budget is tight (without it: a long step).
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
            else:
                item.due = min(item.due, now)
            item.listeners.append(listener)
            self._ensure_thread()
        # Resting for its budget, the thread could not look the item up anyway; waking it for
        # each of many widgets opened at once would cost more than the look-ups.
        if now >= self._resting_until:
            self._wake.set()
        return Subscription(self, key, listener)

    def later(self, task: Callable[[], None]) -> None:
        """Run `task` (a log download) in the poller's thread when no look-up is due and the
        CPU budget allows: it shares the budget, after the look-ups."""
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
        self._wake.set()

    def watched(self) -> int:
        """How many distinct items are being watched."""
        with self._lock:
            return len(self._items)

    @property
    def cost(self) -> float:
        """CPU seconds the thread spends per look-up (recent average; 0 before the first)."""
        return self._cost

    @property
    def rate(self) -> float:
        """Look-ups per second the CPU budget pays for (infinite until one was measured)."""
        return self.cpu_share / self._cost if self._cost > 0 else math.inf

    @property
    def pace(self) -> float:
        """The interval between two look-ups of an active item, stretched for the CPU budget."""
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
        self._cpu_mark = self._debit_mark = time.thread_time()
        while True:
            with self._lock:
                now = time.monotonic()
                # Asking every widget whether it is closed costs more than a look-up with
                # many open: do it at most once an interval (and before the thread may end).
                if now - pruned >= self.interval or not self._items:
                    self._prune()
                    pruned = now
                if not self._items and not self._tasks:
                    self._thread = None
                    return
                # Items due soon join this tick: none is looked up late, and look-ups sent back
                # to back cost the thread about a third less CPU each than lone ones (warm
                # caches), which pays for the few sent early when intervals are stretched.
                soon = now + max(self.interval / 20, self.pace * JOIN_SHARE)
                due: list[_Item] = []
                first = math.inf
                load = {True: 0.0, False: 0.0}
                for item in self._items.values():
                    load[item.transitional] += 1.0 / max(item.interval, 1e-3)
                    if item.due <= soon:
                        due.append(item)
                    elif item.due < first:
                        first = item.due
                if self._plan(load[True], load[False]):
                    continue  # the budget loosened: some items are due earlier now
                rest = self._rest(now)
                task = self._tasks.popleft() if self._tasks and not due and not rest else None
                # Asleep until the next look-up is due, or the budget has refilled for those
                # due (or for a waiting task).
                pause = rest if due else min(first - now, rest if self._tasks else math.inf)
            if task is not None:
                self._run(task)
                continue
            if not due or rest > 0:
                pause = min(max(0.0, pause), 1.0)
                self._resting_until = now + pause if rest > 0 else 0.0
                self._wake.wait(pause)
                self._wake.clear()
                continue
            due.sort(key=lambda i: (not i.transitional, i.due))
            self._tick(due)

    def _run(self, task: Callable[[], None]) -> None:
        try:
            task()
        except Exception:  # a broken task must not stop the look-ups
            log.exception("cml_magic poller: task %r failed", task)
        # Charged to the budget now, and to the cost of the next look-up (which it rides on).
        self._charge()

    def _charge(self) -> None:
        mark = time.thread_time()
        self._tokens -= mark - self._debit_mark
        self._debit_mark = mark

    def _rest(self, now: float) -> float:
        """Seconds the thread must rest before its next look-up to keep to its budget."""
        full = self.cpu_share * BURST_SECONDS
        self._tokens = min(full, self._tokens + (now - self._refilled) * self.cpu_share)
        self._refilled = now
        if self._tokens >= 0:
            return 0.0
        # Rest until part of the burst is back: look-ups then go out a few at a time, cheaper.
        return (full * REFILL - self._tokens) / self.cpu_share

    def _plan(self, transitional_load: float, other_load: float) -> bool:
        """Set the stretches for the budget (lock held); True if some items moved earlier."""
        short, other = stretches(self.rate * PLANNED_SHARE, transitional_load, other_load)
        self._stretch = {True: short, False: other}
        # Only a clear drop (items went) brings look-ups forward: the cost measured wobbles a
        # little, and following each wobble down would overspend the budget.
        high = {True: max(short, self._high[True]), False: max(other, self._high[False])}
        loosened = short < high[True] * LOOSENED or other < high[False] * LOOSENED
        self._high = dict(self._stretch) if loosened else high
        if not loosened:
            return False
        # Items went (or got cheaper): the others need not wait out their stretched interval.
        for item in self._items.values():
            if item.failures == 0 and item.sent is not None:
                item.due = min(item.due, self._planned(item))
        return True

    def _planned(self, item: _Item) -> float:
        # Counted from when the look-up was sent, less its round trip (the next one likely takes
        # as long): the next answer then arrives one interval after this one was sent, so a change
        # made on the server just after it answered is shown within one interval.
        sent = item.sent if item.sent is not None else time.monotonic()
        every = item.interval * self._stretch[item.transitional]
        return sent + every - min(item.round_trip, every / 2)

    def _prune(self) -> None:  # called with the lock held
        for key, item in list(self._items.items()):
            item.listeners = [x for x in item.listeners if _alive(x)]
            if not item.listeners:
                del self._items[key]

    def _tick(self, due: list[_Item]) -> None:
        failed_groups: dict[Hashable, tuple[str, float]] = {}
        for item in due:
            if item.group is not None and item.group in failed_groups:
                # The server just failed another look-up: do not hammer it, wait with it.
                message, delay = failed_groups[item.group]
                self._failed(item, message, delay)
                continue
            sent = time.monotonic()
            if self._rest(sent) > 0:
                break  # out of budget: the rest stay due, served first when it refills
            try:
                self.lookups += 1
                obj = item.fetch()
            except Exception as exc:  # any failure must leave the thread alive
                message, retry = self._classify(item, exc)
                if retry is None:
                    self._give_up(item, message)
                else:
                    if item.group is not None:
                        failed_groups[item.group] = (message, retry)
                    self._failed(item, message, retry)
            else:
                self._deliver(item, obj, sent, time.monotonic())
            self._count_cpu()

    def _count_cpu(self) -> None:
        """Charge the thread's CPU since the previous look-up to this one."""
        mark = time.thread_time()
        self._costs.append(mark - self._cpu_mark)
        self._cpu_mark = mark
        self._charge()
        total, n = sum(self._costs), len(self._costs)
        # Leave out the dearest sample: a first look-up's warm-up must not halt the others.
        self._cost = (total - max(self._costs)) / (n - 1) if n > 1 else total

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
        item.due = time.monotonic() + delay
        for listener in list(item.listeners):
            _call(listener.trouble, message, delay)

    def _give_up(self, item: _Item, message: str) -> None:
        with self._lock:
            self._items.pop(item.key, None)
        for listener in list(item.listeners):
            _call(listener.trouble, message, None)

    def _deliver(self, item: _Item, obj: Any, sent: float, answered: float) -> None:
        item.failures = 0
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
            with self._lock:
                self._items.pop(item.key, None)
            return
        if status != item.status:
            item.status, item.changed_at, item.interval = status, answered, self.interval
        elif activity is Activity.SETTLED:
            item.interval = self.settled_interval
        elif answered - item.changed_at >= self.idle_after:
            item.interval = min(self.idle_interval, max(item.interval * 2, self.interval))
        with self._lock:
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
