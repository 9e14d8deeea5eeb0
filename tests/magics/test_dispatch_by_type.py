"""The magics tell API results and errors apart by their types, not by class-name strings."""

from __future__ import annotations

from cml_magic.api import Job, JobRun, NotFoundError, Project
from cml_magic.api.errors import AuthError
from cml_magic.magics.errors import api_error
from cml_magic.magics.names import NameCache


def test_a_subclass_of_an_api_error_keeps_its_kind_and_hint() -> None:
    class GoneError(NotFoundError):
        pass

    class ExpiredKeyError(AuthError):
        pass

    assert api_error(GoneError("no such job", status=404)).kind == "bad_name"
    assert "check the API key" in str(api_error(ExpiredKeyError("expired", status=401)))


def test_the_name_cache_keeps_api_results_only() -> None:
    impostor = type("Job", (), {"name": "impostor"})()  # named like the API's class only
    cache = NameCache()
    cache.remember([impostor, Job.from_json({"id": "j1", "name": "nightly"})])
    cache.remember([Project.from_json({"id": "p1", "name": "risk"})])
    cache.remember([JobRun.from_json({"id": "r1", "job_id": "j1", "project_id": "p1"})])
    assert cache.names("jobs") == ["nightly"]
    assert cache.names("projects") == ["risk"]
    assert cache.job_of_run("r1") == ("j1", "p1")
