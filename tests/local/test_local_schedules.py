"""Cron schedules: validated over HTTP, and fired by the scheduler at the minutes they name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.rest import Api, make_job, make_project

from cml_magic.local import LocalCML
from cml_magic.local.errors import precondition
from cml_magic.local.scheduler import Scheduler, _until_next_minute
from cml_magic.local.store import Doc, Store


def test_a_schedule_must_be_five_valid_cron_fields(alice: Api) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    jobs = f"/projects/{project['id']}/jobs"
    for bad in ("every day", "* * * *", "61 * * * *", "* * * * * *"):
        answer = alice.post(jobs, expect=400, json={"name": "j", "script": "a.py", "schedule": bad})
        assert answer["code"] == 3 and "schedule" in answer["message"]
    job = alice.post(jobs, json={"name": "j", "script": "a.py", "schedule": "*/15 9-17 * * 1-5"})
    assert job["type"] == "cron"
    alice.patch(f"{jobs}/{job['id']}", expect=400, json={"schedule": "0 25 * * *"})
    assert alice.get(f"{jobs}/{job['id']}")["schedule"] == "*/15 9-17 * * 1-5"


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A stopped server's data holding scheduled jobs made over HTTP, keyed by job name."""
    data_dir = tmp_path_factory.mktemp("cron")
    with LocalCML(data_dir, seed="demo", phase_delay=0.05) as server:
        api = Api(server, "alice")
        project = make_project(api, {"a.py": "print(1)\n"})
        jobs = {
            "hourly": {"schedule": "0 * * * *", "timezone": "UTC"},
            "tokyo-nine": {"schedule": "0 9 * * *", "timezone": "Asia/Tokyo"},
            "paused": {"schedule": "* * * * *", "timezone": "UTC", "paused": True},
            "manual": {},
        }
        made = {
            name: make_job(api, project, name=name, script="a.py", **fields)
            for name, fields in jobs.items()
        }
    yield data_dir, made


def _tick(
    data_dir: Path, since: datetime, now: datetime, refuse: frozenset[str] = frozenset()
) -> Any:
    store = Store(data_dir)
    started: list[str] = []

    def start_run(job: Doc) -> None:
        if job["name"] in refuse:
            raise precondition(f"job {job['id']} already has an active run")
        started.append(job["name"])

    try:
        scheduler = Scheduler(store, start_run, clock=lambda: since)
        fired = scheduler.tick(now)
        return sorted(started), fired
    finally:
        store.close()


def test_jobs_fire_at_the_minutes_their_schedule_names(scheduled: Any) -> None:
    data_dir, made = scheduled
    at = datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo, an hour boundary in UTC
    started, fired = _tick(data_dir, at - timedelta(seconds=30), at + timedelta(seconds=1))
    assert started == ["hourly", "tokyo-nine"]
    assert sorted(fired) == sorted([made["hourly"]["id"], made["tokyo-nine"]["id"]])
    # Half past: nothing is due, and 09:00 UTC is not 09:00 in Tokyo.
    assert _tick(data_dir, at + timedelta(minutes=29), at + timedelta(minutes=31))[0] == []
    nine_utc = at + timedelta(hours=9)
    assert _tick(data_dir, nine_utc - timedelta(seconds=30), nine_utc)[0] == ["hourly"]


def test_a_fire_whose_job_is_still_running_is_skipped(scheduled: Any) -> None:
    data_dir, _ = scheduled
    at = datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC)
    started, _ = _tick(data_dir, at - timedelta(seconds=30), at, refuse=frozenset({"hourly"}))
    assert started == ["tokyo-nine"]


def test_the_scheduler_wakes_just_after_each_minute() -> None:
    at = datetime(2026, 3, 2, 10, 41, 59, 900000, tzinfo=UTC)
    assert _until_next_minute(at) == pytest.approx(0.6)
    assert _until_next_minute(at.replace(second=0, microsecond=0)) == pytest.approx(60.5)
