"""A model build's file_path and function_name are checked like a job's script: inside the
project (no `..`, no absolute path, no symlink out), the file exists, the function is defined
(found by parsing, never importing). Bad input is a 400 with a short message; nothing stored."""

from __future__ import annotations

import os

import pytest
from support.rest import Api, make_job, make_project

from cml_magic.local import LocalCML

MODEL = (
    "import json\nfrom os.path import basename as named\n\n"
    "def predict(args):\n    return args\n\nscore = predict\n"
)


def _builds(api: Api, mpath: str) -> list:
    return api.get(mpath + "/builds")["model_builds"]


@pytest.fixture
def models(alice: Api, bob: Api) -> tuple[Api, str, dict, str]:
    """bob's model in a project of his, and alice's private project beside it."""
    private = make_project(alice, {"predict.py": MODEL})
    project = make_project(bob, {"predict.py": MODEL, "notes.txt": "x\n"})
    model = bob.post(f"/projects/{project['id']}/models", json={"name": "m"})
    return bob, f"/projects/{project['id']}/models/{model['id']}", project, private["id"]


@pytest.mark.parametrize(
    ("file_path", "function_name"),
    [
        ("../{private}/predict.py", "predict"),  # alice's private code
        ("/etc/passwd", "predict"),
        ("../../cml-local.sqlite3", "predict"),
        ("./../predict.py", "predict"),
        ("missing.py", "predict"),
        ("notes.txt", "predict"),  # no such function in it
        ("predict.py", "nope"),
        ("predict.py", "not a name"),
        ("predict.py", "json"),  # a module it imports, not a function
        ("bad\0name.py", "predict"),
        ("x" * 300 + ".py", "predict"),
        ("predict.py\ud800", "predict"),
    ],
)
def test_a_bad_build_is_400_and_stores_nothing(models, file_path: str, function_name: str) -> None:
    bob, mpath, _, private = models
    body = {"file_path": file_path.format(private=private), "function_name": function_name}
    answer = bob.post(mpath + "/builds", expect=400, json=body)
    assert answer["code"] == 3 and "\n" not in answer["message"]
    assert len(answer["message"]) < 200
    assert _builds(bob, mpath) == []


def test_a_symlink_out_of_the_project_is_refused(local_cml: LocalCML, models) -> None:
    bob, mpath, project, private = models
    folder = local_cml.data_dir / "projects" / project["id"]
    os.symlink(local_cml.data_dir / "projects" / private / "predict.py", folder / "link.py")
    body = {"file_path": "link.py", "function_name": "predict"}
    assert "project directory" in bob.post(mpath + "/builds", expect=400, json=body)["message"]
    assert _builds(bob, mpath) == []


def test_functions_defined_by_def_assignment_or_from_import_build(models) -> None:
    bob, mpath, _, _ = models
    for name in ("predict", "score", "named"):
        bob.post(mpath + "/builds", json={"file_path": "predict.py", "function_name": name})
    assert len(_builds(bob, mpath)) == 3


def test_model_create_with_a_bad_auto_build_stores_no_model(models, bob: Api) -> None:
    _, _, project, private = models
    before = bob.get(f"/projects/{project['id']}/models")["models"]
    body = {
        "name": "auto",
        "auto_build_model": True,
        "auto_build_config": {"file_path": f"../{private}/predict.py", "function_name": "predict"},
    }
    bob.post(f"/projects/{project['id']}/models", expect=400, json=body)
    assert bob.get(f"/projects/{project['id']}/models")["models"] == before


@pytest.mark.parametrize("script", ["bad\0name.py", "x" * 300 + ".py", "../../cml-local.sqlite3"])
def test_job_and_application_scripts_use_the_same_check(alice: Api, script: str) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    answer = alice.post(
        f"/projects/{project['id']}/jobs", expect=400, json={"name": "j", "script": script}
    )
    assert answer["code"] == 3 and len(answer["message"]) < 200
    app = {"name": "a", "subdomain": "never", "script": script}
    assert alice.post(f"/projects/{project['id']}/applications", expect=400, json=app)["code"] == 3
    job = make_job(alice, project, script="a.py")
    path = f"/projects/{project['id']}/jobs/{job['id']}"
    assert alice.patch(path, expect=400, json={"script": script})["code"] == 3
