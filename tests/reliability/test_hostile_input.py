"""Bad input is never stored and never answered with a 500: the local server, over a real
socket, refuses each hostile request with a short 4xx that shows no server path, stores
nothing of it, and afterwards every listing still works for everyone."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from support.hostile import User, check_refusal, listings_work, v1_auth

from cml_magic.local import LocalCML
from cml_magic.local.scheduler import Scheduler
from cml_magic.local.store import Doc, Store

EVIL = "evil\ud800"  # what Python makes of a file name that is not UTF-8
NEVER_DUE = "0 0 30 2 *"  # February 30th: valid cron fields, no such day
LONG = "x" * 5000


@pytest.fixture(scope="module")
def server() -> Iterator[LocalCML]:
    """A private demo server: the hostile requests must not reach other tests' servers."""
    with LocalCML(seed="demo", phase_delay=0.05, max_upload_mb=2) as server:
        yield server


@pytest.fixture(scope="module")
def alice(server: LocalCML) -> User:
    return User(server, "alice")


@pytest.fixture(scope="module")
def bob(server: LocalCML) -> User:
    return User(server, "bob")


@pytest.fixture(scope="module")
def place(alice: User) -> dict[str, Any]:
    """alice's scratch project with a script, a model file and a job, for the hostile bodies."""
    project = alice.scratch({"a.py": "print(1)\n", "predict.py": "def predict(a):\n    return a\n"})
    job = alice.ok("POST", f"/projects/{project['id']}/jobs", {"name": "base", "script": "a.py"})
    return {"project": project, "pid": project["id"], "job": job}


def _names(user: User, path: str, plural: str) -> list[str]:
    return [item["name"] for item in user.ok("GET", path, params={"page_size": 1000})[plural]]


# text fields ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "project_body",
    [
        {"name": EVIL},
        {"name": "ok-name-1", "description": EVIL},
        {"name": "ok-name-2", "environment": {"A": EVIL}},
        {"name": "ok-name-3", "environment": {EVIL: "1"}},
        {"name": "nul\x00name"},
        {"name": "n" * 256},
        {"name": "ok-name-4", "description": "d" * 70_000},
    ],
)
def test_a_bad_text_is_refused_and_nothing_is_stored(
    server: LocalCML, alice: User, bob: User, project_body: dict[str, Any]
) -> None:
    before = _names(alice, "/projects", "projects")
    alice.refused("POST", "/projects", project_body, 400)
    assert _names(alice, "/projects", "projects") == before
    listings_work(server, alice, bob)


def test_a_lone_surrogate_is_refused_in_every_create_and_update(
    server: LocalCML, alice: User, bob: User, place: dict[str, Any]
) -> None:
    pid, job = place["pid"], place["job"]
    jobs, models = f"/projects/{pid}/jobs", f"/projects/{pid}/models"
    apps = f"/projects/{pid}/applications"
    alice.refused("POST", jobs, {"name": EVIL, "script": "a.py"}, 400)
    alice.refused("POST", jobs, {"name": "j", "script": "a.py", "arguments": EVIL}, 400)
    alice.refused("PATCH", f"{jobs}/{job['id']}", {"name": EVIL}, 400)
    alice.refused("POST", f"{jobs}/{job['id']}/runs", {"environment": {"X": EVIL}}, 400)
    alice.refused("POST", models, {"name": EVIL}, 400)
    alice.refused("POST", apps, {"name": EVIL, "subdomain": "evil", "script": "a.py"}, 400)
    alice.refused("PATCH", f"/projects/{pid}", {"name": EVIL}, 400)
    alice.refused("PATCH", f"/projects/{pid}", {"description": "nul\x00"}, 400)
    # PATCH takes environment as JSON text too: its escapes are checked like any other text.
    for env in ({"A": EVIL}, {"A": "nul\x00"}, {"A=B": "1"}):
        alice.refused("PATCH", f"/projects/{pid}", {"environment": json.dumps(env)}, 400)
        alice.refused("PATCH", f"{jobs}/{job['id']}", {"environment": json.dumps(env)}, 400)
    alice.refused("PATCH", f"/projects/{pid}", {"environment": "[" * 5000}, 400)
    assert _names(alice, jobs, "jobs") == ["base"]
    assert _names(alice, models, "models") == [] and _names(alice, apps, "applications") == []
    assert alice.ok("GET", f"{jobs}/{job['id']}/runs")["job_runs"] == []
    assert alice.ok("GET", f"/projects/{pid}")["name"] == place["project"]["name"]
    assert alice.ok("GET", f"/projects/{pid}")["environment"] == "{}"
    listings_work(server, alice, bob)


