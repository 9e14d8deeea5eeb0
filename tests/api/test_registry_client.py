"""`cml.registry` against the local server: registering builds, files and experiment runs'
models as numbered versions, reading and changing them, the visibility rule, and deploying a
version (built from the registry's own copy of its file) that answers at `/model`."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
import pytest
from support.waits import wait_for

from cml_magic import frames
from cml_magic.api import CML, AuthError, BadRequestError, NotFoundError, Project
from cml_magic.api.registry_objects import RegisteredModel, RegisteredModelVersion

WAIT = 60.0
FAST = 0.05
DOUBLE = "def predict(args):\n    return {'prediction': args['x'] * 2}\n"
TRIPLE = "def predict(args):\n    return {'prediction': args['x'] * 3}\n"
# Parses and defines `predict`, so the build is accepted, then fails when the build runs it.
BREAKS = "def predict(args):\n    return {}\n\nraise SystemExit('broken on import')\n"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def built(cml: CML, project: Project, file_path: str = "predict.py") -> Any:
    model = cml.models.create(unique("m"), project=project.id)
    build = cml.builds.create(model.id, file_path, "predict", project=project.id)
    return cml.wait_for_build(build, timeout=WAIT, poll_interval=FAST)


@pytest.fixture
def registered(cml: CML) -> Any:
    """Names of registered models the test makes; each is deleted afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        for found in cml.registry.list(search=name):
            if found.name == name:
                cml.registry.delete(found)


def test_a_build_registers_as_version_one_and_the_next_registrations_add_versions(
    cml: CML, project: Project, registered: list[str]
) -> None:
    name = unique("churn")
    registered.append(name)
    build = built(cml, project)
    assert build.succeeded
    first = cml.registry.register_build(
        name, build, description="the churn model", tags={"stage": "dev"}, notes="first"
    )
    assert isinstance(first, RegisteredModelVersion)
    assert (first.number, first.notes, first.build_id) == (1, "first", build.id)
    assert first.tags["stage"] == "dev" and first.tags["cml.function_name"] == "predict"
    assert first.project_id == project.id
    meta = first.model_version_metadata
    assert meta is not None and meta.mlops_type == "SIMPLE"

    second = cml.registry.create(name, "predict.py", project=project.id, notes="second")
    assert isinstance(second, RegisteredModel)
    assert (second.name, second.count, second.description) == (name, 2, "the churn model")
    assert [v.number for v in second.versions] == [1, 2]
    experiment = cml.experiments.create(unique("exp"), project=project.id)
    logged = cml.experiment_runs.create(experiment.id, project=project.id, name="best")
    run = cml.registry.register_run(name, experiment, logged, "predict.py", project=project.id)
    assert run.number == 3 and run.run_id == logged.id
    assert run.model_version_metadata and run.model_version_metadata.mlops_type == "MLFLOW"
    assert run.model_version_metadata.mlflow_metadata["experiment_id"] == experiment.id

    model = cml.registry.get(name)
    assert model.id == model.model_id == second.id and model.count == 3
    assert model.latest is not None and model.latest.id == run.id
    assert cml.registry.newest_version(name).id == run.id
    # Versions by object, id, number and `v<number>`; a listing pages through them.
    assert cml.registry.get_version(name, 1).id == first.id
    assert cml.registry.get_version(model, "v2").notes == "second"
    assert cml.registry.get_version(model.id, run.id).number == 3
    assert cml.registry.get_version(model, first).id == first.id
    assert [v.number for v in cml.registry.versions(name, page_size=1)] == [1, 2, 3]
    assert [v.number for v in cml.registry.versions(name, sort="-created_at")] == [3, 2, 1]
    only = cml.registry.versions(name, search_filter={"version_number": "2"})
    assert [v.number for v in only] == [2]


