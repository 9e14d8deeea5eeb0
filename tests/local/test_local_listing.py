"""Paging, `search_filter` and `sort` as CML does them; bad bodies get a clear 400."""

from __future__ import annotations

import json

import pytest
from support.rest import Api, make_job, make_project


@pytest.fixture
def five_jobs(alice: Api) -> tuple[dict, list[dict]]:
    project = make_project(alice, {"a.py": "print(1)\n", "b.py": "print(2)\n"})
    names = ["delta", "alpha", "echo", "Bravo", "charlie"]
    jobs = [
        make_job(alice, project, name=n, script="a.py" if i % 2 else "b.py")
        for i, n in enumerate(names)
    ]
    return project, jobs


def test_default_page_is_ten_and_tokens_walk_every_item(alice: Api) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    made = [make_job(alice, project, script="a.py")["id"] for _ in range(12)]
    first = alice.get(f"/projects/{project['id']}/jobs")
    assert len(first["jobs"]) == 10 and first["next_page_token"]
    seen, token = [], ""
    while True:
        params = {"page_size": 5, **({"page_token": token} if token else {})}
        page = alice.get(f"/projects/{project['id']}/jobs", params=params)
        seen += [j["id"] for j in page["jobs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == made
    camel = alice.get(f"/projects/{project['id']}/jobs", params={"pageSize": 3})
    assert len(camel["jobs"]) == 3


def test_page_size_bounds(alice: Api, five_jobs) -> None:
    project, _ = five_jobs
    path = f"/projects/{project['id']}/jobs"
    assert len(alice.get(path, params={"page_size": 100000})["jobs"]) == 5
    assert alice.get(path, params={"page_size": -1}, expect=400)["code"] == 3
    assert alice.get(path, params={"page_size": 100001}, expect=400)["code"] == 3
    assert "page_token" in alice.get(path, params={"page_token": "garbage"}, expect=400)["message"]


def test_filter_is_a_case_sensitive_substring_and_keys_are_anded(alice: Api, five_jobs) -> None:
    project, _ = five_jobs
    path = f"/projects/{project['id']}/jobs"

    def names(flt: dict) -> list[str]:
        got = alice.get(path, params={"search_filter": json.dumps(flt)})["jobs"]
        return sorted(j["name"] for j in got)

    assert names({"name": "a"}) == ["Bravo", "alpha", "charlie", "delta"]
    assert names({"name": "bravo"}) == []  # case-sensitive
    assert names({"name": "a", "script": "b.py"}) == ["charlie", "delta"]
    assert names({"creator.username": "alice"}) == sorted(
        ["delta", "alpha", "echo", "Bravo", "charlie"]
    )
    bad = alice.get(path, params={"search_filter": '{"colour": "red"}'}, expect=400)
    assert "colour" in bad["message"] and "supported" in bad["message"]
    assert alice.get(path, params={"search_filter": "[1]"}, expect=400)["code"] == 3


def test_sort_by_several_keys(alice: Api, five_jobs) -> None:
    project, _ = five_jobs
    path = f"/projects/{project['id']}/jobs"

    def order(sort: str) -> list[str]:
        return [j["name"] for j in alice.get(path, params={"sort": sort})["jobs"]]

    assert order("name") == ["Bravo", "alpha", "charlie", "delta", "echo"]
    assert order("-name") == ["echo", "delta", "charlie", "alpha", "Bravo"]
    assert order("+script,-name") == ["alpha", "Bravo", "echo", "delta", "charlie"]
    assert order("-created_at")[0] == "charlie"
    assert alice.get(path, params={"sort": "colour"}, expect=400)["code"] == 3


def test_run_status_filter_takes_lower_case_names(alice: Api) -> None:
    from support.rest import start_run, wait_run

    project = make_project(alice, {"ok.py": "print(1)\n", "bad.py": "raise SystemExit(1)\n"})
    job = make_job(alice, project, script="ok.py")
    wait_run(alice, start_run(alice, job))
    alice.patch(f"/projects/{project['id']}/jobs/{job['id']}", json={"script": "bad.py"})
    wait_run(alice, start_run(alice, job))
    path = f"/projects/{project['id']}/jobs/{job['id']}/runs"
    for status, expected in (("succeeded", "ENGINE_SUCCEEDED"), ("failed", "ENGINE_FAILED")):
        runs = alice.get(path, params={"search_filter": json.dumps({"status": status})})
        assert [r["status"] for r in runs["job_runs"]] == [expected]
    newest = alice.get(path, params={"sort": "-created_at", "page_size": 1})["job_runs"]
    assert newest[0]["status"] == "ENGINE_FAILED"


def test_runtimes_filter(alice: Api) -> None:
    flt = json.dumps({"kernel": "Python 3.12", "edition": "Standard", "editor": "JupyterLab"})
    runtimes = alice.get("/runtimes", params={"search_filter": flt})["runtimes"]
    assert len(runtimes) == 1 and runtimes[0]["status"] == "ENABLED"
    assert runtimes[0]["image_identifier"].startswith("docker.repository.cloudera.com/")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "", "script": "a.py"}, "needs a name"),
        ({"name": "x", "script": "missing.py"}, "script 'missing.py' not found"),
        ({"name": "x", "script": "a.py", "timeout": "soon"}, "timeout"),
        ({"name": "x", "script": "a.py", "environment": ["A"]}, "environment"),
        ({"name": "x", "script": "../../etc/passwd"}, "not found in project directory"),
        ({"name": "x", "script": "a.py", "arguments": "'open"}, "No closing quotation"),
    ],
)
def test_bad_job_bodies_get_one_clear_line(alice: Api, body: dict, fragment: str) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    answer = alice.post(f"/projects/{project['id']}/jobs", expect=400, json=body)
    assert fragment in answer["message"] and "\n" not in answer["message"]
    assert answer["code"] == 3


def test_body_that_is_not_json_is_400(alice: Api) -> None:
    resp = alice.session.post(
        alice.base + "/projects",
        data="{nope",
        timeout=10,
        headers={"content-type": "application/json"},
    )
    assert resp.status_code == 400 and "JSON" in resp.json()["message"]


def test_pages_hold_the_same_json_as_the_whole_list_and_single_gets(alice: Api, five_jobs) -> None:
    project, _ = five_jobs
    path = f"/projects/{project['id']}/jobs"
    whole = alice.get(path, params={"page_size": 100})["jobs"]
    paged, token = [], ""
    while True:
        params = {"page_size": 2, **({"page_token": token} if token else {})}
        page = alice.get(path, params=params)
        paged += page["jobs"]
        token = page["next_page_token"]
        if not token:
            break
    assert paged == whole
    assert whole == [alice.get(f"{path}/{job['id']}") for job in whole]
    sorted_page = alice.get(path, params={"sort": "name", "page_size": 2})["jobs"]
    assert [j["name"] for j in sorted_page] == ["Bravo", "alpha"]
    by_name = {j["name"]: j for j in whole}
    assert sorted_page == [by_name["Bravo"], by_name["alpha"]]