def test_a_model_refused_for_its_deployment_config_leaves_no_model_or_build(
    server: LocalCML, alice: User, place: dict[str, Any]
) -> None:
    models = f"/projects/{place['pid']}/models"
    build = {"file_path": "predict.py", "function_name": "predict"}
    for config in ({"cpu": "lots"}, {"cpu": -1}, {"memory": 1e308}, {"replicas": "many"}):
        body = {
            "name": "refused-model",
            "auto_build_model": True,
            "auto_build_config": build,
            "auto_deploy_model": True,
            "auto_deployment_config": config,
        }
        message = alice.refused("POST", models, body, 400)
        assert "auto_deployment_config" in message
    assert _names(alice, models, "models") == []
    assert "refused-model" not in _names(alice, "/models", "models")
    store = Store(server.data_dir)  # no build was recorded either, even one the API cannot reach
    try:
        assert store.find("build", place["pid"]) == [] and store.find("model", place["pid"]) == []
    finally:
        store.close()


# schedules -----------------------------------------------------------------------------------


def test_a_schedule_that_never_comes_due_is_refused(alice: User, place: dict[str, Any]) -> None:
    jobs = f"/projects/{place['pid']}/jobs"
    message = alice.refused("POST", jobs, {"name": "feb30", "script": "a.py",
                                           "schedule": NEVER_DUE}, 400)  # fmt: skip
    assert "never" in message
    assert "feb30" not in _names(alice, jobs, "jobs")
    alice.refused("PATCH", f"{jobs}/{place['job']['id']}", {"schedule": NEVER_DUE}, 400)
    assert alice.ok("GET", f"{jobs}/{place['job']['id']}")["schedule"] == ""


def test_the_scheduler_outlives_a_job_whose_schedule_never_comes_due(tmp_path: Path) -> None:
    """A never-due job put into the store directly (as one stored before the rule): the cron
    loop logs it and keeps starting the other jobs' runs, minute after minute."""
    store = Store(tmp_path)
    stamp = "2026-01-01T00:00:00.000000Z"
    common = {"project_id": "p", "script": "a.py", "type": "cron", "timezone": "UTC",
              "created_at": stamp, "updated_at": stamp}  # fmt: skip
    store.put("job", {**common, "id": "feb30", "schedule": NEVER_DUE})
    store.put("job", {**common, "id": "broken", "schedule": "* * * * *", "timezone": 7})
    store.put("job", {**common, "id": "every-minute", "schedule": "* * * * *"})
    minutes = iter(datetime(2026, 3, 1, 12, 0, 59, 900_000, tzinfo=UTC) + timedelta(minutes=n)
                   for n in range(10_000))  # fmt: skip
    started: list[str] = []
    enough = threading.Event()

    def start_run(job: Doc) -> None:
        if job["id"] == "broken":
            raise RuntimeError("this job's run cannot start")
        started.append(job["id"])
        if len(started) >= 3:
            enough.set()

    cron = Scheduler(store, start_run, clock=lambda: next(minutes))
    cron.start()
    try:
        assert enough.wait(60), f"the scheduler stopped starting runs (started {started})"
        assert cron._thread is not None and cron._thread.is_alive()
    finally:
        cron.stop()
        store.close()
    assert set(started) == {"every-minute"}


