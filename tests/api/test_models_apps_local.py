"""Models, builds, deployments and applications against the local CML server."""

from __future__ import annotations

import pytest

from cml_magic.api import (
    CML,
    AmbiguousNameError,
    Application,
    Model,
    ModelBuild,
    ModelDeployment,
    NotFoundError,
    Project,
)
from cml_magic.frames import COLUMNS, to_frame

WAIT = 60.0


def test_model_build_deploy_stop_restart(cml: CML, project: Project) -> None:
    model = cml.models.create("scorer", project=project.id, description="demo")
    assert isinstance(model, Model) and model.project_id == project.id
    assert cml.models.get("scorer", project=project.id) == model
    assert cml.models.get(model.id, project=project.id) == model
    assert cml.models.list(project=project.id, search="scor") == [model]

    build = cml.builds.create("scorer", "predict.py", "predict", project=project.id)
    assert isinstance(build, ModelBuild) and build.project_id == project.id
    seen: list[str] = []
    built = cml.wait_for_build(
        build, timeout=WAIT, poll_interval=0.1, on_status=lambda b: seen.append(b.status)
    )
    assert built.finished and built.succeeded and built.built_at is not None
    assert seen[-1] == built.status
    assert cml.builds.list("scorer", project=project.id) == [built]
    assert cml.builds.get(built.id, model.id, project=project.id) == built

    deployment = cml.deployments.create(
        built.id, "scorer", project=project.id, cpu=1, memory=2, replicas=1, environment={"A": "b"}
    )
    assert isinstance(deployment, ModelDeployment)
    assert deployment.environment == {"A": "b"}
    deployed = cml.wait_for_deployment(deployment, timeout=WAIT, poll_interval=0.1)
    assert deployed.status == "deployed" and deployed.succeeded
    # The build is found when not given.
    assert cml.deployments.get(deployed.id, "scorer", project=project.id).id == deployed.id
    assert [d.id for d in cml.deployments.list("scorer", project=project.id)] == [deployed.id]
    listed = cml.deployments.list(model.id, build=built.id, project=project.id)
    assert [d.id for d in listed] == [deployed.id]

    stopping = cml.deployments.stop(deployed.id, "scorer", project=project.id)
    stopped = cml.wait_for_deployment(stopping, timeout=WAIT, poll_interval=0.1)
    assert stopped.status == "stopped" and not stopped.succeeded
    restarted = cml.deployments.restart(deployed.id, "scorer", build=built.id, project=project.id)
    again = cml.wait_for_deployment(restarted, timeout=WAIT, poll_interval=0.1)
    assert again.status == "deployed"
    cml.deployments.stop(again.id, "scorer", project=project.id)

    frame = to_frame(cml.deployments.list("scorer", project=project.id))
    assert list(frame.columns) == list(COLUMNS["deployment"]) and len(frame) == 1

    updated = cml.models.update("scorer", project=project.id, description="changed")
    assert updated.description == "changed"
    with pytest.raises(NotFoundError):
        cml.deployments.get("00000000-0000-0000-0000-000000000000", "scorer", project=project.id)


def test_failed_build(cml: CML, project: Project) -> None:
    cml.files.upload("broken.py", "def predict(args)\n", project=project.id)
    cml.models.create("broken", project=project.id)
    build = cml.builds.create("broken", "broken.py", "predict", project=project.id)
    done = cml.wait_for_build(build, timeout=WAIT, poll_interval=0.1)
    assert done.finished and not done.succeeded


def test_model_names_and_delete(cml: CML, project: Project) -> None:
    first = cml.models.create("twin", project=project.id)
    second = cml.models.create("twin", project=project.id)
    with pytest.raises(AmbiguousNameError) as caught:
        cml.models.get("twin", project=project.id)
    assert {c["id"] for c in caught.value.candidates} == {first.id, second.id}
    cml.models.delete(first.id, project=project.id)
    assert cml.models.get("twin", project=project.id).id == second.id
    assert to_frame(cml.builds.list(second.id, project=project.id)).shape == (
        0,
        len(COLUMNS["build"]),
    )


def test_application_lifecycle(cml: CML, project: Project) -> None:
    app = cml.applications.create(
        "dashboard", "app.py", f"dash-{project.id[:4]}", project=project.id,
        environment={"GREETING": "hi"},
    )  # fmt: skip
    assert isinstance(app, Application) and app.project_id == project.id
    assert app.environment == {"GREETING": "hi"}
    assert cml.applications.get("dashboard", project=project.id).id == app.id
    assert [a.id for a in cml.applications.list(project=project.id, search="dash")] == [app.id]
    updated = cml.applications.update(
        "dashboard", project=project.id, description="now described", environment={"X": "1"}
    )
    assert updated.description == "now described" and updated.environment == {"X": "1"}
    stopped = cml.applications.stop(app.id, project=project.id)
    assert stopped.status in ("APPLICATION_STOPPING", "APPLICATION_STOPPED")
    restarted = cml.applications.restart("dashboard", project=project.id)
    assert restarted.status in ("APPLICATION_STARTING", "APPLICATION_RUNNING")
    cml.applications.stop(app.id, project=project.id)
    cml.applications.delete("dashboard", project=project.id)
    with pytest.raises(NotFoundError):
        cml.applications.get(app.id, project=project.id)
