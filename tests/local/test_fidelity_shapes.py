"""Shapes and refusals seen in real CML answers: a job without environment answers `""`,
environment values are strings, runtimes are known ones, a JSON body is JSON whatever its
Content-Type, errors keep CML's envelope; and `PUT .../files` uploads like POST."""

from __future__ import annotations

import json
from typing import Any

import requests
from support.rest import Api, make_job, make_project

from cml_magic.local import LocalCML

RUNTIME = (
    "docker.repository.cloudera.com/cloudera/cdsw/"
    "ml-runtime-pbj-workbench-python3.11-standard:2025.09.1-b5"
)
ENVELOPE = {"error", "code", "message", "details"}


def _refused(resp: requests.Response | Any, status: int = 400, code: int = 3) -> str:
    body = resp.json() if isinstance(resp, requests.Response) else resp
    assert set(body) == ENVELOPE, body
    assert body["code"] == code and body["error"] == body["message"], body
    message: str = body["message"]
    return message


def test_a_job_without_environment_answers_an_empty_string(alice: Api) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    job = make_job(alice, project, script="a.py")
    assert job["environment"] == ""
    path = f"/projects/{project['id']}/jobs/{job['id']}"
    assert alice.get(path)["environment"] == ""
    assert make_job(alice, project, script="a.py", environment={})["environment"] == ""
    changed = alice.patch(path, json={"environment": json.dumps({"A": "1"})})
    assert json.loads(changed["environment"]) == {"A": "1"}
    # A run started without environment keeps the "null" of saved real answers.
    run = alice.post(path + "/runs", json={})
    assert run["environment"] == "null"


def test_environment_values_that_are_not_strings_are_refused(alice: Api) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    pid = project["id"]
    job = make_job(alice, project, script="a.py")
    jpath = f"/projects/{pid}/jobs/{job['id']}"
    for method, path, body in (
        ("POST", "/projects", {"name": "env-project", "environment": {"N": 1}}),
        ("POST", f"/projects/{pid}/jobs", {"name": "j", "script": "a.py", "environment": {"N": 1}}),
        ("POST", jpath + "/runs", {"environment": {"FLAG": True}}),
        ("PATCH", jpath, {"environment": json.dumps({"N": 2})}),
        ("PATCH", f"/projects/{pid}", {"environment": {"L": ["x"]}}),
        (
            "POST",
            f"/projects/{pid}/applications",
            {"name": "a", "subdomain": "env-a", "script": "a.py", "environment": {"N": 1.5}},
        ),
    ):
        message = _refused(alice.call(method, path, expect=400, json=body))
        assert "must be a string" in message, (path, message)
    assert alice.get(jpath)["environment"] == ""  # nothing half-stored


def test_unknown_runtime_identifiers_are_refused(alice: Api) -> None:
    project = make_project(alice, {"a.py": "def predict(a):\n    return a\n"})
    pid = project["id"]
    model = alice.post(f"/projects/{pid}/models", json={"name": "m"})
    mpath = f"/projects/{pid}/models/{model['id']}"
    bad = "docker.example/not-a-runtime:1"
    for path, body in (
        (f"/projects/{pid}/jobs", {"name": "j", "script": "a.py", "runtime_identifier": bad}),
        (
            f"/projects/{pid}/applications",
            {"name": "a", "subdomain": "rt-a", "script": "a.py", "runtime_identifier": bad},
        ),
        (
            mpath + "/builds",
            {"file_path": "a.py", "function_name": "predict", "runtime_identifier": bad},
        ),
        (
            f"/projects/{pid}/models",
            {
                "name": "auto",
                "auto_build_model": True,
                "auto_build_config": {
                    "file_path": "a.py",
                    "function_name": "predict",
                    "runtime_identifier": bad,
                },
            },
        ),
    ):
        message = _refused(alice.post(path, expect=400, json=body))
        assert "runtime_identifier" in message and "unknown runtime" in message, message
    job = make_job(alice, project, script="a.py")
    changed = alice.call(
        "PATCH", f"/projects/{pid}/jobs/{job['id']}", expect=400, json={"runtime_identifier": bad}
    )
    assert "unknown runtime" in _refused(changed)
    # A runtime of the catalogue is taken.
    known = make_job(alice, project, script="a.py", runtime_identifier=RUNTIME)
    assert known["runtime_identifier"] == RUNTIME
    assert alice.get("/runtimes", params={"page_size": 100})["runtimes"][0]["image_identifier"]


def test_a_json_body_is_json_whatever_its_content_type(local_cml: LocalCML) -> None:
    url = local_cml.url + "/api/v2/projects"
    auth = {"authorization": "Bearer " + local_cml.api_key}
    for n, content_type in enumerate(
        (None, "application/x-www-form-urlencoded", "text/plain", "application/octet-stream")
    ):
        headers = dict(auth) if content_type is None else {**auth, "content-type": content_type}
        body = json.dumps({"name": f"ctype-{n}-{id(headers)}", "description": "curl -d"})
        resp = requests.post(url, data=body, headers=headers, timeout=30)
        assert resp.status_code == 200, (content_type, resp.text)
        assert resp.json()["description"] == "curl -d"
    bad = requests.post(
        url, data="{not json", headers={**auth, "content-type": "text/plain"}, timeout=30
    )
    assert _refused(bad) == "request body is not valid JSON"


def test_errors_keep_cmls_envelope_never_the_frameworks(local_cml: LocalCML, alice: Api) -> None:
    base = local_cml.url + "/api/v2"
    auth = {"authorization": "Bearer " + local_cml.api_key}
    assert _refused(requests.get(base + "/nope", headers=auth, timeout=30), 404, 5) == "Not Found"
    assert _refused(requests.get(local_cml.url + "/nowhere", timeout=30), 404, 5) == "Not Found"
    moved = requests.put(base + "/projects", headers=auth, json={}, timeout=30)
    assert moved.status_code == 405
    assert _refused(moved, 405, 12) == "Method Not Allowed"
    paged = requests.get(base + "/projects", params={"page_size": "ten"}, headers=auth, timeout=30)
    assert paged.status_code == 400
    assert _refused(paged).startswith("Problem with field page_size: ")
    typed = requests.post(base + "/projects", json={"name": 5}, headers=auth, timeout=30)
    assert _refused(typed).startswith("Problem with field name: ")
    listed = requests.post(base + "/projects", json=[1], headers=auth, timeout=30)
    assert _refused(listed) == "request body must be a JSON object"
    for resp in (moved, paged, typed, listed):
        assert "detail" not in resp.json()


def test_put_uploads_multipart_files_like_post(alice: Api) -> None:
    project = make_project(alice, {})
    pid = project["id"]
    alice.call(
        "PUT",
        f"/projects/{pid}/files",
        files={"data/put.csv": ("put.csv", b"a,b\n1,2\n"), "top.txt": ("top.txt", b"hi")},
    )
    assert alice.download(pid, "data/put.csv").content == b"a,b\n1,2\n"
    assert alice.download(pid, "top.txt").content == b"hi"
    empty = alice.call("PUT", f"/projects/{pid}/files", expect=400, data=b"")
    assert "no file" in _refused(empty) or "multipart" in _refused(empty)