# dependent jobs ------------------------------------------------------------------------------


def test_parent_id_cannot_be_the_job_itself_a_cycle_or_another_users_private_job(
    server: LocalCML, alice: User, bob: User
) -> None:
    project = alice.scratch({"a.py": "print(1)\n"})
    jobs = f"/projects/{project['id']}/jobs"
    first = alice.ok("POST", jobs, {"name": "first", "script": "a.py"})
    second = alice.ok("POST", jobs, {"name": "second", "script": "a.py", "parent_id": first["id"]})
    third = alice.ok("POST", jobs, {"name": "third", "script": "a.py", "parent_id": second["id"]})
    alice.refused("PATCH", f"{jobs}/{first['id']}", {"parent_id": first["id"]}, 400)
    alice.refused("PATCH", f"{jobs}/{first['id']}", {"parent_id": second["id"]}, 400)
    alice.refused("PATCH", f"{jobs}/{first['id']}", {"parent_id": third["id"]}, 400)
    hidden = bob.scratch({"b.py": "print(2)\n"})
    bobs = bob.ok("POST", f"/projects/{hidden['id']}/jobs", {"name": "private", "script": "b.py"})
    alice.refused("PATCH", f"{jobs}/{first['id']}", {"parent_id": bobs["id"]}, 404)
    alice.refused("POST", jobs, {"name": "x", "script": "a.py", "parent_id": bobs["id"]}, 404)
    assert alice.ok("GET", f"{jobs}/{first['id']}")["parent_id"] == ""
    assert alice.ok("GET", f"{jobs}/{first['id']}")["type"] == "manual"
    # Moving a job under another branch is still fine.
    fourth = alice.ok("POST", jobs, {"name": "fourth", "script": "a.py"})
    alice.ok("PATCH", f"{jobs}/{third['id']}", {"parent_id": fourth["id"]})
    listings_work(server, alice, bob)


# project slugs -------------------------------------------------------------------------------


def test_non_latin_project_names_get_unique_slugs(server: LocalCML, alice: User) -> None:
    made = [alice.ok("POST", "/projects", {"name": name}) for name in ("数据分析", "機械学習")]
    slugs = [p["slug"] for p in made]
    assert len(set(slugs)) == 2 and all(s.startswith("project") for s in slugs), slugs
    for project in made:  # each is reachable by its slug through API v1
        url = f"{server.url}/api/v1/projects/alice/{project['slug']}/jobs"
        assert requests.get(url, auth=v1_auth(server, "alice"), timeout=30).json() == []
    alice.refused("POST", "/projects", {"name": "数据分析"}, 409)  # the same name twice


# other 500s ----------------------------------------------------------------------------------


def test_v1_job_id_that_only_looks_numeric(server: LocalCML) -> None:
    base = f"{server.url}/api/v1/projects/alice/risk-analysis/jobs"
    for job_id in ("²", "١٢", "⑦"):
        resp = requests.get(f"{base}/{job_id}", auth=v1_auth(server, "alice"), timeout=30)
        assert resp.status_code == 404, (job_id, resp.status_code, resp.text)


def test_a_deeply_nested_search_filter(alice: User) -> None:
    for text in ('{"name": ' + "[" * 5000 + "]" * 5000 + "}", "[" * 5000, '{"name": {"a": 1}}'):
        alice.refused("GET", "/projects", params={"search_filter": text}, status=400)


