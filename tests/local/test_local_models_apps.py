"""Model builds and deployments (a real loopback worker), and applications as processes."""

from __future__ import annotations

import requests
from support.rest import ZERO_TIME, Api, make_project
from support.waits import wait_status

from cml_magic.api.statuses import BUILD, DEPLOYMENT
from cml_magic.local import LocalCML

MODEL = """
import os
if os.environ.get("FAIL_ON_IMPORT"):
    raise RuntimeError("cannot load")

def score(args):
    return {"sum": args["a"] + args["b"], "region": os.environ.get("REGION")}

def broken(args):
    raise ValueError("bad input")
"""

BUILD_FINAL = BUILD.final
DEPLOYMENT_FINAL = DEPLOYMENT.final | DEPLOYMENT.settled


def _model(api: Api, **fields) -> tuple[dict, str]:
    project = make_project(api, {"model.py": MODEL, "syntax.py": "def f(:\n"})
    model = api.post(f"/projects/{project['id']}/models", json={"name": "m", **fields})
    return project, f"/projects/{project['id']}/models/{model['id']}"


def _build(api: Api, mpath: str, **body) -> tuple[dict, list[str]]:
    build = api.post(mpath + "/builds", json=body)
    assert build["status"] == "pending" and build["built_at"] == ZERO_TIME
    path = f"{mpath}/builds/{build['id']}"
    return wait_status(lambda: api.get(path), lambda b: b["status"] in BUILD_FINAL)


def test_build_succeeds_through_cmls_statuses(alice: Api) -> None:
    _, mpath = _model(alice)
    built, seen = _build(alice, mpath, file_path="model.py", function_name="score")
    order = ["pending", "queued", "pushing", "built"]
    assert seen == [s for s in order if s in seen] and seen[-1] == "built"
    assert built["built_at"] != ZERO_TIME


def test_build_fails_for_a_missing_function_file_or_bad_syntax(alice: Api) -> None:
    project, mpath = _model(alice)
    # A missing file or function is refused when the build is created (checked by parsing);
    # code that does not parse or fails on import fails the build, its log saying why.
    for file_path, function in (("model.py", "nope"), ("none.py", "score")):
        body = {"file_path": file_path, "function_name": function}
        assert alice.post(mpath + "/builds", expect=400, json=body)["code"] == 3
    assert alice.get(mpath + "/builds")["model_builds"] == []
    alice.post(
        f"/projects/{project['id']}/files",
        files={"raises.py": ("raises.py", b"raise RuntimeError('no')\ndef f(a):\n    return a\n")},
    )
    for file_path, function in (("syntax.py", "f"), ("raises.py", "f")):
        failed, _ = _build(alice, mpath, file_path=file_path, function_name=function)
        assert failed["status"] == "build failed", (file_path, function)
        log = alice.download(project["id"], f".cml/builds/{failed['id']}.log").text
        assert log, "the build log says why"
    assert alice.post(mpath + "/builds", expect=400, json={"file_path": "model.py"})["code"] == 3


def test_deployment_serves_the_function_and_stops(local_cml: LocalCML, alice: Api) -> None:
    project, mpath = _model(alice)
    model = alice.get(mpath)
    built, _ = _build(alice, mpath, file_path="model.py", function_name="score")
    dpath = f"{mpath}/builds/{built['id']}/deployments"
    dep = alice.post(dpath, json={"cpu": 1, "memory": 2, "environment": {"REGION": "emea"}})
    assert dep["status"] == "pending"
    dpath += "/" + dep["id"]
    deployed, seen = wait_status(
        lambda: alice.get(dpath), lambda d: d["status"] in DEPLOYMENT_FINAL
    )
    assert seen[-1] == "deployed" and seen == [
        s for s in ("pending", "deploying", "deployed") if s in seen
    ]
    call = {"accessKey": model["access_key"], "request": {"a": 2, "b": 3}}
    auth = {"authorization": "Bearer " + local_cml.api_key}
    answer = requests.post(local_cml.url + "/model", json=call, headers=auth, timeout=30)
    assert answer.json() == {"success": True, "response": {"sum": 5, "region": "emea"}}
    anonymous = requests.post(local_cml.url + "/model", json=call, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["success"] is False
    wrong = requests.post(local_cml.url + "/model", json={"accessKey": "x"}, timeout=30)
    assert wrong.status_code == 404

    stopping = alice.post(dpath + ":stop")
    assert stopping["status"] == "stopping"
    stopped, _ = wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "stopped")
    assert stopped["stopped_at"] != ZERO_TIME
    gone = requests.post(local_cml.url + "/model", json=call, headers=auth, timeout=30)
    assert gone.status_code == 503
    assert alice.post(dpath + ":restart")["status"] == "pending"
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "deployed")
    again = requests.post(local_cml.url + "/model", json=call, headers=auth, timeout=30)
    assert again.json()["response"]["sum"] == 5
    alice.post(dpath + ":stop")
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "stopped")


