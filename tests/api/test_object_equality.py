"""Result objects compare by their fields (not `raw`), per class, and hash when they can."""

from __future__ import annotations

import pytest

from cml_magic.api import CML
from cml_magic.api.objects import Job, ShortProject, User


def test_equal_fields_make_equal_objects_whatever_else_raw_holds() -> None:
    alice = User.from_json({"username": "alice", "name": "Alice"})
    again = User.from_json({"username": "alice", "name": "Alice", "unknown": 1})
    assert alice == again and hash(alice) == hash(again)
    assert alice == User(username="alice", name="Alice")
    assert alice != User.from_json({"username": "alice", "name": "Alicia"})
    assert len({alice, again, User(username="bob")}) == 2


def test_objects_of_different_classes_never_compare_equal() -> None:
    # Both would have no field set but a name; still a user is not a project.
    assert User(name="x") != ShortProject(name="x")
    assert User(name="x") != "x"


def test_objects_with_a_dict_field_compare_but_do_not_hash() -> None:
    job = Job.from_json({"id": "j1", "name": "n", "environment": '{"A": "1"}'})
    assert job == Job.from_json({"id": "j1", "name": "n", "environment": '{"A": "1"}'})
    assert job != Job.from_json({"id": "j1", "name": "n", "environment": '{"A": "2"}'})
    with pytest.raises(TypeError):
        hash(job)


def test_the_same_job_listed_twice_is_equal(cml: CML) -> None:
    first = cml.jobs.list(project="risk-analysis")
    second = cml.jobs.list(project="risk-analysis")
    assert first == second
    assert first[0] != first[1]
