"""Deploying a build that is still building, as Cloudera's API walkthrough and cmlutils do:
the deployment waits in `pending`, deploys once the build is built, fails when it fails."""

from __future__ import annotations

import requests
from support.rest import Api, make_project
from support.waits import wait_status

from cml_magic.api.statuses import DEPLOYMENT

# The build imports the file to find the function; this one holds the import (and so the
# build) until the test uploads `go`, so the deployment is surely made mid-build.
GATED = """
import pathlib, time
while not pathlib.Path("go").exists():
    time.sleep(0.02)

def score(args):
    return {"double": 2 * args["n"]}
"""

# Defines the function (the build's create checks that), then fails on import once released.
GATED_FAILING = GATED + "\nraise RuntimeError('this model fails on import')\n"

DEPLOYMENT_FINAL = DEPLOYMENT.final | DEPLOYMENT.settled


def _gated_build(alice: Api, function: str, code: str = GATED) -> tuple[dict, str, str]:
    project = make_project(alice, {"model.py": code})
    model = alice.post(f"/projects/{project['id']}/models", json={"name": "gated"})
    mpath = f"/projects/{project['id']}/models/{model['id']}"
    build = alice.post(mpath + "/builds", json={"file_path": "model.py", "function_name": function})
    return project, mpath, f"{mpath}/builds/{build['id']}"


def _release(alice: Api, project: dict) -> None:
    alice.call("PUT", f"/projects/{project['id']}/files", files={"go": ("go", b"")})


def test_a_deployment_made_while_building_waits_then_deploys(local_cml, alice: Api) -> None:
    project, mpath, bpath = _gated_build(alice, "score")
    dep = alice.post(bpath + "/deployments", json={})  # the walkthrough does not wait
    assert dep["status"] == "pending"
    dpath = f"{bpath}/deployments/{dep['id']}"
    assert alice.get(bpath)["status"] in ("pending", "queued")
    assert alice.get(dpath)["status"] == "pending"  # still waiting for its build
    _release(alice, project)
    deployed, seen = wait_status(
        lambda: alice.get(dpath), lambda d: d["status"] in DEPLOYMENT_FINAL
    )
    assert deployed["status"] == "deployed", seen
    assert alice.get(bpath)["status"] == "built"
    model = alice.get(mpath)
    answer = requests.post(
        local_cml.url + "/model",
        json={"accessKey": model["access_key"], "request": {"n": 21}},
        headers={"authorization": "Bearer " + local_cml.api_key},
        timeout=30,
    )
    assert answer.json() == {"success": True, "response": {"double": 42}}
    alice.post(dpath + ":stop")
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "stopped")


def test_a_deployment_of_a_build_that_fails_fails(alice: Api) -> None:
    project, _, bpath = _gated_build(alice, "score", GATED_FAILING)
    dep = alice.post(bpath + "/deployments", json={})
    dpath = f"{bpath}/deployments/{dep['id']}"
    _release(alice, project)
    failed, seen = wait_status(lambda: alice.get(dpath), lambda d: d["status"] in DEPLOYMENT_FINAL)
    assert failed["status"] == "failed" and "deployed" not in seen, seen
    assert alice.get(bpath)["status"] == "build failed"
    # Once failed, the build refuses new deployments with CML's envelope.
    refused = alice.post(bpath + "/deployments", expect=400, json={})
    assert refused["code"] == 9 and "only a built build deploys" in refused["message"]


def test_a_pending_deployment_can_be_stopped_before_its_build_ends(alice: Api) -> None:
    project, _, bpath = _gated_build(alice, "score")
    dep = alice.post(bpath + "/deployments", json={})
    dpath = f"{bpath}/deployments/{dep['id']}"
    assert alice.post(dpath + ":stop")["status"] == "stopping"
    stopped, _ = wait_status(lambda: alice.get(dpath), lambda d: d["status"] in DEPLOYMENT_FINAL)
    assert stopped["status"] == "stopped"
    _release(alice, project)
    wait_status(lambda: alice.get(bpath), lambda b: b["status"] in ("built", "build failed"))
    assert alice.get(dpath)["status"] == "stopped"  # the build's end does not revive it


def test_a_new_deployment_of_a_model_replaces_the_one_running(local_cml, alice: Api) -> None:
    # CML serves a model from one deployment: deploying again stops the one running.
    project = make_project(alice, {"model.py": "def score(args):\n    return {'n': args['n']}\n"})
    model = alice.post(f"/projects/{project['id']}/models", json={"name": "twice"})
    mpath = f"/projects/{project['id']}/models/{model['id']}"
    build = alice.post(mpath + "/builds", json={"file_path": "model.py", "function_name": "score"})
    bpath = f"{mpath}/builds/{build['id']}"
    first = alice.post(bpath + "/deployments", json={})
    fpath = f"{bpath}/deployments/{first['id']}"
    deployed, seen = wait_status(
        lambda: alice.get(fpath), lambda d: d["status"] in DEPLOYMENT_FINAL
    )
    assert deployed["status"] == "deployed", seen
    second = alice.post(bpath + "/deployments", json={})
    spath = f"{bpath}/deployments/{second['id']}"
    assert alice.get(fpath)["status"] in ("stopping", "stopped")  # at once, not later
    stopped, seen = wait_status(lambda: alice.get(fpath), lambda d: d["status"] == "stopped")
    now, seen = wait_status(lambda: alice.get(spath), lambda d: d["status"] in DEPLOYMENT_FINAL)
    assert now["status"] == "deployed", seen
    listed = alice.get(bpath + "/deployments")["model_deployments"]
    assert sorted(d["status"] for d in listed) == ["deployed", "stopped"]
    alice.post(spath + ":stop")
    wait_status(lambda: alice.get(spath), lambda d: d["status"] == "stopped")
