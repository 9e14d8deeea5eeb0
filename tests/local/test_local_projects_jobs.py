"""Projects and jobs: create, update (only fields that are set), delete, as CML does."""

from __future__ import annotations

import json
import time

import psutil
from support.rest import Api, make_job, make_project, start_run
from support.waits import wait_status


def test_project_create_update_delete(alice: Api) -> None:
    project = make_project(alice, {}, description="first", template="python")
    assert project["slug"] == project["name"] and project["visibility"] == "private"
    assert project["creation_status"] == "success" and project["permissions"]["admin"] is True
    names = {f["path"] for f in alice.get(f"/projects/{project['id']}/files/%2F")["files"]}
    assert {"analysis.py", "fit.py", "predict.py", "app.py"} <= names
    dup = alice.post("/projects", expect=409, json={"name": project["name"]})
    assert dup["code"] == 6

    patched = alice.patch(
        f"/projects/{project['id']}",
        json={"visibility": "public", "environment": json.dumps({"K": "v"})},
    )
    assert patched["visibility"] == "public" and patched["description"] == "first"
    assert json.loads(patched["environment"]) == {"K": "v"}
    assert patched["updated_at"] > project["updated_at"]
    bad = alice.patch(f"/projects/{project['id']}", expect=400, json={"visibility": "secret"})
    assert "visibility" in bad["message"]

    job = make_job(alice, project, script="analysis.py", environment={"ANALYSIS_SECONDS": "30"})
    run = start_run(alice, job)
    alice.delete(f"/projects/{project['id']}")
    alice.get(f"/projects/{project['id']}", expect=404)
    alice.get(f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}", expect=404)


def test_bad_project_bodies(alice: Api) -> None:
    assert "name" in alice.post("/projects", expect=400, json={})["message"]
    bad = alice.post("/projects", expect=400, json={"name": "x", "template": "cobol"})
    assert "template" in bad["message"]
    bad = alice.post("/projects", expect=400, json={"name": "x", "visibility": "secret"})
    assert "visibility" in bad["message"]


def test_job_update_changes_only_what_is_set(alice: Api) -> None:
    project = make_project(alice, {"a.py": "print(1)\n", "b.py": "print(2)\n"})
    job = make_job(alice, project, script="a.py", arguments="x", environment={"A": "1"}, timeout=10)
    assert job["type"] == "manual" and job["timezone"] == "America/Los_Angeles"
    path = f"/projects/{project['id']}/jobs/{job['id']}"
    patched = alice.patch(
        path,
        json={
            "script": "b.py",
            "environment": {"B": "2"},
            "paused": True,
            "timezone": "UTC",
            "timeout": "20",
        },
    )
    assert patched["script"] == "b.py" and patched["arguments"] == "x"
    assert json.loads(patched["environment"]) == {"B": "2"}  # the map is replaced
    assert patched["paused"] is False and patched["timezone"] == "America/Los_Angeles"
    assert patched["timeout"] == "20"
    cron = alice.patch(path, json={"schedule": "0 13 * * 1"})
    assert cron["type"] == "cron" and cron["schedule"] == "0 13 * * 1"
    assert alice.patch(path, json={"schedule": ""})["type"] == "manual"
    assert alice.patch(path, expect=400, json={"script": "none.py"})["code"] == 3
    alice.delete(path)
    alice.get(path, expect=404)


def test_jobs_of_every_visible_project(alice: Api, bob: Api) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"}, visibility="public")
    hidden = make_project(alice, {"a.py": "print(1)\n"})
    shown = make_job(alice, project, script="a.py")
    secret = make_job(alice, hidden, script="a.py")
    ids = {j["id"] for j in bob.get("/jobs", params={"page_size": 100000})["jobs"]}
    assert shown["id"] in ids and secret["id"] not in ids
    mine = {j["id"] for j in alice.get("/jobs", params={"page_size": 100000})["jobs"]}
    assert {shown["id"], secret["id"]} <= mine


def test_deleting_a_job_stops_its_run(alice: Api) -> None:
    project = make_project(alice, {"long.py": "import time\ntime.sleep(60)\n"})
    job = make_job(alice, project, script="long.py")
    run = start_run(alice, job)
    runs = f"/projects/{project['id']}/jobs/{job['id']}/runs"
    wait_status(lambda: alice.get(f"{runs}/{run['id']}"), lambda r: r["status"] == "ENGINE_RUNNING")
    marker = f"run:{run['id']}"

    def marked() -> list[psutil.Process]:
        return [
            p
            for p in psutil.process_iter(["environ"])
            if (p.info["environ"] or {}).get("CML_LOCAL_PROCESS") == marker
        ]

    # RUNNING is stored before the gate opens; in the sandbox, the marked process appears once
    # bubblewrap has set up its namespaces, which takes a moment on a loaded machine.
    deadline = time.monotonic() + 15
    while not (procs := marked()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(procs) == 1
    alice.delete(f"/projects/{project['id']}/jobs/{job['id']}")
    _, alive = psutil.wait_procs(procs, timeout=15)
    assert not alive
