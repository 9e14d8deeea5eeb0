"""The legacy API v1 routes peers use (cmlutils, cmlbootstrap): minting a v2 key, projects and
their environment by owner and slug, users, the runtime catalogue, and creating, reading,
stopping and deleting jobs by their numeric id. Plain `requests` with Basic auth, the legacy
key as user name and an empty password, as those callers send it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from support.rest import Api, make_project
from support.waits import wait_status

from cml_magic.local import LocalCML

JSON = {"Content-Type": "application/json"}
SLEEPER = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n"


def legacy_key(server: LocalCML, username: str) -> str:
    """The user's legacy key, as the server showed it when it made the user (it keeps only a
    hash)."""
    return server.legacy_keys[username]


class V1:
    """Plain HTTP calls to `/api/v1` as one user (Basic auth with the legacy key)."""

    def __init__(self, server: LocalCML, username: str) -> None:
        self.base = server.url + "/api/v1"
        self.auth = (legacy_key(server, username), "")

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("headers", JSON)
        return requests.request(method, self.base + path, auth=self.auth, timeout=30, **kw)

    def ok(self, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        resp = self.call(method, path, **kw)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        return resp.json() if resp.content else None

    def refused(self, method: str, path: str, expect: int, **kw: Any) -> str:
        resp = self.call(method, path, **kw)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        message: str = resp.json()["message"]
        assert message and "\n" not in message
        return message


@pytest.fixture
def v1_alice(local_cml: LocalCML) -> V1:
    return V1(local_cml, "alice")


@pytest.fixture
def v1_bob(local_cml: LocalCML) -> V1:
    return V1(local_cml, "bob")


def _a_week_ahead() -> str:
    return (datetime.now(UTC) + timedelta(weeks=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_mint_a_v2_key_with_the_legacy_key(local_cml: LocalCML, v1_alice: V1) -> None:
    """cmlutils' first call: the minted key is a v2 Bearer key of the same user."""
    expiry = _a_week_ahead()
    minted = v1_alice.ok("POST", "/users/alice/apikey", json={"expiryDate": expiry})
    assert minted["expiryDate"] == expiry
    check = requests.post(
        local_cml.url + "/api/v2/auth/validate_key",
        headers={"authorization": "Bearer " + minted["apiKey"]},
        json={"audience": "API"},
        timeout=10,
    )
    assert check.status_code == 200 and check.json()["username"] == "alice"


def test_minting_refuses_bad_input_and_other_users(v1_alice: V1, local_cml: LocalCML) -> None:
    path = "/users/alice/apikey"
    assert "expiryDate" in v1_alice.refused("POST", path, 400, json={})
    assert "ISO-8601" in v1_alice.refused("POST", path, 400, json={"expiryDate": "next week"})
    assert "time zone" in v1_alice.refused(
        "POST", path, 400, json={"expiryDate": "2030-01-01T00:00:00"}
    )
    assert "past" in v1_alice.refused(
        "POST", path, 400, json={"expiryDate": "2020-01-01T00:00:00Z"}
    )
    assert v1_alice.refused("POST", path, 400, data="not json")
    week = {"expiryDate": _a_week_ahead()}
    assert "bob" in v1_alice.refused("POST", "/users/bob/apikey", 403, json=week)
    assert "nobody" in v1_alice.refused("POST", "/users/nobody/apikey", 404, json=week)
    anonymous = requests.post(local_cml.url + "/api/v1" + path, json=week, timeout=10)
    assert anonymous.status_code == 401