def test_versions_and_models_change_and_delete(
    cml: CML, project: Project, registered: list[str]
) -> None:
    name = unique("change")
    registered.append(name)
    cml.registry.create(name, "predict.py", project=project.id, tags={"a": "1"})
    cml.registry.create(name, "predict.py", project=project.id)
    changed = cml.registry.update_version(name, 1, notes="reviewed", tags={"b": "2"})
    assert changed.notes == "reviewed" and changed.tags == {"b": "2"}  # tags are replaced
    assert cml.registry.get_version(name, 1).tags == {"b": "2"}
    model = cml.registry.update(name, description="described", visibility="public")
    assert (model.description, model.visibility) == ("described", "PUBLIC")
    assert cml.refresh(model).description == "described"

    cml.registry.delete_version(name, "v1")
    assert [v.number for v in cml.registry.versions(name)] == [2]
    with pytest.raises(NotFoundError):
        cml.registry.get_version(name, 1)
    # A number is never given twice: the next version is 3, not 1 again.
    assert cml.registry.newest_version(cml.registry.create(name, "fit.py", project.id)).number == 3
    cml.registry.delete(name)
    registered.remove(name)
    assert [m for m in cml.registry.list(search=name)] == []
    with pytest.raises(NotFoundError, match="registered model"):
        cml.registry.get(name)


def test_only_a_built_build_registers_and_nothing_is_stored_when_refused(
    cml: CML, project: Project
) -> None:
    cml.files.upload("breaks.py", BREAKS, project=project.id)
    failed = built(cml, project, "breaks.py")
    assert failed.status == "build failed"
    name = unique("refused")
    with pytest.raises(BadRequestError, match="only a built build registers"):
        cml.registry.register_build(name, failed)
    with pytest.raises(NotFoundError):
        cml.registry.register_build(name, "0e6f9c1e-0000-4000-8000-000000000000", failed.model_id)
    with pytest.raises(BadRequestError, match="model_path"):
        cml.registry.create(name, "no-such-file.py", project=project.id)
    with pytest.raises(BadRequestError, match="experiment_id and run_id"):
        cml.registry.create(name, "predict.py", project=project.id, experiment_id="e")
    with pytest.raises(ValueError, match="PRIVATE or PUBLIC"):  # refused before sending
        cml.registry.create(name, "predict.py", project=project.id, visibility="secret")
    assert list(cml.registry.list(search=name)) == []


def test_a_version_deploys_from_the_registrys_own_copy_of_its_file(
    cml: CML, project: Project, registered: list[str]
) -> None:
    name = unique("served")
    registered.append(name)
    cml.files.upload("double.py", DOUBLE, project=project.id)
    version = cml.registry.register_build(name, built(cml, project, "double.py"))
    # The project's file changes after registering: the registry keeps what was registered.
    cml.files.upload("double.py", TRIPLE, project=project.id, overwrite=True)

    model = cml.models.create(unique("from-registry"), project=project.id, registered_model=name)
    assert model.registered_model_id == version.model_id
    build = cml.builds.create(model.id, project=project.id, registered_model_version=version)
    build = cml.wait_for_build(build, timeout=WAIT, poll_interval=FAST)
    assert build.succeeded, cml.builds.log(build)
    assert build.registered_model_version_id == version.id
    assert (build.function_name, build.file_path.endswith("double.py")) == ("predict", True)
    deployment = cml.deployments.create(build.id, model.id, project=project.id)
    assert cml.wait_for_deployment(deployment, timeout=WAIT, poll_interval=FAST).succeeded
    assert cml.models.predict(model, {"x": 5}) == {"prediction": 10}
    cml.deployments.stop(deployment.id, model.id, build.id, project=project.id)


