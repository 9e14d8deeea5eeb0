"""Cron schedules: a job whose `schedule` is set starts a run each time its schedule comes due.

Like cron, the scheduler looks once a minute (just after the minute turns) and starts every job
whose schedule fell due since its previous look, read in the job's own `timezone`. A fire missed
while the server was down is not made up, and a job whose previous run is still active skips
that fire (one active run per job), as a real workspace does. Whatever one job raises is
logged and the others go on: the loop outlives any stored job.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from cml_magic.local.errors import ApiError
from cml_magic.local.store import Doc, Store
from cml_magic.local.timeutil import DEFAULT_TIMEZONE
from cml_magic.local.validate import quote


def schedule_problem(schedule: str) -> str | None:
    """Why `schedule` is not a five-field cron expression that comes due, or None."""
    fields = schedule.split()
    if len(fields) != 5:
        return f"schedule {quote(schedule)} must have five fields: minute hour day month weekday"
    if not croniter.is_valid(schedule):
        return f"schedule {quote(schedule)} is not a valid cron expression"
    try:
        croniter(schedule, datetime.now(UTC)).get_next(datetime)
    except (CroniterError, ValueError, OverflowError):  # e.g. `0 0 30 2 *`: February 30th
        return f"schedule {quote(schedule)} never comes due"
    return None


def timezone_of(job: Doc) -> tzinfo:
    """The job's timezone; UTC when the machine has no entry for its name."""
    try:
        return ZoneInfo(job.get("timezone") or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def fell_due(job: Doc, since: datetime, until: datetime) -> bool:
    """True when the job's schedule names a minute in (since, until]."""
    schedule = job.get("schedule") or ""
    if job.get("paused") or schedule_problem(schedule):
        return False
    zone = timezone_of(job)
    following = croniter(schedule, since.astimezone(zone)).get_next(datetime)
    return bool(following <= until.astimezone(zone))


class Scheduler:
    """One daemon thread starting the runs of scheduled jobs; `start_run(job)` starts one."""

    def __init__(
        self,
        store: Store,
        start_run: Callable[[Doc], object],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.start_run = start_run
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = clock()

    def start(self) -> None:
        self._last = self.clock()
        self._thread = threading.Thread(target=self._loop, name="cron", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(_until_next_minute(self.clock())):
            try:
                self.tick(self.clock())
            except Exception as exc:  # e.g. the store is unreadable this minute; try the next
                print(f"cml-local: the scheduler's look failed: {exc!r}", file=sys.stderr)

    def tick(self, now: datetime) -> list[str]:
        """Start every job due in (previous tick, now]; the ids of the jobs started."""
        since, self._last = self._last, now
        started = []
        for job in self.store.find("job", type="cron"):
            try:
                if not fell_due(job, since, now):
                    continue
                self.start_run(job)
            except ApiError as skipped:  # its previous run is still active: this fire is skipped
                message = f"cml-local: job {job.get('id')} skipped a scheduled run: {skipped}"
                print(message, file=sys.stderr)
                continue
            except Exception as exc:  # one broken job must not stop the others' schedules
                message = f"cml-local: job {job.get('id')} could not be scheduled: {exc!r}"
                print(message, file=sys.stderr)
                continue
            started.append(job["id"])
        return started


def _until_next_minute(now: datetime) -> float:
    # A little past the minute, so a schedule naming this minute is already due.
    following = now.replace(second=0, microsecond=0) + timedelta(minutes=1, seconds=0.5)
    return (following - now).total_seconds()
