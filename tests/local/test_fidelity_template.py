"""The Python template holds every file the seeds' examples and Cloudera's API walkthrough
use, and each runs as they use it: analysis.py, fit.py and pi.py as jobs, entry.py as a job
and as an application, app.py as an application, predict.py and pi.py as models."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import requests
from support.rest import Api, make_job, run_log, start_run, wait_run
from support.waits import WAIT_SECONDS, wait_status

from cml_magic.api.statuses import DEPLOYMENT
from cml_magic.local import LocalCML

TEMPLATE_FILES = {"analysis.py", "app.py", "entry.py", "fit.py", "pi.py", "predict.py", "train.py"}
DEPLOYMENT_FINAL = DEPLOYMENT.final | DEPLOYMENT.settled


def _python_project(alice: Api) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    return alice.post(
        "/projects",
        json={
            "name": "APIv2 Test Project " + tag,
            "description": "Project for testing APIv2",
            "template": "Python",
        },
    )


def _log_line(read: Callable[[], str], pattern: str) -> re.Match[str]:
    """Wait for a line of the log `read` answers matching `pattern`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        text = read()
        found = re.search(pattern, text)
        if found:
            return found
        assert time.monotonic() < deadline, f"no {pattern!r} in {text!r}"
        time.sleep(0.05)


def _project_log(alice: Api, pid: str, path: str) -> Callable[[], str]:
    def read() -> str:
        resp = alice.download(pid, path)
        return resp.text if resp.status_code == 200 else ""

    return read


def test_the_python_template_holds_every_file_the_examples_use(alice: Api) -> None:
    project = _python_project(alice)
    files = alice.get(f"/projects/{project['id']}/files/")["files"]
    assert {f["path"] for f in files} >= TEMPLATE_FILES


def test_the_template_scripts_run_as_jobs(alice: Api) -> None:
    project = _python_project(alice)
    for script, says in (
        ("analysis.py", "wrote output/analysis-"),
        ("fit.py", "fitted y ="),
        ("pi.py", "pi is roughly 3."),
    ):
        job = make_job(
            alice, project, name="APIv2 Test Job " + script, kernel="python3", script=script
        )
        run, seen = wait_run(alice, start_run(alice, job))
        assert run["status"] == "ENGINE_SUCCEEDED", (script, seen, run_log(alice, run))
        assert says in run_log(alice, run), script
        # The demo jobs save their output in the project themselves (cml_magic.runlog).
        saved = alice.download(project["id"], f".cml/runs/{run['id']}.log")
        assert saved.status_code == 200 and says in saved.text, script


def test_entry_py_as_a_job_serves_until_stopped(alice: Api) -> None:
    """The walkthrough's child job runs entry.py, a script that does not end, to show stop."""
    project = _python_project(alice)
    job = make_job(alice, project, name="childJob", kernel="python3", script="entry.py")
    run = start_run(alice, job)
    path = f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}"
    wait_status(lambda: alice.get(path), lambda r: r["status"] == "ENGINE_RUNNING")
    port = _log_line(lambda: run_log(alice, run), r"serving on [\d.]+:(\d+)")
    page = requests.get(f"http://127.0.0.1:{port[1]}/", timeout=10)
    assert page.status_code == 200 and "entry.py" in page.text
    alice.post(path + ":stop")
    stopped, _ = wait_run(alice, run)
    assert stopped["status"] == "ENGINE_STOPPED"


def test_entry_py_and_app_py_serve_as_applications(alice: Api) -> None:
    project = _python_project(alice)
    pid = project["id"]
    for script in ("entry.py", "app.py"):
        app = alice.post(
            f"/projects/{pid}/applications",
            json={
                "name": "demo " + script,
                "description": "an application of the Python template",
                "project_id": pid,
                "subdomain": f"application-subdomain-{uuid.uuid4().hex[:8]}",
                "kernel": "python3",
                "script": script,
                "environment": {"KEY": "VAL"},
            },
        )
        apath = f"/projects/{pid}/applications/{app['id']}"
        wait_status(partial(alice.get, apath), lambda a: a["status"] == "APPLICATION_RUNNING")
        log = f".cml/applications/{app['id']}.log"
        port = _log_line(_project_log(alice, pid, log), r"serving on [\d.]+:(\d+)")[1]
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and project["slug"] in page.text, script
        alice.post(apath + ":stop")
        wait_status(partial(alice.get, apath), lambda a: a["status"] == "APPLICATION_STOPPED")


