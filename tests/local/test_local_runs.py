"""Job runs: real processes, CML's status machine, environment, arguments, logs, stop, timeout."""

from __future__ import annotations

import json

from support.rest import ZERO_TIME, Api, make_job, make_project, run_log, start_run, wait_run
from support.waits import wait_status

ENV_SCRIPT = """
import json, os, sys
keys = ["LAYER_P", "LAYER_J", "LAYER_R", "ONLY_P", "ONLY_J", "ONLY_R", "SITE_ONLY"]
print(json.dumps({k: os.environ.get(k) for k in keys}))
print(json.dumps({"argv": sys.argv[1:], "JOB_ARGUMENTS": os.environ.get("JOB_ARGUMENTS")}))
cml = {k: os.environ.get(k) for k in ("CDSW_PROJECT_ID", "CDSW_JOB_ID", "CDSW_ENGINE_ID",
       "CDSW_API_URL", "CDSW_DOMAIN", "CDSW_APIV2_KEY")}
print(json.dumps(cml))
print("to stderr", file=sys.stderr)
"""


def test_run_walks_every_phase_to_succeeded(alice: Api) -> None:
    project = make_project(alice, {"ok.py": "import time; time.sleep(0.3); print('done')\n"})
    job = make_job(alice, project, script="ok.py")
    run = start_run(alice, job)
    assert run["status"] == "ENGINE_SCHEDULING"
    assert len(run["id"]) == 16 and run["id"].isalnum()
    assert run["scheduling_at"] != ZERO_TIME
    assert (run["starting_at"], run["running_at"], run["finished_at"]) == (ZERO_TIME,) * 3
    final, seen = wait_run(alice, run)
    order = ["ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING", "ENGINE_SUCCEEDED"]
    assert seen == [s for s in order if s in seen] and seen[-1] == "ENGINE_SUCCEEDED"
    times = [final[k] for k in ("scheduling_at", "starting_at", "running_at", "finished_at")]
    assert ZERO_TIME not in times and times == sorted(times)
    assert run_log(alice, final) == "done\n"


def test_the_console_stays_with_the_server_and_a_script_saves_its_own_output(
    alice: Api,
) -> None:
    """As on CML: the API reaches a run's output only where its script saves it in the project
    (`.cml/runs/<run id>.log`, cml_magic.runlog's convention); the server writes no such file."""
    from cml_magic.runlog import SNIPPET

    project = make_project(
        alice, {"plain.py": "print('plain')\n", "saved.py": SNIPPET + "print('saved')\n"}
    )
    plain, _ = wait_run(alice, start_run(alice, make_job(alice, project, script="plain.py")))
    saved, _ = wait_run(alice, start_run(alice, make_job(alice, project, script="saved.py")))
    assert plain["status"] == saved["status"] == "ENGINE_SUCCEEDED"
    assert run_log(alice, plain) == "plain\n" and run_log(alice, saved) == "saved\n"
    missing = alice.download(project["id"], f".cml/runs/{plain['id']}.log")
    assert missing.status_code == 404
    assert alice.download(project["id"], f".cml/runs/{saved['id']}.log").text == "saved\n"


def test_a_watcher_sees_each_phase(local_cml_factory) -> None:
    # Phases last a second here, so a 20 ms poll cannot miss one.
    api = Api(local_cml_factory(phase_delay=1.0))
    project = make_project(api, {"ok.py": "import time; time.sleep(1)\n"})
    _, seen = wait_run(api, start_run(api, make_job(api, project, script="ok.py")))
    assert seen == ["ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING", "ENGINE_SUCCEEDED"]


def test_failing_script_ends_failed_with_its_output(alice: Api) -> None:
    project = make_project(alice, {"bad.py": "print('about to fail')\nraise SystemExit(3)\n"})
    final, seen = wait_run(alice, start_run(alice, make_job(alice, project, script="bad.py")))
    assert seen[-1] == "ENGINE_FAILED"
    assert final["finished_at"] != ZERO_TIME
    assert "about to fail" in run_log(alice, final)


def test_environment_precedence_arguments_and_cml_variables(local_cml_factory) -> None:
    server = local_cml_factory(env={"LAYER_P": "site", "SITE_ONLY": "site"})
    api = Api(server)
    project = make_project(
        api,
        {"env.py": ENV_SCRIPT},
        environment={"LAYER_P": "project", "LAYER_J": "project", "ONLY_P": "p"},
    )
    job = make_job(
        api,
        project,
        script="env.py",
        arguments="--alpha 'two words'",
        environment={"LAYER_J": "job", "LAYER_R": "job", "ONLY_J": "j"},
    )
    assert json.loads(job["environment"])["ONLY_J"] == "j"
    run = start_run(api, job, environment={"LAYER_R": "run", "ONLY_R": "r"})
    assert json.loads(run["environment"]) == {"LAYER_R": "run", "ONLY_R": "r"}
    assert run["arguments"] == "--alpha 'two words'"  # the job's, since the run gave none
    final, seen = wait_run(api, run)
    assert seen[-1] == "ENGINE_SUCCEEDED", run_log(api, final)
    lines = run_log(api, final).splitlines()
    assert json.loads(lines[0]) == {
        "LAYER_P": "project",
        "LAYER_J": "job",
        "LAYER_R": "run",
        "ONLY_P": "p",
        "ONLY_J": "j",
        "ONLY_R": "r",
        "SITE_ONLY": "site",
    }
    assert json.loads(lines[1]) == {
        "argv": ["--alpha", "two words"],
        "JOB_ARGUMENTS": "--alpha 'two words'",
    }
    cml = json.loads(lines[2])
    # The run's v2 key is its own, acting as alice (test_keys.py): not alice's key.
    run_key = cml.pop("CDSW_APIV2_KEY")
    assert run_key and run_key != server.api_key
    assert cml == {
        "CDSW_PROJECT_ID": project["id"],
        "CDSW_JOB_ID": job["id"],
        "CDSW_ENGINE_ID": run["id"],
        "CDSW_API_URL": server.url + "/api/v1",
        "CDSW_DOMAIN": server.url.removeprefix("http://"),
    }
    assert "to stderr" in lines[3:]


