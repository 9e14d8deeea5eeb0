"""Result objects are converted from their JSON when built, and a `Listing` keeps the JSON and
builds its objects on first access: whatever the order of reads, the values, equality, copies
and DataFrames are those of objects converted at once."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pandas as pd
import pytest

from cml_magic.api import Job, JobRun, Listing, Project, Resource, User
from cml_magic.frames import COLUMNS, to_frame

ALICE = {"username": "alice", "name": "Alice", "email": "a@x"}
JOBS = [
    {
        "id": f"aaaa-bbbb-cccc-{i:04d}",
        "name": f"job-{i}",
        "script": "etl.py",
        "type": "manual",
        "created_at": "2026-11-25T20:00:00.123456789Z",
        "updated_at": "0001-01-01T00:00:00Z" if i % 2 else "2026-11-25T21:00:00+01:00",
        "timeout": str(i),
        "cpu": "1.5",
        "paused": "t",
        "environment": '{"A": "1"}',
        "creator": dict(ALICE) if i % 3 else {**ALICE, "username": "bob"},
        "project": {"public_identifier": "pppp-qqqq-rrrr-ssss", "name": "risk"},
    }
    for i in range(7)
] + [{"id": 12345, "name": 7, "type": None, "creator": "not an object", "created_at": 0}]
OLD_PROJECT = {
    "id": "llgb-lqu2-7ivf-is2r",
    "name": "API V2 Demo",
    "full_name": "api-v2-demo",
    "project_visibility": "private",
    "owner": {"username": "alice"},
    "created_at": "2021-07-20T10:00:00Z",
}


def read_all(obj: Resource) -> Resource:
    for f in dataclasses.fields(obj):
        getattr(obj, f.name)
    return obj


def test_fields_read_in_any_order_equal_fields_read_at_once() -> None:
    for data in JOBS:
        eager = read_all(Job.from_json(data))
        lazy = Job.from_json(data)
        for f in reversed(dataclasses.fields(Job)):
            assert getattr(lazy, f.name) == getattr(eager, f.name), f.name
        assert lazy == eager and repr(lazy) == repr(eager)
    assert Job.from_json(JOBS[0]) == Job.from_json(JOBS[0])  # compared before any read
    assert Job.from_json(JOBS[0]) != Job.from_json(JOBS[1])


def test_from_json_converts_its_own_copy() -> None:
    data = copy.deepcopy(JOBS[0])
    job = Job.from_json(data)
    data["name"] = "changed"
    data["timeout"] = "99"
    assert job.name == "job-0" and job.timeout == 0 and job.raw["name"] == "job-0"


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Unbuilt(Job):
    """A job that cannot be built: a listing of it shows what reads only the JSON."""

    @classmethod
    def from_json(cls, data: Any, **extra: Any) -> Unbuilt:
        raise AssertionError("an object was built")


def test_a_frame_of_a_listing_equals_one_of_its_objects() -> None:
    unread = Listing(Unbuilt, JOBS)
    read = [read_all(Job.from_json(d)) for d in JOBS]
    frame = to_frame(unread)
    pd.testing.assert_frame_equal(frame, to_frame(read), check_exact=True)
    pd.testing.assert_frame_equal(frame, to_frame(Listing(Job, JOBS)), check_exact=True)
    assert list(frame["creator"]) == [j.creator.username if j.creator else "" for j in read]
    assert frame["updated_at"].isna().tolist() == [j.updated_at is None for j in read]
    # A frame reads the listing's JSON: it builds no object.
    assert len(unread) == len(JOBS)


def test_a_frame_of_mixed_objects_takes_each_objects_values() -> None:
    built = Job(id="zzzz-zzzz-zzzz-zzzz", name="made here", creator=User(username="carol"))
    partly = Job.from_json(JOBS[1])
    assert partly.name == "job-1"
    frame = to_frame([built, partly, Job.from_json(JOBS[2])])
    assert list(frame["name"]) == ["made here", "job-1", "job-2"]
    assert list(frame["creator"]) == ["carol", "alice", "alice"]
    assert frame["created_at"].isna().tolist() == [True, False, False]


def test_a_listings_column_of_a_field_its_objects_lack() -> None:
    runs = Listing(JobRun, [{"id": "r", "status": "ENGINE_FAILED"}])
    assert (runs.column("status", None), runs.column("script", None)) == (
        ["ENGINE_FAILED"],
        [None],
    )
    with pytest.raises(AttributeError, match="script"):
        runs.column("script")
    with pytest.raises(AttributeError, match="no attribute 'bogus'"):
        Job.from_json(JOBS[0]).bogus  # noqa: B018


def test_an_older_projects_fields_in_objects_and_frames() -> None:
    project = Project.from_json(OLD_PROJECT)
    row = to_frame([project]).iloc[0]
    assert (row["visibility"], row["owner"]) == ("private", "alice")
    assert (project.slug, project.visibility) == ("api-v2-demo", "private")
    assert project.raw == OLD_PROJECT
    assert list(to_frame([Project.from_json(OLD_PROJECT)]).columns) == list(COLUMNS["project"])
    listed = to_frame(Listing(Project, [OLD_PROJECT]))
    pd.testing.assert_frame_equal(listed, to_frame([project]), check_exact=True)


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_copies_of_unread_objects_are_equal(duplicate: Any) -> None:
    job = Job.from_json(JOBS[4])
    twin = duplicate(job)
    assert twin == job and twin.created_at == read_all(job).created_at
    assert dataclasses.replace(Job.from_json(JOBS[4]), name="x").timeout == 4


def test_objects_made_directly_keep_their_defaults() -> None:
    Job.from_json(JOBS[0])
    job = Job(name="nightly")
    assert (job.name, job.cpu, job.creator, job.environment, job.raw) == (
        "nightly",
        0.0,
        None,
        {},
        {},
    )
    assert not hasattr(job, "bogus")


def test_a_subclass_built_from_json_converts_inherited_fields() -> None:
    @dataclasses.dataclass(frozen=True, repr=False)
    class TaggedJob(Job):
        tag: str = ""

    job = TaggedJob.from_json({**JOBS[0], "tag": 5})
    assert (job.cpu, job.timeout, job.paused, job.tag) == (1.5, 0, True, "5")
    assert TaggedJob(tag="x").cpu == 0.0
