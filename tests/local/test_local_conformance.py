"""Every endpoint's answer against CML's Swagger definitions (field names, types, zero values)."""

from __future__ import annotations

import json

import pytest
from support.rest import Api, make_job, make_project, start_run, wait_run
from support.swagger import conforms, problems
from support.waits import wait_status

P = "/api/v2/projects"
PJ = P + "/{project_id}/jobs"
PM = P + "/{project_id}/models"
PB = PM + "/{model_id}/builds"
PD = PB + "/{build_id}/deployments"
PA = P + "/{project_id}/applications"


def test_the_checker_catches_departures() -> None:
    good = {"path": "a.py", "is_dir": False, "file_size": "12"}
    schema = {"$ref": "#/definitions/FileInfo"}
    assert problems(good, schema) == []
    assert problems({**good, "file_size": 12}, schema)  # int64 must be a string
    assert problems({"path": "a.py", "is_dir": False}, schema)  # zero values are emitted
    assert problems({**good, "extra": 1}, schema)  # nothing the spec does not define
    run = {"$ref": "#/definitions/EngineStatus"}
    assert problems("ENGINE_RUNNING", run) == [] and problems("running", run)


def test_projects_jobs_runs_files_conform(alice: Api) -> None:
    project = make_project(alice, {"ok.py": "print('ok')\n", "d/x.txt": "x"})
    pid = project["id"]
    conforms("post", P, project)
    conforms("get", P, alice.get("/projects", params={"include_public_projects": "true"}))
    conforms("get", P + "/{project_id}", alice.get(f"/projects/{pid}"))
    conforms(
        "patch", P + "/{project.id}", alice.patch(f"/projects/{pid}", json={"description": "d"})
    )
    conforms(
        "get", "/api/v2/projects/batch", alice.get("/projects/batch", params={"project_ids": [pid]})
    )

    job = make_job(alice, project, script="ok.py", environment={"A": "1"}, timeout=30)
    conforms("post", PJ, job)
    conforms("get", PJ, alice.get(f"/projects/{pid}/jobs"))
    conforms("get", "/api/v2/jobs", alice.get("/jobs"))
    conforms("get", PJ + "/{job_id}", alice.get(f"/projects/{pid}/jobs/{job['id']}"))
    patched = alice.patch(f"/projects/{pid}/jobs/{job['id']}", json={"arguments": "x"})
    conforms("patch", PJ + "/{job.id}", patched)

    run = start_run(alice, job, environment={"B": "2"})
    conforms("post", PJ + "/{job_id}/runs", run)
    final, _ = wait_run(alice, run)
    conforms("get", PJ + "/{job_id}/runs/{run_id}", final)
    conforms("get", PJ + "/{job_id}/runs", alice.get(f"/projects/{pid}/jobs/{job['id']}/runs"))

    conforms("get", P + "/{project_id}/files/{path}", alice.get(f"/projects/{pid}/files/%2F"))
    conforms("get", P + "/{project_id}/files/{path}", alice.get(f"/projects/{pid}/files/d"))
    renamed = alice.patch(f"/projects/{pid}/files/d/x.txt", json={"path": "d/y.txt"})
    conforms("patch", P + "/{project_id}/files/{path}", renamed)
    conforms("delete", P + "/{project_id}/files/{path}", alice.delete(f"/projects/{pid}/files/d"))

    conforms("delete", PJ + "/{job_id}", alice.delete(f"/projects/{pid}/jobs/{job['id']}"))
    conforms("delete", P + "/{project_id}", alice.delete(f"/projects/{pid}"))