@pytest.mark.parametrize(
    "fields",
    [
        {"script": "a\x00.py"},
        {"script": "s" * 300 + ".py"},
        {"script": "d/" * 2100 + "a.py"},
        {"environment": {"": "1"}},
        {"environment": {"A=B": "1"}},
        {"environment": {"A\x00": "1"}},
        {"environment": {"1A": "1"}},
        {"environment": {"A": "nul\x00value"}},
        {"cpu": "NaN"},
        {"cpu": "Infinity"},
        {"cpu": -1},
        {"memory": 1e308},
        {"nvidia_gpu": -2},
        {"timeout": 10**30},
        {"timezone": "Mars/Olympus"},
        {"timezone": "../../etc/passwd"},
        {"timezone": "Mars/" + LONG},
        {"schedule": "0 0 " + LONG},
        {"name": "n" * 256},
    ],
)
def test_bad_job_fields_are_refused_at_create_and_update(
    alice: User, place: dict[str, Any], fields: dict[str, Any]
) -> None:
    jobs = f"/projects/{place['pid']}/jobs"
    body = {"name": "bad-fields", "script": "a.py", **fields}
    message = alice.refused("POST", jobs, body, 400)
    assert LONG[:200] not in message
    alice.refused("PATCH", f"{jobs}/{place['job']['id']}", fields, 400)
    assert "bad-fields" not in _names(alice, jobs, "jobs")
    assert alice.ok("GET", f"{jobs}/{place['job']['id']}")["cpu"] == 1.0


def test_bad_numbers_elsewhere(alice: User, place: dict[str, Any]) -> None:
    pid = place["pid"]
    app = {"name": "app", "subdomain": "hostile-app", "script": "a.py"}
    for bad in ({"cpu": "NaN"}, {"memory": -1}, {"memory": 1e308}):
        alice.refused("POST", f"/projects/{pid}/applications", {**app, **bad}, 400)
    assert _names(alice, f"/projects/{pid}/applications", "applications") == []
    alice.refused("POST", "/projects", {"name": "p", "shared_memory_limit": -1}, 400)


def test_messages_quote_at_most_about_a_hundred_characters(
    alice: User, place: dict[str, Any]
) -> None:
    pid = place["pid"]
    cases: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("POST", "/projects", {"name": "p", "visibility": LONG}, {}),
        ("POST", "/projects", {"name": "p", "template": LONG}, {}),
        ("POST", "/projects", {"name": "p", "default_project_engine_type": LONG}, {}),
        ("POST", "/projects", {"name": "p", "environment": {LONG: "1"}}, {}),
        ("GET", "/projects", None, {"params": {"search_filter": "{" + LONG}}),
        ("GET", "/projects", None, {"params": {"search_filter": json.dumps({LONG: "1"})}}),
        ("GET", "/projects", None, {"params": {"sort": LONG}}),
        ("GET", "/projects", None, {"params": {"page_token": LONG}}),
        ("GET", f"/projects/{pid}/files/{LONG}", None, {}),
        ("POST", f"/projects/{pid}/jobs", {"name": "j", "script": LONG}, {}),
    ]
    for method, path, body, kw in cases:
        message = alice.refused(method, path, body, **kw)
        assert "x" * 120 not in message, (method, path, message)


# the whole set -------------------------------------------------------------------------------


