"""Experiments on the local server, over HTTP: experiments and runs with CML's shapes, logging
(MLflow's limits, a param's first value kept, each batch whole or not at all), metric
histories, listing filters and order, visibility as for projects, and a job run logging with
its own key."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from support.rest import ZERO_TIME, Api, make_job, make_project, run_log, start_run, wait_run

from cml_magic.local import LocalCML, metric_store
from cml_magic.local.store import Store


def _experiment(api: Api, project: dict[str, Any], name: str = "churn") -> dict[str, Any]:
    return api.post(f"/projects/{project['id']}/experiments", json={"name": name})


def _runs(project: dict[str, Any], experiment: dict[str, Any]) -> str:
    return f"/projects/{project['id']}/experiments/{experiment['id']}/runs"


def _points(key: str, steps: range, value: Any = None) -> list[dict[str, Any]]:
    return [
        {"key": key, "value": value if value is not None else s / 10, "step": str(s)} for s in steps
    ]


def test_experiment_lifecycle_with_cml_shapes(alice: Api) -> None:
    project = make_project(alice, {})
    made = alice.post(
        f"/projects/{project['id']}/experiments",
        json={"name": " churn ", "tags": [{"key": "team", "value": "risk"}]},
    )
    assert made["name"] == "churn" and len(made["id"]) == 19
    assert made["project_id"] == project["id"] and made["lifecycle_stage"] == "active"
    assert made["user"]["username"] == "alice" and made["tags"] == [
        {"key": "team", "value": "risk"}
    ]
    path = f"/projects/{project['id']}/experiments/{made['id']}"
    assert alice.get(path) == made
    listed = alice.get(f"/projects/{project['id']}/experiments")
    assert listed == {"experiments": [made], "next_page_token": ""}
    every = alice.get("/experiments", params={"page_size": 100_000})["experiments"]
    assert made["id"] in {e["id"] for e in every}
    changed = alice.patch(path, json={"name": "churn-v2", "tags": [{"key": "k", "value": "v"}]})
    assert changed["name"] == "churn-v2" and len(changed["tags"]) == 2
    alice.delete(path)
    alice.get(path, expect=404)


def test_bad_experiment_input_is_a_4xx_and_stores_nothing(alice: Api) -> None:
    project = make_project(alice, {})
    where = f"/projects/{project['id']}/experiments"
    _experiment(alice, project)
    assert "already exists" in alice.post(where, 409, json={"name": "churn"})["message"]
    assert "needs a name" in alice.post(where, 400, json={"name": "  "})["message"]
    assert alice.post(where, 400, json={"name": 5})["code"] == 3
    assert alice.post(where, 400, json={"name": "x\u0000y"})["code"] == 3
    assert "19 runes" in alice.get(f"{where}/nope", 400)["message"]
    alice.get(f"{where}/aaaa-bbbb-cccc-dddd", 404)
    assert [e["name"] for e in alice.get(where)["experiments"]] == ["churn"]
    # A rename to blanks is refused the same way, and keeps the old name.
    made = alice.get(where)["experiments"][0]
    assert (
        "needs a name" in alice.patch(f"{where}/{made['id']}", 400, json={"name": " "})["message"]
    )
    assert alice.get(f"{where}/{made['id']}")["name"] == "churn"


def test_visibility_is_the_projects(alice: Api, bob: Api) -> None:
    private = make_project(alice, {})
    public = make_project(alice, {}, visibility="public")
    hidden, shown = _experiment(alice, private), _experiment(alice, public)
    bob.get(f"/projects/{private['id']}/experiments/{hidden['id']}", 404)
    assert bob.get(f"/projects/{public['id']}/experiments/{shown['id']}")["id"] == shown["id"]
    bob.post(f"/projects/{public['id']}/experiments", 403, json={"name": "mine"})
    bob.post(_runs(public, shown), 403, json={})
    every = {e["id"] for e in bob.get("/experiments", params={"page_size": 100_000})["experiments"]}
    assert shown["id"] in every and hidden["id"] not in every


def test_runs_log_and_answer_their_latest_metrics(alice: Api) -> None:
    project = make_project(alice, {})
    experiment = _experiment(alice, project)
    runs = _runs(project, experiment)
    run = alice.post(runs, json={"tags": [{"key": "seed", "value": "1"}]})
    assert run["name"] == "run-1" and run["status"] == "EXPERIMENT_RUN_RUNNING"
    assert run["end_time"] == ZERO_TIME and run["start_time"] != ZERO_TIME
    assert run["data"]["metrics"] == [] and run["data"]["tags"] == [{"key": "seed", "value": "1"}]
    # The latest value is the highest step's, even when logged first.
    metrics = _points("loss", range(5, 10)) + _points("loss", range(5))
    body = {"metrics": metrics, "params": [{"key": "lr", "value": "0.1"}]}
    assert alice.post(f"{runs}/{run['id']}:logbatch", json=body) == {}
    got = alice.get(f"{runs}/{run['id']}")
    assert [(m["key"], m["value"], m["step"]) for m in got["data"]["metrics"]] == [
        ("loss", 0.9, "9")
    ]
    assert got["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    history = alice.get(f"{runs}/{run['id']}/metrics/loss")["metrics"]
    assert [m["step"] for m in history] == [str(s) for s in range(10)]
    assert all(m["timestamp"].endswith("Z") for m in history)
    assert alice.get(f"{runs}/{run['id']}/metrics/nothing") == {"metrics": []}
    # Ended: status and end time.
    ended = alice.patch(f"{runs}/{run['id']}", json={"status": "EXPERIMENT_RUN_FINISHED"})
    assert ended["status"] == "EXPERIMENT_RUN_FINISHED" and ended["end_time"] != ZERO_TIME
    assert "Status" in alice.patch(f"{runs}/{run['id']}", 400, json={"status": "done"})["message"]
    blank = alice.patch(f"{runs}/{run['id']}", 400, json={"name": "  "})["message"]
    assert "a run needs a name" in blank
    assert alice.get(f"{runs}/{run['id']}")["name"] == run["name"]


def test_a_bad_batch_stores_nothing_of_itself(alice: Api) -> None:
    project = make_project(alice, {})
    experiment = _experiment(alice, project)
    runs = _runs(project, experiment)
    run = alice.post(runs, json={"run_name": "r"})
    log = f"{runs}/{run['id']}:logbatch"
    alice.post(log, json={"params": [{"key": "lr", "value": "0.1"}]})
    changed = {"metrics": _points("loss", range(3)), "params": [{"key": "lr", "value": "0.2"}]}
    assert "first value" in alice.post(log, 400, json=changed)["message"]
    too_many = {"metrics": _points("loss", range(1001))}
    assert "at most 1000 metrics" in alice.post(log, 400, json=too_many)["message"]
    in_all = {
        "metrics": _points("loss", range(950)),
        "params": [{"key": f"p{n}", "value": ""} for n in range(60)],
    }
    assert "in total" in alice.post(log, 400, json=in_all)["message"]
    assert "key" in alice.post(log, 400, json={"metrics": _points("a\tb", range(1))})["message"]
    nan = '{"metrics": [{"key": "loss", "value": NaN, "step": "1"}]}'
    alice.post(log, 400, data=nan, headers={"content-type": "application/json"})
    bad_time = {"metrics": [{"key": "loss", "value": 1, "timestamp": "yesterday"}]}
    assert "RFC 3339" in alice.post(log, 400, json=bad_time)["message"]
    got = alice.get(f"{runs}/{run['id']}")
    assert got["data"]["metrics"] == [] and got["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    assert alice.get(f"{runs}/{run['id']}/metrics/loss") == {"metrics": []}


def test_delete_batch_and_deletes_take_what_was_logged(alice: Api, local_cml: LocalCML) -> None:
    project = make_project(alice, {})
    experiment = _experiment(alice, project)
    runs = _runs(project, experiment)
    run = alice.post(runs, json={})
    body = {
        "metrics": _points("loss", range(3)) + _points("acc", range(3)),
        "params": [{"key": "lr", "value": "1"}, {"key": "depth", "value": "3"}],
        "tags": [{"key": "t", "value": "x"}],
    }
    alice.post(f"{runs}/{run['id']}:logbatch", json=body)
    forget = {"metrics": ["loss"], "params": ["lr"], "tags": ["t"]}
    alice.post(f"{runs}/{run['id']}:deletebatch", json=forget)
    got = alice.get(f"{runs}/{run['id']}")["data"]
    assert [m["key"] for m in got["metrics"]] == ["acc"]
    assert got["params"] == [{"key": "depth", "value": "3"}] and got["tags"] == []
    assert alice.get(f"{runs}/{run['id']}/metrics/loss") == {"metrics": []}
    other = alice.post(runs, json={})
    alice.post(f"{runs}/{other['id']}:logbatch", json={"metrics": _points("loss", range(4))})
    alice.delete(f"{runs}/{other['id']}")
    alice.get(f"{runs}/{other['id']}", 404)
    alice.delete(f"/projects/{project['id']}")
    # Nothing of the project's runs is left in the metric tables.
    db = sqlite3.connect(Path(local_cml.data_dir) / "cml-local.sqlite3")
    try:
        for table in ("metrics", "latest_metrics"):
            left = db.execute(
                f"SELECT COUNT(*) FROM {table} WHERE run_id IN (?, ?)",  # noqa: S608 - ours
                (run["id"], other["id"]),
            ).fetchone()[0]
            assert left == 0, table
    finally:
        db.close()


def test_run_listing_filters_sorts_and_pages(alice: Api) -> None:
    project = make_project(alice, {})
    experiment = _experiment(alice, project)
    runs = _runs(project, experiment)
    made = []
    for n, (lr, loss) in enumerate([("0.1", 0.5), ("0.01", 0.2), ("0.5", 0.9)]):
        run = alice.post(runs, json={"run_name": f"lr-{lr}"})
        body = {"metrics": [{"key": "loss", "value": loss}], "params": [{"key": "lr", "value": lr}]}
        alice.post(f"{runs}/{run['id']}:logbatch", json=body)
        made.append(run["id"])
        if n == 2:
            alice.patch(f"{runs}/{run['id']}", json={"status": "EXPERIMENT_RUN_FAILED"})

    def names(**params: Any) -> list[str]:
        return [r["name"] for r in alice.get(runs, params=params)["experiment_runs"]]

    assert names() == ["lr-0.1", "lr-0.01", "lr-0.5"]  # in the order they were made
    assert names(sort="metrics.loss") == ["lr-0.01", "lr-0.1", "lr-0.5"]
    assert names(sort="-params.lr") == ["lr-0.5", "lr-0.1", "lr-0.01"]
    assert names(search_filter=json.dumps({"status": "failed"})) == ["lr-0.5"]
    assert names(search_filter=json.dumps({"params.lr": "0.0"})) == ["lr-0.01"]
    assert names(search_filter=json.dumps({"creator.username": "alice"}), sort="name") == [
        "lr-0.01", "lr-0.1", "lr-0.5",
    ]  # fmt: skip
    assert names(search_filter="0.5") == ["lr-0.5"]
    first = alice.get(runs, params={"page_size": 2})
    assert len(first["experiment_runs"]) == 2 and first["next_page_token"]
    rest = alice.get(runs, params={"page_size": 2, "page_token": first["next_page_token"]})
    assert [r["id"] for r in rest["experiment_runs"]] == made[2:]
    assert "not supported" in alice.get(runs, 400, params={"search_filter": '{"x": 1}'})["message"]
    assert "not supported" in alice.get(runs, 400, params={"sort": "colour"})["message"]


def test_metric_queries_use_their_indexes(tmp_path: Path) -> None:
    """A history reads one run's key through the index, a listing one experiment's latest
    values through theirs: neither scans every logged value."""
    store = Store(tmp_path)
    metric_store.add(store, "e", "r", [("loss", 1.0, 1, "2026-01-01T00:00:00.000000Z")])
    with store.transaction() as db:
        plans = {
            "history": "SELECT key, value, step, timestamp FROM metrics WHERE run_id = 'r'"
            " AND key = 'loss' ORDER BY step, timestamp, seq",
            "latest": "SELECT run_id, key, value FROM latest_metrics WHERE experiment_id = 'e'",
        }
        for name, query in plans.items():
            plan = " ".join(str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + query))
            assert "USING" in plan and "INDEX" in plan, (name, plan)
    assert metric_store.latest(store, "e") == {
        "r": [("loss", 1.0, 1, "2026-01-01T00:00:00.000000Z")]
    }
    store.close()


LOGGING_JOB = """
import json, os, urllib.request
base = os.environ["CDSW_API_URL"].removesuffix("/api/v1") + "/api/v2"
where = f"{base}/projects/{os.environ['CDSW_PROJECT_ID']}/experiments/{os.environ['EXPERIMENT']}"
def call(path, body):
    request = urllib.request.Request(
        where + path, data=json.dumps(body).encode(), method="POST",
        headers={"authorization": "Bearer " + os.environ["CDSW_APIV2_KEY"],
                 "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)
run = call("/runs", {"run_name": "from-a-job"})
points = [{"key": "loss", "value": 1 / (step + 1), "step": str(step)} for step in range(20)]
call(f"/runs/{run['id']}:logbatch", {"metrics": points, "params": [{"key": "lr", "value": "0.1"}]})
print("logged", run["id"])
"""


def test_a_job_run_logs_to_an_experiment_with_its_own_key(alice: Api) -> None:
    project = make_project(alice, {"train.py": LOGGING_JOB})
    experiment = _experiment(alice, project)
    job = make_job(alice, project, script="train.py", environment={"EXPERIMENT": experiment["id"]})
    final, _ = wait_run(alice, start_run(alice, job))
    output = run_log(alice, final)
    assert final["status"] == "ENGINE_SUCCEEDED", output
    listed = alice.get(_runs(project, experiment))["experiment_runs"]
    assert [(r["name"], r["user"]["username"]) for r in listed] == [("from-a-job", "alice")]
    assert listed[0]["data"]["metrics"][0]["value"] == pytest.approx(1 / 20)
    assert f"logged {listed[0]['id']}" in output


@pytest.mark.parametrize(
    ("where", "body"),
    [
        ("experiments", {"name": "evil\ud800"}),
        ("experiments", "[1, 2"),
        ("experiments", {"name": "x", "tags": [{"key": "", "value": "v"}]}),
        ("experiments", {"name": "x", "tags": {"not": "a list"}}),
        ("runs", {"run_name": "n" * 256}),
        ("runs", {"start_time": "2026-13-01T00:00:00Z"}),
        ("runs", {"start_time": "2026-01-01T00:00:00"}),
        ("log", {"metrics": [{"key": "loss", "value": "NaN"}]}),
        ("log", '{"metrics": [{"key": "loss", "value": 1e400}]}'),
        ("log", {"metrics": [{"key": "loss", "value": 1, "step": "abc"}]}),
        ("log", {"metrics": [{"key": "loss", "value": 1, "step": str(2**70)}]}),
        ("log", {"metrics": [{"key": "k" * 251, "value": 1}]}),
        ("log", {"params": [{"key": "lr", "value": "v" * 6001}]}),
        ("log", {"tags": [{"key": "t", "value": 5}]}),
        ("log", {"metrics": [{"value": 1}]}),
    ],
)
def test_hostile_bodies_are_a_short_4xx_and_store_nothing(
    alice: Api, where: str, body: Any
) -> None:
    project = make_project(alice, {})
    experiment = _experiment(alice, project)
    runs = _runs(project, experiment)
    run = alice.post(runs, json={"run_name": "r"})
    path = {
        "experiments": f"/projects/{project['id']}/experiments",
        "runs": runs,
        "log": f"{runs}/{run['id']}:logbatch",
    }[where]
    sent = body if isinstance(body, str) else json.dumps(body)
    answer = alice.post(path, None, data=sent.encode("utf-8", "surrogatepass"))
    assert answer["code"] == 3 and len(answer["message"]) < 400, answer
    assert "/" not in answer["message"].split("Problem with field")[0][:1]
    assert [
        e["id"] for e in alice.get(f"/projects/{project['id']}/experiments")["experiments"]
    ] == [experiment["id"]]
    listed = alice.get(runs)["experiment_runs"]
    assert [r["id"] for r in listed] == [run["id"]]
    assert listed[0]["data"]["metrics"] == [] and listed[0]["data"]["params"] == []


def test_bad_list_parameters_are_a_400(alice: Api) -> None:
    project = make_project(alice, {})
    runs = _runs(project, _experiment(alice, project))
    for params in ({"page_size": -1}, {"page_token": "nope"}, {"search_filter": "[1]"}):
        assert alice.get(runs, 400, params=params)["code"] == 3
    assert alice.get(f"{runs}/zzzz", 400)["code"] == 3
    assert alice.get(f"{runs}/aaaa-bbbb-cccc-dddd/metrics/loss", 404)["code"] == 5