def test_models_builds_deployments_conform(alice: Api) -> None:
    project = make_project(alice, {"m.py": "def f(args):\n    return {'twice': 2 * args['x']}\n"})
    pid = project["id"]
    model = alice.post(f"/projects/{pid}/models", json={"name": "m", "description": "d"})
    conforms("post", PM, model)
    conforms("get", PM, alice.get(f"/projects/{pid}/models"))
    conforms("get", "/api/v2/models", alice.get("/models"))
    mpath = f"/projects/{pid}/models/{model['id']}"
    conforms("get", PM + "/{model_id}", alice.get(mpath))
    conforms("patch", PM + "/{model.id}", alice.patch(mpath, json={"description": "e"}))
    build = alice.post(mpath + "/builds", json={"file_path": "m.py", "function_name": "f"})
    conforms("post", PB, build)
    bpath = f"{mpath}/builds/{build['id']}"
    built, _ = wait_status(
        lambda: alice.get(bpath), lambda b: b["status"] in ("built", "build failed")
    )
    assert built["status"] == "built"
    conforms("get", PB + "/{build_id}", built)
    conforms("get", PB, alice.get(mpath + "/builds"))
    dep = alice.post(
        bpath + "/deployments", json={"cpu": 1, "memory": 2, "environment": {"E": "1"}}
    )
    conforms("post", PD, dep)
    dpath = f"{bpath}/deployments/{dep['id']}"
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] in ("deployed", "failed"))
    conforms("get", PD + "/{deployment_id}", alice.get(dpath))
    conforms("get", PD, alice.get(bpath + "/deployments"))
    conforms("post", PD + "/{deployment_id}:stop", alice.post(dpath + ":stop"))
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "stopped")
    conforms("post", PD + "/{deployment_id}:restart", alice.post(dpath + ":restart"))
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] in ("deployed", "failed"))
    conforms("delete", PB + "/{build_id}", alice.delete(bpath))
    conforms("delete", PM + "/{model_id}", alice.delete(mpath))


def test_applications_runtimes_and_keys_conform(alice: Api) -> None:
    app_script = "import time\nprint('up', flush=True)\ntime.sleep(60)\n"
    project = make_project(alice, {"app.py": app_script})
    pid = project["id"]
    body = {"name": "a", "subdomain": f"a{pid.replace('-', '')}", "script": "app.py"}
    app = alice.post(f"/projects/{pid}/applications", json=body)
    conforms("post", PA, app)
    apath = f"/projects/{pid}/applications/{app['id']}"
    wait_status(lambda: alice.get(apath), lambda a: a["status"] == "APPLICATION_RUNNING")
    conforms("get", PA, alice.get(f"/projects/{pid}/applications"))
    conforms("get", PA + "/{application_id}", alice.get(apath))
    conforms("patch", PA + "/{application.id}", alice.patch(apath, json={"description": "x"}))
    conforms("post", PA + "/{application_id}:restart", alice.post(apath + ":restart"))
    conforms("post", PA + "/{application_id}:stop", alice.post(apath + ":stop"))
    wait_status(lambda: alice.get(apath), lambda a: a["status"] == "APPLICATION_STOPPED")
    conforms("delete", PA + "/{application_id}", alice.delete(apath))
    conforms("get", "/api/v2/runtimes", alice.get("/runtimes"))
    valid = alice.post("/auth/validate_key", json={"audience": "API"})
    conforms("post", "/api/v2/auth/validate_key", valid)
    assert valid["username"] == "alice" and valid["valid"] is True


@pytest.mark.parametrize(
    ("method", "path", "spec_path", "status"),
    [
        ("get", "/projects/abc", P + "/{project_id}", 400),
        ("get", "/projects/aaaa-bbbb-cccc-dddd", P + "/{project_id}", 404),
        # A bare word is a filter too (Cloudera's docs filter with one): broken JSON is not.
        ("get", "/projects?search_filter={notjson", P, 400),
        ("get", "/projects?sort=-nope", P, 400),
    ],
)
def test_errors_use_the_envelope(
    alice: Api, method: str, path: str, spec_path: str, status: int
) -> None:
    body = alice.call(method, path, expect=status)
    conforms(method, spec_path, body, status=status)
    assert body["error"] == body["message"] and body["details"] == []
    assert body["code"] in (3, 5)


def test_environment_is_json_text(alice: Api) -> None:
    project = make_project(alice, {}, environment={"K": "v"})
    assert json.loads(project["environment"]) == {"K": "v"}
