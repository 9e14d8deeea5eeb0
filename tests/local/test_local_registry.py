"""The local server's model registry over plain HTTP: bad input is a 4xx with a short message
and stores nothing (no version, no copy of a file), registry state survives a restart, and the
experiment fields must name an experiment run the server keeps."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from support.rest import Api, make_project

from cml_magic.local import LocalCML

PREDICT = "def predict(args):\n    return {'prediction': args['x'] * 2}\n"
REGISTRY = "/registry/models"


def register(api: Api, project: dict[str, Any], expect: int = 200, **fields: Any) -> Any:
    body = {"project_id": project["id"], "model_name": f"r-{uuid.uuid4().hex[:8]}"}
    body.update(model_path="predict.py")
    body.update(fields)
    return api.post(REGISTRY, expect, json=body)


def message(answer: Any) -> str:
    return str(answer["message"])


@pytest.fixture
def project(alice: Api) -> dict[str, Any]:
    return make_project(alice, {"predict.py": PREDICT, "data/notes.txt": "x"})


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"model_name": " "}, "needs a model_name"),
        ({"project_id": ""}, "needs the project_id"),
        ({"model_path": ""}, "model_path '' is empty"),
        ({"model_path": "../etc/passwd"}, "inside the project folder"),
        ({"model_path": "missing.py"}, "not found in project directory"),
        ({"model_path": "data"}, "not found in project directory"),
        ({"visibility": "secret"}, "PRIVATE or PUBLIC"),
        ({"tags": [{"value": "no key"}]}, "every tag needs a key"),
        ({"tags": "stage=dev"}, "tags"),
        ({"experiment_id": "e1"}, "experiment_id and run_id go together"),
        ({"tags": [{"key": "cml.build_id", "value": "nope"}]}, "model build nope not found"),
        ({"tags": [{"key": "cml.function_name", "value": "not a name"}]}, "not a Python name"),
        ({"model_name": "nul\x00name"}, "model_name"),
        ({"model_name": "n" * 300}, "model_name"),
        ({"notes": "nul\x00"}, "notes"),
        ({"model_name": {"nested": "object"}}, "model_name"),
        ({"tags": [{"key": "k", "value": 3}]}, "tags"),
    ],
)
def test_bad_registrations_are_4xx_and_store_nothing(
    alice: Api, local_cml: LocalCML, project: dict[str, Any], fields: dict[str, Any], says: str
) -> None:
    copies = local_cml.data_dir / "registry"
    before = sorted(copies.iterdir()) if copies.exists() else []
    name = f"bad-{uuid.uuid4().hex[:8]}"
    body = {"project_id": project["id"], "model_name": name, "model_path": "predict.py"}
    resp = alice.session.post(alice.base + REGISTRY, json={**body, **fields}, timeout=30)
    assert resp.status_code in (400, 404), resp.text
    assert says in message(resp.json()), resp.text
    assert len(message(resp.json()).splitlines()) == 1
    listed = alice.get(REGISTRY, params={"search_filter": json.dumps({"model_name": name})})
    assert listed["models"] == []
    assert (sorted(copies.iterdir()) if copies.exists() else []) == before


def test_errors_have_their_status(alice: Api, bob: Api, project: dict[str, Any]) -> None:
    model = register(alice, project)
    model_id, version_id = model["model_id"], model["model_versions"][0]["model_version_id"]
    alice.get(f"{REGISTRY}/aaaa-bbbb-cccc-dddd", 404)
    alice.get(f"{REGISTRY}/{model_id}/versions/aaaa-bbbb-cccc-dddd", 404)
    alice.patch(REGISTRY, 400, json={"description": "no id"})
    alice.patch(f"{REGISTRY}/{model_id}", 400, json={"notes": "no version id"})
    alice.patch(
        f"{REGISTRY}/{model_id}",
        400,
        json={"model_id": "aaaa-bbbb-cccc-dddd", "model_version_id": version_id},
    )
    alice.get(REGISTRY, 400, params={"search_filter": '{"colour": "red"}'})
    alice.get(REGISTRY, 400, params={"sort": "colour"})
    alice.get(REGISTRY, 400, params={"page_token": "nonsense"})
    alice.get(f"{REGISTRY}/{model_id}", 400, params={"search_filter": '{"name": "x"}'})
    # Another user's private model is not there for bob; a public one he reads, never changes.
    bob.get(f"{REGISTRY}/{model_id}", 404)
    bob.delete(f"{REGISTRY}/{model_id}/versions/{version_id}", 404)
    alice.patch(REGISTRY, json={"model_id": model_id, "visibility": "PUBLIC"})
    assert bob.get(f"{REGISTRY}/{model_id}")["permission"] == "read"
    bob.patch(f"{REGISTRY}/{model_id}", 403, json={"model_version_id": version_id, "notes": "x"})
    bob.delete(f"{REGISTRY}/{model_id}", 403)
    # Registering from a project one may only read is refused too.
    public = make_project(alice, {"predict.py": PREDICT}, visibility="public")
    register(bob, public, 403)


def test_versions_page_and_filter_on_the_model(alice: Api, project: dict[str, Any]) -> None:
    name = f"paged-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        answer = register(alice, project, model_name=name)
    model_id = answer["model_id"]
    assert answer["count"] == 3 and [v["number"] for v in answer["model_versions"]] == [1, 2, 3]
    page = alice.get(f"{REGISTRY}/{model_id}", params={"page_size": 2})
    assert [v["number"] for v in page["model_versions"]] == [1, 2] and page["next_page_token"]
    rest = alice.get(
        f"{REGISTRY}/{model_id}", params={"page_size": 2, "page_token": page["next_page_token"]}
    )
    assert [v["number"] for v in rest["model_versions"]] == [3] and not rest["next_page_token"]
    newest = alice.get(f"{REGISTRY}/{model_id}", params={"sort": "-versions", "page_size": 1})
    assert newest["model_versions"][0]["number"] == 3
    one = alice.get(f"{REGISTRY}/{model_id}", params={"search_filter": '{"version_number":"2"}'})
    assert [v["number"] for v in one["model_versions"]] == [2]
    listed = alice.get(REGISTRY, params={"search_filter": json.dumps({"creator_id": "alice"})})
    assert name in {m["name"] for m in listed["models"]}
    assert all("model_versions" not in m for m in listed["models"])  # RegisteredModelDetails


def test_registry_state_and_copies_survive_a_restart(
    local_cml_factory: Callable[..., LocalCML],
) -> None:
    server = local_cml_factory()
    alice = Api(server)
    project = make_project(alice, {"predict.py": PREDICT})
    model = register(alice, project, model_name="kept", notes="before")
    version_id = model["model_versions"][0]["model_version_id"]
    copy = server.data_dir / "registry" / version_id / "predict.py"
    assert copy.read_text() == PREDICT
    server.restart()
    alice = Api(server)
    again = alice.get(f"{REGISTRY}/{model['model_id']}/versions/{version_id}")
    assert again["notes"] == "before"
    alice.delete(f"{REGISTRY}/{model['model_id']}")
    assert not copy.parent.exists()


def test_experiment_fields_must_name_a_run_the_server_keeps(
    local_cml_factory: Callable[..., LocalCML],
) -> None:
    server = local_cml_factory()
    alice = Api(server)
    project = make_project(alice, {"predict.py": PREDICT})
    other = make_project(alice, {"predict.py": PREDICT})
    # A server that keeps no experiment at all takes no made-up ids either.
    assert "experiment e-1 not found" in message(
        register(alice, project, 404, experiment_id="e-1", run_id="r-1")
    )
    experiments = f"/projects/{project['id']}/experiments"
    experiment = alice.post(experiments, json={"name": "churn"})
    run = alice.post(f"{experiments}/{experiment['id']}/runs", json={"name": "best"})
    assert "run r-9 of experiment" in message(
        register(alice, project, 404, experiment_id=experiment["id"], run_id="r-9")
    )
    # The experiment is the project's: another project cannot register its run.
    assert "not found in project" in message(
        register(alice, other, 404, experiment_id=experiment["id"], run_id=run["id"])
    )
    taken = register(alice, project, experiment_id=experiment["id"], run_id=run["id"])
    meta = taken["model_versions"][0]["model_version_metadata"]
    assert meta["mlops_type"] == "MLFLOW" and meta["mlflow_metadata"]["run_id"] == run["id"]
    # The refused registrations stored nothing: the server holds the one model.
    assert [m["model_id"] for m in alice.get(REGISTRY)["models"]] == [taken["model_id"]]


def test_registrations_at_once_make_one_model_and_distinct_numbers(
    alice: Api, project: dict[str, Any]
) -> None:
    name = f"racing-{uuid.uuid4().hex[:8]}"
    body = {"project_id": project["id"], "model_name": name, "model_path": "predict.py"}
    start = threading.Barrier(6)

    def register_one() -> int:
        with requests.Session() as session:
            session.headers.update(alice.session.headers)
            start.wait()
            return session.post(alice.base + REGISTRY, json=body, timeout=30).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(lambda _: register_one(), range(6))) == [200] * 6
    found = alice.get(REGISTRY, params={"search_filter": json.dumps({"model_name": name})})
    assert [m["count"] for m in found["models"]] == [6]
    model = alice.get(f"{REGISTRY}/{found['models'][0]['model_id']}")
    assert sorted(v["number"] for v in model["model_versions"]) == [1, 2, 3, 4, 5, 6]


def test_a_build_of_a_version_writes_nothing_through_a_link_in_the_project(
    local_cml_factory: Callable[..., LocalCML], tmp_path: Path
) -> None:
    server = local_cml_factory()
    alice = Api(server)
    project = make_project(alice, {"predict.py": PREDICT})
    version = register(alice, project)["model_versions"][0]
    # What a job of the project could leave behind: `.cml/registry` linking elsewhere.
    outside = tmp_path / "outside"
    outside.mkdir()
    hidden = server.data_dir / "projects" / project["id"] / ".cml"
    hidden.mkdir(exist_ok=True)
    (hidden / "registry").symlink_to(outside)
    model = alice.post(f"/projects/{project['id']}/models", json={"name": "linked"})
    refused = alice.post(
        f"/projects/{project['id']}/models/{model['id']}/builds",
        400,
        json={"registered_model_version_id": version["model_version_id"]},
    )
    assert ".cml/registry in the project is not a folder" in message(refused)
    assert list(outside.iterdir()) == []
    assert alice.get(f"/projects/{project['id']}/models/{model['id']}/builds")["model_builds"] == []
