"""`cml.refresh(obj)` and `cml.stop(obj)` for every kind, and the one resolver of names and
ids, against the local server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cml_magic.api import (
    CML,
    AmbiguousNameError,
    Application,
    Job,
    JobRun,
    ModelBuild,
    ModelDeployment,
    NotFoundError,
    Project,
    Runtime,
    statuses,
)
from cml_magic.api.collection import Collection
from cml_magic.api.waits import wait_until

WAIT = 60.0
SLEEPER = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n"


def _wait_until(cml: CML, obj: Any, done: Callable[[Any], bool]) -> Any:
    return wait_until(obj, cml.refresh, done, what="it", timeout=WAIT, poll_interval=0.05)


def test_refresh_fetches_a_project_job_and_run_again_by_their_ids(
    cml: CML, project: Project
) -> None:
    assert cml.refresh(project) == cml.projects.get(project.id)
    job = cml.jobs.create("again", "analysis.py", project=project.id)
    assert cml.refresh(job) == cml.jobs.get(job.id, project=project.id)
    run = cml.runs.create(job.id, project=project.id)
    done = _wait_until(cml, run, lambda r: r.finished)
    assert isinstance(done, JobRun) and done.id == run.id and done.succeeded
    assert cml.refresh(done).status == "ENGINE_SUCCEEDED"


def test_refresh_and_stop_a_model_build_deployment_and_application(
    cml: CML, project: Project
) -> None:
    model = cml.models.create("again", project=project.id)
    assert cml.refresh(model) == cml.models.get(model.id, project=project.id)
    build = cml.builds.create(model.id, "predict.py", "predict", project=project.id)
    built = _wait_until(cml, build, lambda b: b.finished)
    assert isinstance(built, ModelBuild) and built.succeeded and built.project_id == project.id
    with pytest.raises(TypeError, match="build cannot be stopped"):
        cml.stop(built)
    # A build made from JSON alone does not say its project: the caller does.
    elsewhere = ModelBuild.from_json(built.raw)
    assert cml.refresh(elsewhere, project=project.name).project_id == project.id

    dep = cml.deployments.create(built.id, model.id, project=project.id)
    deployed = _wait_until(cml, dep, lambda d: d.finished)
    assert isinstance(deployed, ModelDeployment) and deployed.status == "deployed"
    # A deployment that does not say its build: the build is looked up.
    bare = ModelDeployment.from_json({**deployed.raw, "build_id": ""})
    assert cml.refresh(bare).id == deployed.id
    stopping = cml.stop(deployed)
    assert isinstance(stopping, ModelDeployment) and stopping.id == deployed.id
    stopped = _wait_until(cml, stopping, lambda d: d.finished)
    assert isinstance(stopped, ModelDeployment) and stopped.status == "stopped"

    app = cml.applications.create("again", "app.py", "again", project=project.id)
    running = _wait_until(cml, app, lambda a: a.finished)
    assert isinstance(running, Application) and running.succeeded
    assert cml.refresh(running).project_id == project.id
    cml.stop(running)
    final = _wait_until(cml, running, lambda a: statuses.APPLICATION.is_final(a.status))
    assert isinstance(final, Application) and final.status == "APPLICATION_STOPPED"


def test_stop_asks_cml_to_stop_a_run(cml: CML, project: Project) -> None:
    cml.files.upload("sleep.py", SLEEPER.encode(), project=project.id)
    job = cml.jobs.create("sleeper", "sleep.py", project=project.id)
    run = cml.runs.create(job.id, project=project.id)
    _wait_until(cml, run, lambda r: r.status == "ENGINE_RUNNING")
    assert cml.stop(run).id == run.id
    stopped = _wait_until(cml, run, lambda r: r.finished)
    assert isinstance(stopped, JobRun) and stopped.status == "ENGINE_STOPPED"


def test_refresh_and_stop_refuse_what_they_cannot_address(cml: CML) -> None:
    with pytest.raises(TypeError, match="Runtime"):
        cml.refresh(Runtime.from_json({"image_identifier": "img"}))
    with pytest.raises(TypeError, match="job cannot be stopped"):
        cml.stop(Job.from_json({"id": "abcd-efgh-ijkl-mnop"}))


def test_every_reference_goes_through_the_one_resolver(cml: CML, project: Project) -> None:
    # Parents by name at every level: project, job, model.
    job = cml.jobs.create("by-name", "analysis.py", project=project.id)
    run = cml.runs.create("by-name", project=project.name)
    assert cml.runs.get(run.id, "by-name", project.name).id == run.id
    assert cml.runs.get(run.id, job.id, project.id).id == run.id
    assert [r.id for r in cml.runs.list("by-name", project=project.name)] == [run.id]
    assert cml.jobs.resolve("by-name", project.id) == job.id == cml.jobs.resolve(job.id, "x")
    model = cml.models.create("by-name", project=project.id)
    assert cml.models.resolve("by-name", project.id) == model.id
    build = cml.builds.create("by-name", "predict.py", "predict", project=project.name)
    assert cml.builds.get(build.id, "by-name", project.name).id == build.id
    app = cml.applications.create("by-name", "app.py", "byname", project=project.id)
    assert cml.applications.resolve("by-name", project.id) == app.id
    assert cml.applications.get("by-name", project=project.name).id == app.id
    cml.applications.stop(app.id, project=project.id)

    # The same errors whichever resource asks: one name, two items; no such name.
    cml.jobs.create("by-name", "fit.py", project=project.id)
    with pytest.raises(AmbiguousNameError) as twice:
        cml.runs.list("by-name", project=project.id)
    assert {c["script"] for c in twice.value.candidates} == {"analysis.py", "fit.py"}
    with pytest.raises(NotFoundError, match=f"no model named 'nope' in project {project.id}"):
        cml.builds.list("nope", project=project.id)
    with pytest.raises(NotFoundError, match="no job named 'nope'"):
        cml.runs.get(run.id, "nope", project.id)


def test_each_resource_declares_where_it_lives(cml: CML) -> None:
    declared = {
        name: (c.parents, c.segment, c.key)
        for name in ("projects", "jobs", "runs", "models", "builds", "deployments")
        if isinstance(c := getattr(cml, name), Collection)
    }
    assert declared["runs"] == (("projects", "jobs"), "runs", "job_runs")
    assert declared["deployments"] == (
        ("projects", "models", "builds"),
        "deployments",
        "model_deployments",
    )
    assert cml.runs._path(["p", "j/1"], "r") == "/api/v2/projects/p/jobs/j%2F1/runs/r"
    assert cml.projects._path([], "p", ":x") == "/api/v2/projects/p:x"
