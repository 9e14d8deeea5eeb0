"""One background poller per kernel for every live widget and text progress line.

A daemon thread, started when the first item is watched and ended when the last one goes. Each
tick it looks up every due item once (however many widgets show it), then sleeps until the next
item is due. Items whose status stopped changing are polled less and less often, settled ones
(a serving deployment) rarely, finished ones get one last update and are dropped. An item's next
look-up is sent so that its answer comes one interval after the previous look-up was sent, so a
change shows within one interval.
Past `full_speed_items` watched items every interval stretches in proportion, which bounds the
requests per second however many widgets are open (CML has no call returning several runs of
different jobs, so look-ups cannot be merged into one request). When a look-up
fails the item waits longer after each failure (its listeners hear "reconnecting"), every item of
the same server waits with it, and a rate limit's `Retry-After` is honoured; the first success
resumes normal polling by itself. Listeners that report themselves closed are dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cml_magic.widgets.failures import is_permanent, one_line
from cml_magic.widgets.status import Activity

log = logging.getLogger(__name__)


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
    listeners: list[Listener]
    due: float
    interval: float
    changed_at: float
    status: Any = None
    failures: int = 0
    last: Any = field(default=None, repr=False)


class Poller:
    """Polls watched items from one daemon thread; see the module docstring for the rules.

    `interval` is the normal delay between two look-ups of an active item; an item unchanged for
    `idle_after` seconds is polled at a doubling interval up to `idle_interval`; settled items every
    `settled_interval`; after failures the delay doubles from `interval` up to `max_backoff`.
    With more than `full_speed_items` items watched, every interval is stretched by
    `watched / full_speed_items` (see `pace`), so look-ups stay under
    `full_speed_items / interval` per second.
    """

    def __init__(
        self,
        interval: float = 1.0,
        idle_after: float = 30.0,
        idle_interval: float = 10.0,
        settled_interval: float = 30.0,
        max_backoff: float = 30.0,
        full_speed_items: int = 6,
    ) -> None:
        self.interval = interval
        self.idle_after = idle_after
        self.idle_interval = idle_interval
        self.settled_interval = settled_interval
        self.max_backoff = max_backoff
        self.full_speed_items = full_speed_items
        self._items: dict[Hashable, _Item] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
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
    ) -> Subscription:
        """Watch the item `key`, looked up by `fetch()`, and tell `listener` about each copy.

        Listeners of the same `key` share one look-up per tick. Items of the same `group` (one
        server) back off together when look-ups fail. The first look-up is sent at once.
        """
        now = time.monotonic()
        with self._lock:
            item = self._items.get(key)
            if item is None:
                item = _Item(key, group, fetch, activity, status_of, [], now, self.interval, now)
                self._items[key] = item
            else:
                item.due = min(item.due, now)
            item.listeners.append(listener)
            self._ensure_thread()
        self._wake.set()
        return Subscription(self, key, listener)

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
    def pace(self) -> float:
        """The interval between two look-ups of an active item, given how many are watched."""
        with self._lock:
            return self._pace()

    def _pace(self) -> float:  # called with the lock held
        return self.interval * max(1.0, len(self._items) / max(1, self.full_speed_items))

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
                now = time.monotonic()
                # Asking every widget whether it is closed costs more than a look-up with
                # many open: do it at most once an interval (and before the thread may end).
                if now - pruned >= self.interval or not self._items:
                    self._prune()
                    pruned = now
                if not self._items:
                    self._thread = None
                    return
                # Items due very soon join this tick: fewer wake-ups, none looked up late.
                soon = now + self.interval / 20
                due = [i for i in self._items.values() if i.due <= soon]
                pause = min(i.due for i in self._items.values()) - now
            if not due:
                self._wake.wait(max(0.0, min(pause, 1.0)))
                self._wake.clear()
                continue
            self._tick(due)

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
            try:
                self.lookups += 1
                obj = item.fetch()
            except Exception as exc:  # any failure must leave the thread alive
                message, delay = self._classify(item, exc)
                if delay is None:
                    self._give_up(item, message)
                else:
                    if item.group is not None:
                        failed_groups[item.group] = (message, delay)
                    self._failed(item, message, delay)
            else:
                self._deliver(item, obj, sent)

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

    def _deliver(self, item: _Item, obj: Any, sent: float) -> None:
        now = time.monotonic()
        item.failures = 0
        item.last = obj
        for listener in list(item.listeners):
            _call(listener.update, obj)
        try:
            activity = item.activity(obj)
            status = item.status_of(obj)
        except Exception:
            log.exception("cml_magic poller: cannot classify %r", item.key)
            activity, status = Activity.ACTIVE, None
        if activity is Activity.FINAL:
            with self._lock:
                self._items.pop(item.key, None)
            return
        with self._lock:
            stretch = self._pace() / self.interval
        if status != item.status:
            item.status, item.changed_at, item.interval = status, now, self.interval
        elif activity is Activity.SETTLED:
            item.interval = self.settled_interval
        elif now - item.changed_at >= self.idle_after:
            item.interval = min(self.idle_interval, max(item.interval * 2, self.interval))
        # Counted from when the look-up was sent, less its round trip (the next one likely takes
        # as long): the next answer then arrives one interval after this one was sent, so a change
        # made on the server just after it answered is shown within one interval.
        every = item.interval * stretch
        item.due = sent + every - min(now - sent, every / 2)


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