def test_models_and_builds_refuse_what_the_registry_does_not_hold(
    cml: CML, project: Project
) -> None:
    with pytest.raises(NotFoundError, match="registered model"):
        cml.models.create(unique("m"), project=project.id, registered_model="aaaa-bbbb-cccc-dddd")
    model = cml.models.create(unique("m"), project=project.id)
    with pytest.raises(NotFoundError, match="version"):
        cml.builds.create(model.id, project=project.id, registered_model_version="aaaa-bbbb-cccc")
    assert list(cml.builds.list(model.id, project=project.id)) == []
    with pytest.raises(TypeError, match="file_path and function_name"):
        cml.builds.create(model.id, project=project.id)


def test_private_models_are_their_owners_and_public_ones_everyones(
    cml: CML, bob: CML, project: Project, registered: list[str]
) -> None:
    name = unique("private")
    registered.append(name)
    model = cml.registry.create(name, "predict.py", project=project.id)
    assert model.permission == "write"
    assert name not in {m.name for m in bob.registry.list()}
    with pytest.raises(NotFoundError):
        bob.registry.get(model.id)
    with pytest.raises(NotFoundError):
        bob.registry.get_version(model.id, model.versions[0].id)

    cml.registry.update(model, visibility="PUBLIC")
    seen = bob.registry.get(name)
    assert (seen.permission, seen.owner and seen.owner.username) == ("read", "alice")
    with pytest.raises(AuthError):
        bob.registry.update(model.id, description="mine now")
    with pytest.raises(AuthError):
        bob.registry.delete_version(model.id, 1)
    with pytest.raises(AuthError):
        bob.registry.delete(model.id)
    # bob's project, alice's name: the version would be added to alice's model.
    theirs = bob.projects.create(unique("bobs"), template="python")
    try:
        with pytest.raises(AuthError, match="another user"):
            bob.registry.create(name, "predict.py", project=theirs.id)
    finally:
        bob.projects.delete(theirs.id)
    assert cml.registry.get(name).count == 1


def test_listings_become_frames_with_fixed_typed_columns(
    cml: CML, project: Project, registered: list[str]
) -> None:
    name = unique("framed")
    registered.append(name)
    cml.registry.create(name, "predict.py", project=project.id)
    cml.registry.create(name, "fit.py", project=project.id)
    models = frames.to_frame(cml.registry.list(search=name))
    assert list(models.columns) == list(frames.COLUMNS["registered model"])
    assert models.loc[0, "name"] == name and models.loc[0, "owner"] == "alice"
    assert models["count"].dtype == "int64" and models.loc[0, "count"] == 2
    versions = frames.to_frame(cml.registry.versions(name))
    assert list(versions.columns) == list(frames.COLUMNS["model version"])
    assert versions["number"].tolist() == [1, 2] and versions["number"].dtype == "int64"
    assert isinstance(versions["created_at"].dtype, pd.DatetimeTZDtype)
    empty = frames.to_frame(cml.registry.list(search=unique("none")))
    assert list(empty.columns) == list(frames.COLUMNS["registered model"]) and empty.empty


def test_one_model_request_builds_and_deploys_a_version(
    cml: CML, project: Project, registered: list[str]
) -> None:
    """CreateModelRequest's `auto_build_config` carries the version, as CML's spec has it."""
    name = unique("auto")
    registered.append(name)
    version = cml.registry.register_build(name, built(cml, project))
    model = cml.models.create(
        unique("auto-served"),
        project=project.id,
        registered_model=name,
        auto_build_model=True,
        auto_build_config={"registered_model_version_id": version.id},
        auto_deploy_model=True,
    )
    [build] = cml.builds.list(model.id, project=project.id)
    assert build.registered_model_version_id == version.id
    assert cml.wait_for_build(build, timeout=WAIT, poll_interval=FAST).succeeded

    def deployed() -> Any:
        found = cml.deployments.list(model.id, project=project.id)
        return found[0] if found and found[0].succeeded else None

    deployment = wait_for(deployed, "the automatic deployment", WAIT)
    assert cml.models.predict(model, {"x": 1}) == {"prediction": 2.0}
    cml.deployments.stop(deployment.id, model.id, build.id, project=project.id)