def test_run_arguments_override_the_jobs(alice: Api) -> None:
    project = make_project(alice, {"env.py": ENV_SCRIPT})
    job = make_job(alice, project, script="env.py", arguments="job args")
    run = start_run(alice, job, arguments="--run 1")
    assert run["arguments"] == "--run 1" and run["environment"] == "null"
    final, _ = wait_run(alice, run)
    out = json.loads(run_log(alice, final).splitlines()[1])
    assert out == {"argv": ["--run", "1"], "JOB_ARGUMENTS": "--run 1"}


def test_stop_ends_the_process_group(alice: Api) -> None:
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    project = make_project(alice, {"long.py": script})
    job = make_job(alice, project, script="long.py")
    run = start_run(alice, job)
    path = f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}"
    wait_status(lambda: alice.get(path), lambda r: r["status"] == "ENGINE_RUNNING")
    wait_status(
        lambda: {"status": str("child" in run_log(alice, run))}, lambda r: r["status"] == "True"
    )
    import psutil

    # The pid the script printed is its own in a sandbox's pid namespace: find the child
    # here by the run's marker instead.
    child_pid = next(
        p.pid
        for p in psutil.process_iter(["cmdline", "environ"])
        if (p.info["environ"] or {}).get("CML_LOCAL_PROCESS") == f"run:{run['id']}"
        and "-c" in (p.info["cmdline"] or [])
    )
    stopped = alice.post(path + ":stop")
    assert stopped["status"] == "ENGINE_STOPPING"
    final, seen = wait_run(alice, run)
    assert seen[-1] == "ENGINE_STOPPED" and final["finished_at"] != ZERO_TIME

    assert not psutil.pid_exists(child_pid) or psutil.Process(child_pid).status() == "zombie"
    again = alice.post(path + ":stop", expect=400)
    assert again["code"] == 9 and "not active" in again["message"]


def test_timeout_ends_the_run_timedout(alice: Api) -> None:
    project = make_project(alice, {"slow.py": "import time\nprint('slow')\ntime.sleep(60)\n"})
    job = make_job(alice, project, script="slow.py", timeout=1)
    assert job["timeout"] == "1"  # int64 travels as a string
    final, seen = wait_run(alice, start_run(alice, job))
    assert seen[-1] == "ENGINE_TIMEDOUT"
    assert "timed out" in run_log(alice, final)


def test_a_job_has_at_most_one_active_run(alice: Api) -> None:
    project = make_project(alice, {"slow.py": "import time\ntime.sleep(60)\n"})
    job = make_job(alice, project, script="slow.py")
    first = start_run(alice, job)
    second = alice.post(f"/projects/{project['id']}/jobs/{job['id']}/runs", expect=400, json={})
    assert second["code"] == 9 and first["id"] in second["message"]
    alice.post(f"/projects/{project['id']}/jobs/{job['id']}/runs/{first['id']}:stop")
    wait_run(alice, first)
    third = start_run(alice, job)
    alice.post(f"/projects/{project['id']}/jobs/{job['id']}/runs/{third['id']}:stop")
    wait_run(alice, third)


def test_stop_during_scheduling_never_starts_the_script(local_cml_factory) -> None:
    api = Api(local_cml_factory(phase_delay=1.0))
    project = make_project(api, {"mark.py": "open('ran.txt', 'w').write('x')\n"})
    job = make_job(api, project, script="mark.py")
    run = start_run(api, job)
    api.post(f"/projects/{project['id']}/jobs/{job['id']}/runs/{run['id']}:stop")
    final, seen = wait_run(api, run)
    assert seen[-1] == "ENGINE_STOPPED" and final["running_at"] == ZERO_TIME
    names = [f["path"] for f in api.get(f"/projects/{project['id']}/files/%2F")["files"]]
    assert "ran.txt" not in names


def test_dependent_job_runs_after_its_parent_succeeds(alice: Api) -> None:
    project = make_project(alice, {"a.py": "print('a')\n", "b.py": "print('b')\n"})
    parent = make_job(alice, project, script="a.py")
    child = make_job(alice, project, script="b.py", parent_id=parent["id"])
    assert child["type"] == "dependent" and child["parent_id"] == parent["id"]
    wait_run(alice, start_run(alice, parent))
    runs_path = f"/projects/{project['id']}/jobs/{child['id']}/runs"
    listing, _ = wait_status(
        lambda: {"status": str(len(alice.get(runs_path)["job_runs"]))}, lambda r: r["status"] == "1"
    )
    child_run = alice.get(runs_path)["job_runs"][0]
    final, _ = wait_run(alice, child_run)
    assert final["status"] == "ENGINE_SUCCEEDED" and run_log(alice, final) == "b\n"
