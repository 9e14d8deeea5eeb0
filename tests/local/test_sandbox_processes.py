"""Workload processes: each starts in its own process group (and pid namespace, sandboxed), is
recorded before it can run, and ends whole: also a child that called setsid(), also after the
server was killed at the worst moment (between starting a script and storing its pid)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import psutil
import pytest
from support.rest import Api, make_job, make_project, start_run, wait_run
from support.sandbox import MODES, confinement
from support.waits import wait_status

FIND_SECONDS = 30.0


def _carrying(marker: str) -> list[psutil.Process]:
    return [
        p
        for p in psutil.process_iter(["environ"])
        if (p.info["environ"] or {}).get("CML_LOCAL_PROCESS") == marker
    ]


def _with_argument(token: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"]) if token in (p.info["cmdline"] or [])]


def _gone(procs: list[psutil.Process]) -> bool:
    _, alive = psutil.wait_procs(procs, timeout=15)
    return not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("mode", MODES)
def test_kill_9_between_spawn_and_pid_write_leaves_no_orphan(
    mode: str, local_cml_factory, tmp_path: Path
) -> None:
    server = local_cml_factory(
        data_dir=tmp_path / "state", sandbox=confinement(mode, tmp_path), phase_delay=1.0
    )
    api = Api(server)
    script = "open('started.txt', 'w').write('x')\nimport time\ntime.sleep(120)\n"
    project = make_project(api, {"long.py": script})
    job = make_job(api, project, script="long.py")
    run = start_run(api, job)
    path = f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}"
    wait_status(lambda: api.get(path), lambda r: r["status"] == "ENGINE_STARTING")
    # Hold the database's write lock (a slow disk would do the same): the server starts the
    # script a phase later, then waits to store its pid. That is when it dies.
    db = sqlite3.connect(server.data_dir / "cml-local.sqlite3", isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        found = db.execute("SELECT data FROM objects WHERE kind = 'run' AND id = ?", (run["id"],))
        assert json.loads(found.fetchone()[0]).get("pid") is None, "too late: the pid is stored"
        deadline = time.monotonic() + FIND_SECONDS
        while not (spawned := _carrying(f"run:{run['id']}")):
            assert time.monotonic() < deadline, "the server never started the script"
            time.sleep(0.02)
        server.kill()
    finally:
        db.execute("ROLLBACK")
        db.close()
    server.start()
    assert _gone(spawned), "an orphan of the killed server still lives"
    assert not _carrying(f"run:{run['id']}")
    assert api.get(path)["status"] == "ENGINE_FAILED"
    files = [f["path"] for f in api.get(f"/projects/{project['id']}/files/%2F")["files"]]
    assert "started.txt" not in files  # the unrecorded script never ran


# The run forks a child into a session of its own that sleeps on; the run then ends.
SETSID = """
import os, subprocess, sys, time
env = {} if os.environ.get("CHILD_ENV") == "empty" else None
token = "setsid-child-" + os.environ["CDSW_PROJECT_ID"]
subprocess.Popen(
    [sys.executable, "-c", "open('child-up', 'w').close(); import time; time.sleep(120)", token],
    start_new_session=True,
    env=env,
)
while not os.path.exists("child-up"):
    time.sleep(0.01)
print("forked", flush=True)
"""


@pytest.mark.parametrize(
    ("mode", "child_env"),
    [("sandboxed", "inherited"), ("sandboxed", "empty"), ("unsandboxed", "inherited")],
)
def test_a_setsid_child_does_not_outlive_its_run(
    mode: str, child_env: str, local_cml_factory, tmp_path: Path
) -> None:
    # An unsandboxed child that also drops its environment cannot be told from any other
    # process (docs/security.md says so); sandboxed, the pid namespace ends it anyway.
    server = local_cml_factory(data_dir=tmp_path / "state", sandbox=confinement(mode, tmp_path))
    api = Api(server)
    project = make_project(api, {"fork.py": SETSID}, environment={"CHILD_ENV": child_env})
    final, seen = wait_run(api, start_run(api, make_job(api, project, script="fork.py")))
    assert seen[-1] == "ENGINE_SUCCEEDED"
    files = [f["path"] for f in api.get(f"/projects/{project['id']}/files/%2F")["files"]]
    assert "child-up" in files  # the child did start
    leftovers = _with_argument("setsid-child-" + project["id"])
    assert _gone(leftovers), "the setsid() child outlived its run"
    assert not _with_argument("setsid-child-" + project["id"])