def test_project_user_and_runtimes_as_cmlutils_reads_them(v1_alice: V1, v1_bob: V1) -> None:
    project = v1_alice.ok("GET", "/projects/alice/risk-analysis")
    assert project["name"] == "risk-analysis" and project["slug"] == "risk-analysis"
    assert project["default_project_engine_type"] == "ml_runtime"
    assert project["project_visibility"] == "public"
    assert isinstance(project["id"], int) and project["id"] > 0
    assert project["owner"]["username"] == "alice" and len(project["public_identifier"]) == 19
    again = v1_bob.ok("GET", "/projects/alice/risk-analysis")  # public: others read it
    assert again["id"] == project["id"]
    assert v1_alice.ok("GET", "/projects/alice/risk-analysis/environment") == {
        "ANALYSIS_REGION": "emea",
        "ANALYSIS_LEVEL": "project",
    }

    alice = v1_bob.ok("GET", "/users/alice")
    assert alice["username"] == "alice" and alice["name"] == "Alice Analyst"
    assert isinstance(alice["id"], int) and alice["id"] != v1_bob.ok("GET", "/users/bob")["id"]
    assert "nobody" in v1_alice.refused("GET", "/users/nobody", 404)

    every = v1_alice.ok("GET", "/runtimes", params={"includeAll": "true"})["runtimes"]
    current = v1_alice.ok("GET", "/runtimes")["runtimes"]
    assert len(every) > len(current) > 0  # deprecated runtimes only with includeAll
    assert {r["id"] for r in every} == set(range(1, len(every) + 1))
    first = every[0]
    assert set(first) >= {"imageIdentifier", "editor", "kernel", "edition", "fullVersion"}
    assert first["fullVersion"].startswith(first["shortVersion"])
    assert v1_alice.refused("GET", "/runtimes", 400, params={"includeAll": "maybe"})


def test_private_projects_are_not_found_for_others(v1_bob: V1) -> None:
    for path in ("/projects/alice/churn-model", "/projects/alice/churn-model/environment"):
        assert "churn-model" in v1_bob.refused("GET", path, 404)
    assert v1_bob.refused("PUT", "/projects/alice/churn-model/environment", 404, json={})
    assert v1_bob.refused("GET", "/projects/alice/churn-model/jobs/1", 404)
    assert v1_bob.refused("GET", "/projects/nobody/nothing", 404)


def test_others_may_not_change_a_public_project(v1_bob: V1) -> None:
    base = "/projects/alice/risk-analysis"
    assert v1_bob.refused("PUT", base + "/environment", 403, json={"A": "b"})
    job = {"name": "intruder", "script": "analysis.py"}
    assert v1_bob.refused("POST", base + "/jobs", 403, json=job)
    assert v1_bob.refused("DELETE", base + "/jobs/208", 403)


def test_environment_get_merge_put_as_cmlbootstrap_does(alice: Api, v1_alice: V1) -> None:
    project = make_project(alice, {}, environment={"KEEP": "1"})
    path = f"/projects/alice/{project['name']}/environment"
    merged = {**v1_alice.ok("GET", path), "ADDED": "two"}
    assert v1_alice.call("PUT", path, json=merged).status_code == 204
    assert v1_alice.ok("GET", path) == {"KEEP": "1", "ADDED": "two"}
    shown = alice.get(f"/projects/{project['id']}")["environment"]
    assert shown == '{"KEEP": "1", "ADDED": "two"}'  # the same variables through v2

    assert "N" in v1_alice.refused("PUT", path, 400, json={"N": 3, "OK": "x"})
    assert v1_alice.refused("PUT", path, 400, json=["A=b"])
    assert v1_alice.refused("PUT", path, 400, data="{not json")
    assert v1_alice.ok("GET", path) == {"KEEP": "1", "ADDED": "two"}  # nothing half-stored