def test_a_function_error_and_an_unloadable_model(local_cml: LocalCML, alice: Api) -> None:
    _, mpath = _model(alice, disable_authentication=True)
    model = alice.get(mpath)
    assert model["auth_enabled"] is False
    built, _ = _build(alice, mpath, file_path="model.py", function_name="broken")
    deps = f"{mpath}/builds/{built['id']}/deployments"
    dep = alice.post(deps, json={})
    dpath = f"{deps}/{dep['id']}"
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "deployed")
    answer = requests.post(
        local_cml.url + "/model", timeout=30, json={"accessKey": model["access_key"], "request": {}}
    )
    assert answer.status_code == 500
    assert answer.json() == {"success": False, "message": "ValueError: bad input"}
    alice.post(dpath + ":stop")
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "stopped")

    bad = alice.post(deps, json={"environment": {"FAIL_ON_IMPORT": "1"}})
    failed, seen = wait_status(
        lambda: alice.get(f"{deps}/{bad['id']}"), lambda d: d["status"] in DEPLOYMENT_FINAL
    )
    assert seen[-1] == "failed"


def test_deploying_an_unbuilt_build_is_refused(alice: Api) -> None:
    _, mpath = _model(alice)
    failed, _ = _build(alice, mpath, file_path="syntax.py", function_name="f")
    refused = alice.post(f"{mpath}/builds/{failed['id']}/deployments", expect=400, json={})
    assert "only a built build deploys" in refused["message"]


def test_model_create_can_build_and_deploy(alice: Api) -> None:
    project = make_project(alice, {"model.py": MODEL})
    body = {
        "name": "auto",
        "auto_build_model": True,
        "auto_build_config": {"file_path": "model.py", "function_name": "score"},
        "auto_deploy_model": True,
        "auto_deployment_config": {"cpu": 1, "memory": 1},
    }
    model = alice.post(f"/projects/{project['id']}/models", json=body)
    mpath = f"/projects/{project['id']}/models/{model['id']}"
    builds = wait_status(
        lambda: {"status": str(len(alice.get(mpath + "/builds")["model_builds"]))},
        lambda s: s["status"] == "1",
    )
    build = alice.get(mpath + "/builds")["model_builds"][0]
    dpath = f"{mpath}/builds/{build['id']}/deployments"
    wait_status(
        lambda: {"status": str(len(alice.get(dpath)["model_deployments"]))},
        lambda s: s["status"] == "1",
    )
    dep = alice.get(dpath)["model_deployments"][0]
    wait_status(lambda: alice.get(f"{dpath}/{dep['id']}"), lambda d: d["status"] == "deployed")
    alice.post(f"{dpath}/{dep['id']}:stop")
    wait_status(lambda: alice.get(f"{dpath}/{dep['id']}"), lambda d: d["status"] == "stopped")
    assert builds


APP = """
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(os.environ["GREETING"].encode())

HTTPServer(("127.0.0.1", int(os.environ["CDSW_APP_PORT"])), H).serve_forever()
"""


def test_application_runs_restarts_and_stops(local_cml: LocalCML, alice: Api) -> None:
    project = make_project(alice, {"app.py": APP, "crash.py": "raise SystemExit(2)\n"})
    pid = project["id"]
    body = {
        "name": "web",
        "subdomain": f"web{pid.replace('-', '')}",
        "script": "app.py",
        "environment": {"GREETING": "hi"},
    }
    app = alice.post(f"/projects/{pid}/applications", json=body)
    assert app["status"] == "APPLICATION_STARTING"
    path = f"/projects/{pid}/applications/{app['id']}"
    running, _ = wait_status(
        lambda: alice.get(path), lambda a: a["status"] == "APPLICATION_RUNNING"
    )
    assert running["running_at"] != ZERO_TIME
    taken = alice.post(f"/projects/{pid}/applications", expect=409, json=body)
    assert "subdomain" in taken["message"]

    restarted = alice.post(path + ":restart")
    assert restarted["status"] == "APPLICATION_STARTING"
    wait_status(lambda: alice.get(path), lambda a: a["status"] == "APPLICATION_RUNNING")
    stopping = alice.post(path + ":stop")
    assert stopping["status"] == "APPLICATION_STOPPING"
    stopped, _ = wait_status(
        lambda: alice.get(path), lambda a: a["status"] == "APPLICATION_STOPPED"
    )
    assert stopped["stopped_at"] != ZERO_TIME
    assert alice.post(path + ":restart")["status"] == "APPLICATION_STARTING"
    wait_status(lambda: alice.get(path), lambda a: a["status"] == "APPLICATION_RUNNING")
    alice.delete(path)
    alice.get(path, expect=404)

    crash = alice.post(
        f"/projects/{pid}/applications",
        json={**body, "subdomain": body["subdomain"] + "c", "script": "crash.py"},
    )
    wait_status(
        lambda: alice.get(f"/projects/{pid}/applications/{crash['id']}"),
        lambda a: a["status"] == "APPLICATION_FAILED",
    )
    flt = '{"status": "failed"}'
    listed = alice.get(f"/projects/{pid}/applications", params={"search_filter": flt})
    assert [a["id"] for a in listed["applications"]] == [crash["id"]]
