"""The server's life: state survives restarts and kill -9; a crash fails what was running."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys

import psutil
import requests
from support.rest import ZERO_TIME, Api, make_job, make_project, start_run
from support.waits import wait_status

PYTHON = [sys.executable, "-m", "cml_magic.local"]


def _app_and_deployment(api: Api, project: dict, subdomain: str) -> tuple[dict, str, dict, str]:
    """A running application of `app.py` and a deployed model of `model.py`'s `f`: each with
    its path."""
    app = api.post(
        f"/projects/{project['id']}/applications",
        json={"name": "a", "subdomain": subdomain, "script": "app.py"},
    )
    app_path = f"/projects/{project['id']}/applications/{app['id']}"
    wait_status(lambda: api.get(app_path), lambda a: a["status"] == "APPLICATION_RUNNING")
    model = api.post(f"/projects/{project['id']}/models", json={"name": "m"})
    mpath = f"/projects/{project['id']}/models/{model['id']}"
    build = api.post(mpath + "/builds", json={"file_path": "model.py", "function_name": "f"})
    bpath = f"{mpath}/builds/{build['id']}"
    wait_status(lambda: api.get(bpath), lambda b: b["status"] == "built")
    dep = api.post(bpath + "/deployments", json={})
    dpath = f"{bpath}/deployments/{dep['id']}"
    wait_status(lambda: api.get(dpath), lambda d: d["status"] == "deployed")
    return app, app_path, dep, dpath


def test_kill_9_keeps_state_and_fails_running_work(local_cml_factory, tmp_path) -> None:
    # Unsandboxed: a sandboxed workload dies with its server (bwrap --die-with-parent), so only
    # here does a crash leave children behind for the restarted server to end.
    server = local_cml_factory(data_dir=tmp_path / "state", sandbox=False)
    api = Api(server)
    project = make_project(
        api,
        {
            "long.py": "import time\nprint('up', flush=True)\ntime.sleep(120)\n",
            "app.py": "import time\ntime.sleep(120)\n",
            "model.py": "def f(args):\n    return args\n",
        },
    )
    job = make_job(api, project, script="long.py")
    run = start_run(api, job)
    run_path = f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}"
    wait_status(lambda: api.get(run_path), lambda r: r["status"] == "ENGINE_RUNNING")
    app, app_path, dep, dpath = _app_and_deployment(api, project, f"k{run['id']}")
    markers = {f"run:{run['id']}", f"app:{app['id']}", f"deployment:{dep['id']}"}
    orphans = [
        p
        for p in psutil.process_iter(["environ"])
        if (p.info["environ"] or {}).get("CML_LOCAL_PROCESS") in markers
    ]
    assert len(orphans) == 3

    url = server.url
    server.kill()
    assert all(p.is_running() for p in orphans)  # a crash leaves its children behind
    server.start()  # same data folder
    assert server.url == url

    api = Api(server)
    after = api.get(run_path)
    assert after["status"] == "ENGINE_FAILED" and after["finished_at"] != ZERO_TIME
    assert api.get(app_path)["status"] == "APPLICATION_FAILED"
    assert api.get(dpath)["status"] == "failed"
    assert api.get(f"/projects/{project['id']}/jobs/{job['id']}")["name"] == job["name"]
    psutil.wait_procs(orphans, timeout=10)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in orphans)
    # The job is free again.
    again = start_run(api, job)
    api.post(f"/projects/{project['id']}/jobs/{job['id']}/runs/{again['id']}:stop")


def test_clean_stop_stops_running_work(local_cml_factory, tmp_path) -> None:
    server = local_cml_factory(data_dir=tmp_path / "state")
    api = Api(server)
    project = make_project(api, {"long.py": "import time\ntime.sleep(120)\n"})
    job = make_job(api, project, script="long.py")
    run = start_run(api, job)
    path = f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}"
    wait_status(lambda: api.get(path), lambda r: r["status"] == "ENGINE_RUNNING")
    server.restart()
    assert Api(server).get(path)["status"] == "ENGINE_STOPPED"


def test_clean_stop_stops_every_kind_of_work(local_cml_factory, tmp_path) -> None:
    """A clean stop ends the applications and model workers too, as stopped (not failed), and
    leaves none of their processes behind."""
    server = local_cml_factory(data_dir=tmp_path / "state")
    api = Api(server)
    project = make_project(
        api,
        {"app.py": "import time\ntime.sleep(120)\n", "model.py": "def f(args):\n    return 1\n"},
    )
    app, app_path, dep, dpath = _app_and_deployment(api, project, f"s{project['id'][:8]}")
    markers = {f"app:{app['id']}", f"deployment:{dep['id']}"}
    workers = [
        p
        for p in psutil.process_iter(["environ"])
        if (p.info["environ"] or {}).get("CML_LOCAL_PROCESS") in markers
    ]
    assert workers

    server.restart()
    api = Api(server)
    assert api.get(app_path)["status"] == "APPLICATION_STOPPED"
    assert api.get(dpath)["status"] == "stopped"
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)


def test_cli_seed_serve_and_create_user(tmp_path) -> None:
    data = str(tmp_path / "cli")
    seeded = subprocess.run(
        [*PYTHON, "seed", "demo", "--data", data],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    keys = {user: dict(k.split("=", 1) for k in rest) for user, *rest in _lines(seeded.stdout)}
    assert set(keys) == {"alice", "bob"}
    assert all(set(k) == {"v2", "legacy"} for k in keys.values())
    again = subprocess.run(
        [*PYTHON, "seed", "demo", "--data", data],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Idempotent; the keys were shown once and are stored only as hashes: one line says so.
    assert again.stdout == "" and len(again.stderr.splitlines()) == 1
    assert "seeded before" in again.stderr
    made = subprocess.run(
        [*PYTHON, "create-user", "dave", "--data", data],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [(user, v2, legacy)] = _lines(made.stdout)
    assert user == "dave" and v2.startswith("v2=") and legacy.startswith("legacy=")
    dave_key = v2.removeprefix("v2=")
    dup = subprocess.run(
        [*PYTHON, "create-user", "dave", "--data", data], capture_output=True, text=True, timeout=60
    )
    assert dup.returncode == 1 and "already exists" in dup.stderr and "Traceback" not in dup.stderr

    proc = subprocess.Popen(
        [*PYTHON, "serve", "--data", data, "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("cml-local listening on http://127.0.0.1:")
        url = line.split()[-1]
        who = requests.post(
            url + "/api/v2/auth/validate_key",
            json={},
            headers={"authorization": "Bearer " + dave_key},
            timeout=10,
        )
        assert who.json()["username"] == "dave"
        spec = requests.get(url + "/api/v2/local/openapi.json", timeout=10).json()
        assert "/api/v2/projects/{project_id}/jobs/{job_id}/runs/{run_id}:stop" in spec["paths"]
    finally:
        proc.terminate()
        proc.wait(15)
    assert proc.returncode in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown


def _lines(text: str) -> list[list[str]]:
    """`alice  v2=<key>  legacy=<key>` lines, split into words."""
    return [line.split() for line in text.splitlines()]


def test_a_port_in_use_is_one_line(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = subprocess.run(
            [*PYTHON, "serve", "--data", str(tmp_path), "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert "cannot serve" in busy.stderr


def test_server_ends_when_the_process_that_started_it_is_killed(tmp_path) -> None:
    code = (
        "import sys, time\n"
        "from cml_magic.local import LocalCML\n"
        "server = LocalCML(data_dir=sys.argv[1], seed=None).start()\n"
        "print(server.url, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    url = parent.stdout.readline().strip()
    server = next(p for p in psutil.Process(parent.pid).children() if "serve" in p.cmdline())
    assert requests.get(url + "/api/v2/local/openapi.json", timeout=10).status_code == 200
    parent.kill()
    parent.wait(10)
    server.wait(15)  # raises psutil.TimeoutExpired if the server outlived its parent
    with contextlib.suppress(requests.ConnectionError):
        requests.get(url + "/api/v2/local/openapi.json", timeout=2)
        raise AssertionError("the server still answers after its parent died")
