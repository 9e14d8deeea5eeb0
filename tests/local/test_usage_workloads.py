"""Usage and workloads on the local server (ListUsage, ListWorkloadStatus,
ListWorkloadExecutions): computed from the runs, applications and deployments each user started,
in the spec's shapes."""

from __future__ import annotations

from support.rest import Api, make_job, make_project, start_run, wait_run
from support.swagger import answer_problems
from support.waits import wait_for

from cml_magic.local import LocalCML

SLEEPER = "import time\nprint('up', flush=True)\ntime.sleep(60)\n"


def test_usage_lists_what_the_caller_ran(alice: Api, bob: Api) -> None:
    project = make_project(alice, {"job.py": "print('hi')\n"})
    job = make_job(alice, project, script="job.py", cpu=2, memory=3)
    run, _ = wait_run(alice, start_run(alice, job))
    answer = alice.session.get(
        alice.base + "/usage",
        params={"search_filter": f'{{"project_name": "{project["name"]}"}}'},
        timeout=10,
    )
    assert answer.status_code == 200 and answer_problems(answer) == []
    found = answer.json()["usage_response"]
    assert [u["id"] for u in found] == [run["id"]]
    item = found[0]
    assert (item["name"], item["workload_type"], item["creator"]) == (job["name"], "job", "alice")
    assert (item["cpu"], item["memory"], item["status"]) == (2.0, 3.0, "ENGINE_SUCCEEDED")
    assert int(item["duration"]) >= 0 and answer.json()["total_count"] == "1"
    assert item["project_info"]["slug"] == project["slug"]
    # Bob sees none of alice's.
    theirs = bob.get("/usage", params={"page_size": 1000})["usage_response"]
    assert run["id"] not in {u["id"] for u in theirs}


def test_usage_pages_and_counts(alice: Api) -> None:
    project = make_project(alice, {"job.py": "print('hi')\n"})
    job = make_job(alice, project, script="job.py")
    for _ in range(3):
        wait_run(alice, start_run(alice, job))
    where = {"search_filter": f'{{"name": "{job["name"]}"}}', "page_size": 2}
    first = alice.get("/usage", params=where)
    assert len(first["usage_response"]) == 2 and first["total_count"] == "3"
    rest = alice.get("/usage", params={**where, "page_token": first["next_page_token"]})
    assert len(rest["usage_response"]) == 1 and rest["next_page_token"] == ""
    assert alice.get("/usage", expect=400, params={"search_filter": '{"cpu_x": "1"}'})


def test_executions_show_what_runs_now(alice: Api, local_cml: LocalCML) -> None:
    project = make_project(alice, {"sleep.py": SLEEPER})
    job = make_job(alice, project, script="sleep.py")
    run = start_run(alice, job)
    path = f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}"
    wait_for(lambda: alice.get(path)["status"] == "ENGINE_RUNNING", "the run to be running")
    answer = alice.session.get(
        alice.base + "/workloads/executions",
        params={"search_filter": '{"status": "ENGINE_RUNNING"}', "page_size": 1000},
        timeout=10,
    )
    assert answer.status_code == 200 and answer_problems(answer) == []
    body = answer.json()
    mine = [e for e in body["executions"] if e["workload_execution_crn"].endswith(run["id"])]
    assert len(mine) == 1 and mine[0]["end_time"] == "0001-01-01T00:00:00Z"
    workloads = {w["workload_crn"]: w for w in body["workloads"]}
    assert workloads[mine[0]["workload_crn"]]["workload_name"] == job["name"]
    assert workloads[mine[0]["workload_crn"]]["project"]["name"] == project["name"]
    alice.post(path + ":stop")
    wait_run(alice, run)
    after = alice.get("/workloads/executions", params={"page_size": 1000})["executions"]
    ended = [e for e in after if e["workload_execution_crn"].endswith(run["id"])]
    assert ended[0]["status"] == "ENGINE_STOPPED" and ended[0]["end_time"] > ended[0]["start_time"]


def test_workload_status_lists_the_status_words(alice: Api) -> None:
    answer = alice.session.get(alice.base + "/workloadstatus", timeout=10)
    assert answer.status_code == 200 and answer_problems(answer) == []
    words = answer.json()["workload_status"]
    assert {"ENGINE_RUNNING", "APPLICATION_RUNNING", "deployed"} <= set(words)
    assert len(words) == len(set(words))