def test_the_whole_hostile_set_answers_4xx_and_listings_still_work(
    server: LocalCML, alice: User, bob: User, place: dict[str, Any]
) -> None:
    pid, job_id = place["pid"], place["job"]["id"]
    jobs, job = f"/projects/{pid}/jobs", f"/projects/{pid}/jobs/{job_id}"
    files = f"/projects/{pid}/files"
    private = alice.project("churn-model")["id"]
    hostile: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("POST", "/projects", {"name": EVIL}, {}),
        ("POST", "/projects", {"name": "", "description": EVIL}, {}),
        ("POST", "/projects", "[1, 2", {}),
        ("POST", "/projects", '"just a string"', {}),
        ("POST", "/projects", {"name": {"nested": "object"}}, {}),
        ("PATCH", f"/projects/{pid}", {"name": "\x00"}, {}),
        ("POST", jobs, {"name": "j", "script": "a.py", "schedule": NEVER_DUE}, {}),
        ("PATCH", job, {"schedule": NEVER_DUE}, {}),
        ("PATCH", job, {"parent_id": job_id}, {}),
        ("PATCH", job, {"parent_id": "zzzz-zzzz-zzzz-zzzz"}, {}),
        ("PATCH", job, {"parent_id": "²"}, {}),
        ("POST", jobs, {"name": "j", "script": "a\x00"}, {}),
        ("POST", jobs, {"name": "j", "script": "s" * 300}, {}),
        ("POST", jobs, {"name": "j", "script": "a.py", "environment": {"A=B": "1"}}, {}),
        ("POST", jobs, {"name": "j", "script": "a.py", "cpu": "NaN"}, {}),
        ("POST", jobs, {"name": "j", "script": "a.py", "memory": 1e308}, {}),
        ("POST", jobs, {"name": "j", "script": "a.py", "timezone": "Mars/Olympus"}, {}),
        ("POST", f"{job}/runs", {"environment": {"": "x"}}, {}),
        (
            "POST",
            f"/projects/{pid}/models",
            {
                "name": "m",
                "auto_build_model": True,
                "auto_build_config": {"file_path": "predict.py", "function_name": "predict"},
                "auto_deploy_model": True,
                "auto_deployment_config": {"cpu": "lots"},
            },
            {},
        ),  # fmt: skip
        (
            "POST",
            f"/projects/{pid}/models",
            {
                "name": "m",
                "auto_build_model": True,
                "auto_build_config": {"file_path": "p\x00y", "function_name": "f"},
            },
            {},
        ),  # fmt: skip
        ("GET", "/projects", None, {"params": {"search_filter": "[" * 5000}}),
        ("GET", f"{server.url}/api/v1/projects/alice/risk-analysis/jobs/²", None, {}),
        ("GET", f"{files}/a%00b", None, {}),
        ("GET", f"{files}/{'f' * 300}", None, {}),
        ("POST", f"{files}/{'f' * 300}:download", None, {}),
        ("DELETE", f"{files}/{'f' * 300}", None, {}),
        ("PATCH", f"{files}/a.py", {"path": "."}, {}),
        ("PATCH", f"{files}/a.py", {"path": "predict.py"}, {}),
        ("PATCH", f"{files}/a.py", {"path": "b\x00.py"}, {}),
        ("PATCH", f"{files}/a.py", {"path": "../../escape.py"}, {}),
        ("DELETE", f"{files}/%2E", None, {}),
        ("GET", f"/projects/{private}/jobs", None, {"as": bob}),
        ("PATCH", f"/projects/{private}", {"name": "mine"}, {"as": bob}),
    ]
    # What a run may leave in its project: a link loop and a dangling link.
    folder = server.data_dir / "projects" / pid
    os.symlink("loop", folder / "loop")
    os.symlink("gone.txt", folder / "dangling")
    multipart = {"content-type": "multipart/form-data; boundary=b"}
    hostile += [
        ("GET", f"{files}/loop", None, {}),
        ("GET", f"{files}/loop/x", None, {}),
        ("POST", f"{files}/loop:download", None, {}),
        ("PATCH", f"{files}/dangling", {"path": "a.py"}, {}),
        ("POST", files, iter([b"x" * 2**20] * 3), {"headers": multipart}),  # over the 2 MiB cap
        ("POST", files, b"--b\r\nnot multipart", {"headers": multipart}),
        ("POST", files, b"plain", {"headers": {"content-type": "text/plain"}}),
    ]  # fmt: skip
    for method, path, body, kw in hostile:
        user = kw.pop("as", alice)
        if path.startswith(server.url + "/api/v1"):
            resp = requests.get(path, auth=v1_auth(server, user.name), timeout=30)
            check_refusal(server, resp, None, path)
            continue
        user.refused(method, path, body, **kw)
    assert {"loop", "dangling"} <= {f["path"] for f in alice.ok("GET", f"{files}/%2F")["files"]}
    listings_work(server, alice, bob)
