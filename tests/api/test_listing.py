"""A `Listing` is a read-only sequence over the JSON of one listing, its objects built once on
first access; result classes keep their attributes and defaults however many are built."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from IPython.lib.pretty import pretty

from cml_magic.api import CML, Job, JobRun, Listing, Project, User
from cml_magic.api.serving_objects import Application, ModelBuild
from cml_magic.frames import COLUMNS, to_frame

JOBS = [{"id": f"aaaa-bbbb-cccc-{i:04d}", "name": f"job-{i}", "timeout": str(i)} for i in range(3)]
CLASSES = (Job, JobRun, Project, User, ModelBuild, Application)


def _class_attributes() -> dict[type, dict[str, object]]:
    # A field with a default factory (`raw`, `environment`) has no class attribute.
    return {
        cls: {f.name: getattr(cls, f.name, dataclasses.MISSING) for f in dataclasses.fields(cls)}
        for cls in CLASSES
    }


def test_class_attributes_and_defaults_stay_after_listings(cml: CML) -> None:
    before = _class_attributes()
    defaults = {cls: {f.name: f.default for f in dataclasses.fields(cls)} for cls in CLASSES}
    listing = cml.jobs.list(project="risk-analysis")
    to_frame(listing)
    assert all(job.name for job in listing)
    for cls in CLASSES:
        cls.from_json({"id": "x", "name": "y", "creator": {"username": "u"}})
    assert _class_attributes() == before  # `Job.name` never raises
    assert {cls: {f.name: f.default for f in dataclasses.fields(cls)} for cls in CLASSES} == (
        defaults
    )
    assert (Job().name, Job().timeout, Job().creator, Job.kind, Job.SUMMARY[0]) == (
        "",
        0,
        None,
        "job",
        "name",
    )
    assert Job(name="n").name == "n" and ModelBuild().project_id == ""


def test_a_listing_is_a_read_only_sequence_of_objects_built_once() -> None:
    listing = Listing(Job, JOBS)
    assert isinstance(listing, Sequence) and not isinstance(listing, list)
    assert not hasattr(listing, "append") and not hasattr(listing, "sort")
    assert len(listing) == 3 and listing.kind == "job" and not listing.across_projects
    first = listing[0]
    assert first == Job.from_json(JOBS[0]) and first.timeout == 0
    assert listing[0] is first and next(iter(listing)) is first and listing[-1].name == "job-2"
    assert listing[1:] == [Job.from_json(d) for d in JOBS[1:]] and type(listing[1:]) is list
    assert listing == [Job.from_json(d) for d in JOBS] == listing
    assert listing == Listing(Job, [dict(d) for d in JOBS]) and listing != Listing(Job, JOBS[:2])
    assert first in listing and listing.index(first) == 0
    assert repr(listing) == repr([Job.from_json(d) for d in JOBS])
    with pytest.raises(TypeError):
        hash(listing)


def test_a_listing_keeps_the_json_and_its_objects_copies() -> None:
    data = [dict(d) for d in JOBS]
    listing = Listing(Job, data)
    assert listing.raw == JOBS
    job = listing[0]
    job.raw["name"] = "changed"
    assert listing.raw[0]["name"] == "job-0" and listing[0].name == "job-0"


def test_a_listing_fills_what_cml_does_not_send() -> None:
    builds = Listing(
        ModelBuild, [{"id": "b1"}, {"id": "b2", "project_id": "x"}], extra={"project_id": "p"}
    )
    assert [b.project_id for b in builds] == ["p", "p"]
    assert builds.column("project_id") == ["p", "p"]
    assert builds == [ModelBuild(id="b1", project_id="p"), ModelBuild(id="b2", project_id="p")]


def test_an_empty_listing_knows_its_kind() -> None:
    empty = Listing(JobRun, [], across_projects=True)
    assert len(empty) == 0 and list(empty) == [] and empty.kind == "run" and empty == []
    frame = to_frame(empty)
    assert frame.empty and list(frame.columns)[:2] == [COLUMNS["run"][0], "project"]


def test_listings_and_iterations_from_the_server_agree(cml: CML) -> None:
    listed = cml.jobs.list(project="risk-analysis")
    assert isinstance(listed, Listing) and listed.item is Job
    assert listed == list(cml.jobs.iter(project="risk-analysis"))
    assert [j.raw for j in listed] == listed.raw
    projects = cml.projects.list()
    assert projects == list(cml.projects.iter()) and projects.kind == "project"


def test_a_listing_shows_its_objects_masked() -> None:
    listing = Listing(Job, [{"id": "j", "name": "n", "environment": '{"DB_PASSWORD": "hunter2"}'}])
    for text in (repr(listing), pretty(listing), listing[0]._repr_html_()):
        assert "hunter2" not in text and "******" in text and "n" in text
    assert pretty(listing).startswith("[Job(") and repr(listing).startswith("[Job(id='j'")