def _deploy_and_call(
    local_cml: LocalCML, alice: Api, pid: str, file_path: str, request: dict[str, Any]
) -> Any:
    """Model, build, deployment right after the build (as the walkthrough does), one call."""
    model = alice.post(f"/projects/{pid}/models", json={"name": "demo-model-" + file_path})
    mpath = f"/projects/{pid}/models/{model['id']}"
    build = alice.post(
        mpath + "/builds",
        json={
            "comment": "test comment",
            "file_path": file_path,
            "function_name": "predict",
            "kernel": "python3",
        },
    )
    dep = alice.post(f"{mpath}/builds/{build['id']}/deployments", json={})
    dpath = f"{mpath}/builds/{build['id']}/deployments/{dep['id']}"
    deployed, seen = wait_status(
        lambda: alice.get(dpath), lambda d: d["status"] in DEPLOYMENT_FINAL
    )
    assert deployed["status"] == "deployed", (file_path, seen)
    answer = requests.post(
        local_cml.url + "/model",
        json={"accessKey": model["access_key"], "request": request},
        headers={"authorization": "Bearer " + local_cml.api_key},
        timeout=30,
    ).json()
    alice.post(dpath + ":stop")
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "stopped")
    assert answer["success"] is True, answer
    return answer["response"]


def test_pi_py_and_predict_py_serve_as_models(local_cml: LocalCML, alice: Api) -> None:
    project = _python_project(alice)
    pid = project["id"]
    pi = _deploy_and_call(local_cml, alice, pid, "pi.py", {"samples": 20000, "seed": 1})
    assert pi["samples"] == 20000 and 3.0 < pi["pi"] < 3.3
    # The seeds' Models example: run fit.py first, then build predict.py's predict.
    job = make_job(alice, project, name="fit", kernel="python3", script="fit.py")
    assert wait_run(alice, start_run(alice, job))[0]["status"] == "ENGINE_SUCCEEDED"
    predicted = _deploy_and_call(local_cml, alice, pid, "predict.py", {"x": 2})
    assert 3.5 < predicted["prediction"] < 4.5


def test_train_py_as_a_job_logs_to_an_experiment_and_saves_a_model_file(alice: Api) -> None:
    """What notebooks/experiments.ipynb relies on: train.py, standard library only, logs with
    the run's own key and leaves a model file that defines `predict`."""
    project = _python_project(alice)
    experiments = f"/projects/{project['id']}/experiments"
    experiment = alice.post(experiments, json={"name": "line-fit"})
    job = make_job(
        alice,
        project,
        script="train.py",
        environment={"EXPERIMENT": experiment["id"], "LR": "0.05", "STEPS": "6"},
    )
    run, seen = wait_run(alice, start_run(alice, job))
    output = run_log(alice, run)
    assert run["status"] == "ENGINE_SUCCEEDED", (seen, output)
    assert "lr=0.05: loss " in output and "after 6 steps" in output
    runs = f"{experiments}/{experiment['id']}/runs"
    (logged,) = alice.get(runs)["experiment_runs"]
    assert (logged["name"], logged["status"]) == ("lr-0.05", "EXPERIMENT_RUN_FINISHED")
    params = {p["key"]: p["value"] for p in logged["data"]["params"]}
    assert params == {"lr": "0.05", "steps": "6"}
    history = alice.get(f"{runs}/{logged['id']}/metrics/loss")["metrics"]
    losses = [m["value"] for m in sorted(history, key=lambda m: int(m["step"]))]
    assert len(losses) == 6 and losses == sorted(losses, reverse=True)
    model = alice.download(project["id"], "models/lr-0.05.py")
    assert model.status_code == 200
    scope: dict[str, Any] = {}
    exec(model.text, scope)  # noqa: S102 - the file the job just wrote
    assert scope["predict"]({"x": 3})["prediction"] == pytest.approx(6.0, abs=1.5)