def test_a_job_created_started_stopped_and_deleted_by_v1(alice: Api, v1_alice: V1) -> None:
    project = make_project(alice, {"sleep.py": SLEEPER, "after.py": "print('after')\n"})
    base = f"/projects/alice/{project['name']}/jobs"
    runtimes = v1_alice.ok("GET", "/runtimes", params={"includeAll": "true"})["runtimes"]
    body = {
        "name": "sleeper",
        "type": "manual",
        "script": "sleep.py",
        "timezone": "Europe/Berlin",
        "environment": {"GREETING": "hi"},
        "cpu": 2,
        "memory": 4,
        "nvidia_gpu": 0,
        "timeout": 30,
        "timeout_kill": False,
        "runtime_id": runtimes[1]["id"],
        "attachments": ["out/report.txt"],
        "include_logs": True,
        "notifications": [{"user_id": 1, "success": False}],
    }
    resp = v1_alice.call("POST", base, json=body)
    assert resp.status_code == 201, resp.text
    job = resp.json()
    assert isinstance(job["id"], int) and job["latest"] is None
    assert (job["cpu"], job["memory"], job["nvidia_gpu"]) == (2.0, 4.0, 0)
    assert (job["timeout"], job["timeout_kill"], job["timezone"]) == (30, False, "Europe/Berlin")
    assert job["environment"] == {"GREETING": "hi"} and job["schedule"] == ""
    assert job["report"]["attachments"] == ["out/report.txt"]
    assert job["runtime"] == runtimes[1] and job["parent"] is None
    assert job["project"]["default_project_engine_type"] == "ml_runtime"
    assert job["kernel"] == ""
    v2 = alice.get(f"/projects/{project['id']}/jobs/{job['public_identifier']}")
    assert v2["runtime_identifier"] == runtimes[1]["imageIdentifier"]

    child = v1_alice.ok(
        "POST", base, 201, json={"name": "after", "script": "after.py", "parent_id": job["id"]}
    )
    assert child["parent"]["id"] == job["id"] and child["type"] == "dependent"
    assert child["runtime"] is None

    started = v1_alice.ok("POST", f"{base}/{job['id']}/start", json={})
    latest = v1_alice.ok("GET", f"{base}/{job['id']}")["latest"]
    assert latest["id"] == started["engine_id"]
    wait_status(
        lambda: v1_alice.ok("GET", f"{base}/{job['id']}")["latest"],
        lambda run: run["status"] == "running",
    )
    stopped = v1_alice.ok("POST", f"{base}/{job['id']}/stop", json={})
    assert stopped["latest"]["status"] in ("stopping", "stopped")
    final, _ = wait_status(
        lambda: v1_alice.ok("GET", f"{base}/{job['id']}")["latest"],
        lambda run: run["status"] == "stopped",
    )
    assert final["id"] == started["engine_id"]

    deleted = v1_alice.call("DELETE", f"{base}/{child['id']}")
    assert deleted.status_code == 204 and not deleted.content
    assert v1_alice.refused("GET", f"{base}/{child['id']}", 404)
    assert [j["id"] for j in v1_alice.ok("GET", base)] == [job["id"]]


def test_job_creation_refuses_bad_input(alice: Api, v1_alice: V1) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    base = f"/projects/alice/{project['name']}/jobs"
    good = {"name": "j", "script": "a.py"}
    assert "script" in v1_alice.refused("POST", base, 400, json={"name": "j"})
    assert "missing.py" in v1_alice.refused(
        "POST", base, 400, json={**good, "script": "missing.py"}
    )
    assert "name" in v1_alice.refused("POST", base, 400, json={**good, "name": " "})
    assert "999" in v1_alice.refused("POST", base, 400, json={**good, "runtime_id": 999})
    assert "4242" in v1_alice.refused("POST", base, 404, json={**good, "parent_id": 4242})
    assert "cpu" in v1_alice.refused("POST", base, 400, json={**good, "cpu": "lots"})
    assert "schedule" in v1_alice.refused("POST", base, 400, json={**good, "type": "cron"})
    assert v1_alice.refused("POST", base, 400, json={**good, "schedule": "every day"})
    assert v1_alice.refused("POST", base, 400, json=["j"])
    assert v1_alice.refused("POST", base, 400, data="{")
    assert v1_alice.ok("GET", base) == []  # nothing half-stored
    assert v1_alice.refused("DELETE", base + "/31337", 404)
