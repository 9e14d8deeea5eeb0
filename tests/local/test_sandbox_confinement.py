"""Workloads are confined: a job, an application, a model build and a model worker see their own
project at /home/cdsw and nothing of the state folder, other projects or the operator's
environment; they still reach the server's API."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests
from support.rest import Api, make_job, make_project, run_log, start_run, wait_run
from support.sandbox import MODES, confinement, require_sandbox
from support.waits import wait_status

from cml_magic.local import LocalCML

OPERATOR_SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "aws-secret-of-the-operator",
    "CML_MAGIC_API_KEY": "workspace-key-of-the-operator",
}

# What an attacker's workload tries; `attempt` reports "denied: <error>" or "OK: <what it got>".
ATTEMPTS = r"""
import json, os, sys

def attempt(read):
    try:
        return "OK: " + repr(read())[:80]
    except Exception as exc:
        return "denied: " + type(exc).__name__

def attacks(state, other):
    return {
        "database": attempt(lambda: open("../../cml-local.sqlite3", "rb").read(16)),
        "database by path": attempt(
            lambda: open(os.path.join(state, "cml-local.sqlite3"), "rb").read(16)
        ),
        "state folder": attempt(lambda: os.listdir(state)),
        "projects folder": attempt(lambda: os.listdir(os.path.join(state, "projects"))),
        # /home holds nothing but cdsw (an IndexError here); the old folder held every project.
        "projects beside it": attempt(lambda: [n for n in os.listdir("..") if n != "cdsw"][0]),
        "other project": attempt(lambda: open(f"../{other}/secret.txt").read()),
        "other project by path": attempt(
            lambda: open(os.path.join(state, "projects", other, "secret.txt")).read()
        ),
        "write the system": attempt(lambda: open("/usr/cml-local-was-here", "w")),
    }
"""

JOB = (
    ATTEMPTS
    + r"""
import urllib.request
out = {
    "attacks": attacks(sys.argv[1], sys.argv[2]),
    "operator": {k: os.environ.get(k) for k in ("AWS_SECRET_ACCESS_KEY", "CML_MAGIC_API_KEY")},
    "own file": open("mine.txt").read(),
    "cwd": os.getcwd(),
    "HOME": os.environ.get("HOME"),
    "PWD": os.environ.get("PWD"),
    "CDSW_IP_ADDRESS": os.environ.get("CDSW_IP_ADDRESS"),
    "PROJECT_OWNER": os.environ.get("PROJECT_OWNER"),
}
os.chdir("/home/cdsw")  # what scripts written for CML do
out["after chdir"] = open("mine.txt").read()
base = os.environ["CDSW_API_URL"].removesuffix("/api/v1")
ask = urllib.request.Request(
    base + "/api/v2/auth/validate_key",
    data=b"{}",
    headers={"authorization": "Bearer " + os.environ["CDSW_APIV2_KEY"],
             "content-type": "application/json"},
)
out["api says"] = json.load(urllib.request.urlopen(ask, timeout=20))["username"]
print(json.dumps(out))
"""
)

MODEL = (
    ATTEMPTS
    + r"""
SEEN = {
    "attacks": attacks(os.environ["STATE"], os.environ["OTHER"]),
    "operator": os.environ.get("AWS_SECRET_ACCESS_KEY"),
    "cwd": os.getcwd(),
}
print(json.dumps(SEEN), flush=True)

def predict(args):
    return SEEN
"""
)

APP = (
    ATTEMPTS
    + r"""
import time
seen = {"attacks": attacks(os.environ["STATE"], os.environ["OTHER"]), "cwd": os.getcwd()}
open("seen.json", "w").write(json.dumps(seen))
time.sleep(120)
"""
)


@pytest.fixture
def sandboxed(local_cml_factory, tmp_path, monkeypatch) -> LocalCML:
    """A sandboxed server whose operator environment holds secrets."""
    require_sandbox(tmp_path)
    for name, value in OPERATOR_SECRETS.items():
        monkeypatch.setenv(name, value)
    return local_cml_factory(data_dir=tmp_path / "state", sandbox=True)


def _victim(server: LocalCML) -> dict:
    """alice's private project holding a secret file."""
    return make_project(Api(server, "alice"), {"secret.txt": "alice's secret\n"})


def _assert_all_denied(attacks: dict[str, str]) -> None:
    allowed = {
        name: outcome for name, outcome in attacks.items() if not outcome.startswith("denied")
    }
    assert not allowed, allowed


def test_a_job_sees_its_project_at_home_cdsw_and_nothing_else(sandboxed: LocalCML) -> None:
    other = _victim(sandboxed)
    bob = Api(sandboxed, "bob")
    project = make_project(bob, {"probe.py": JOB, "mine.txt": "bob's own file\n"})
    job = make_job(bob, project, script="probe.py", arguments=f"{sandboxed.data_dir} {other['id']}")
    final, seen = wait_run(bob, start_run(bob, job))
    log = run_log(bob, final)
    assert seen[-1] == "ENGINE_SUCCEEDED", log
    out = json.loads(log.splitlines()[-1])
    _assert_all_denied(out["attacks"])
    assert out["operator"] == {"AWS_SECRET_ACCESS_KEY": None, "CML_MAGIC_API_KEY": None}
    assert out["own file"] == out["after chdir"] == "bob's own file\n"
    assert out["cwd"] == out["HOME"] == out["PWD"] == "/home/cdsw"
    assert out["CDSW_IP_ADDRESS"] == "127.0.0.1" and out["PROJECT_OWNER"] == "bob"
    assert out["api says"] == "bob"  # the network is shared: the API is reachable


def test_a_model_build_and_its_worker_are_confined(sandboxed: LocalCML) -> None:
    other = _victim(sandboxed)
    bob = Api(sandboxed, "bob")
    env = {"STATE": str(sandboxed.data_dir), "OTHER": other["id"]}
    project = make_project(bob, {"model.py": MODEL}, environment=env)  # builds see the project's
    model = bob.post(
        f"/projects/{project['id']}/models", json={"name": "m", "disable_authentication": True}
    )
    mpath = f"/projects/{project['id']}/models/{model['id']}"
    build = bob.post(mpath + "/builds", json={"file_path": "model.py", "function_name": "predict"})
    bpath = f"{mpath}/builds/{build['id']}"
    built, _ = wait_status(
        lambda: bob.get(bpath), lambda b: b["status"] in ("built", "build failed")
    )
    build_log = bob.download(project["id"], f".cml/builds/{build['id']}.log").text
    assert built["status"] == "built", build_log
    _assert_all_denied(json.loads(build_log.splitlines()[0])["attacks"])
    dep = bob.post(bpath + "/deployments", json={})
    dpath = f"{bpath}/deployments/{dep['id']}"
    wait_status(lambda: bob.get(dpath), lambda d: d["status"] in ("deployed", "failed"))
    call = {"accessKey": model["access_key"], "request": {}}
    answer = requests.post(sandboxed.url + "/model", json=call, timeout=30).json()
    assert answer["success"], answer
    _assert_all_denied(answer["response"]["attacks"])
    assert answer["response"]["operator"] is None
    assert answer["response"]["cwd"] == "/home/cdsw"
    bob.post(dpath + ":stop")


def test_an_application_is_confined(sandboxed: LocalCML) -> None:
    other = _victim(sandboxed)
    bob = Api(sandboxed, "bob")
    project = make_project(bob, {"app.py": APP})
    env = {"STATE": str(sandboxed.data_dir), "OTHER": other["id"]}
    app = bob.post(
        f"/projects/{project['id']}/applications",
        json={
            "name": "a",
            "subdomain": f"s{project['id'][:4]}",
            "script": "app.py",
            "environment": env,
        },
    )
    wait_status(
        lambda: {"status": str(bob.download(project["id"], "seen.json").status_code)},
        lambda r: r["status"] == "200",
    )
    seen = bob.download(project["id"], "seen.json").json()
    _assert_all_denied(seen["attacks"])
    assert seen["cwd"] == "/home/cdsw"
    bob.post(f"/projects/{project['id']}/applications/{app['id']}:stop")


ENV_JOB = (
    "import json, os\n"
    "print(json.dumps({k: os.environ.get(k) for k in"
    " ('AWS_SECRET_ACCESS_KEY', 'CML_MAGIC_API_KEY', 'OPERATOR_LOCALE_OK', 'LANG', 'PATH')}))\n"
)


@pytest.mark.parametrize("mode", MODES)
def test_a_run_never_sees_the_operators_environment(
    mode: str, local_cml_factory, tmp_path: Path, monkeypatch
) -> None:
    for name, value in OPERATOR_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPERATOR_LOCALE_OK", "not on the list either")
    monkeypatch.setenv("LANG", "C.UTF-8")
    server = local_cml_factory(
        data_dir=tmp_path / "state", sandbox=confinement(mode, tmp_path), env={"SITE": "x"}
    )
    api = Api(server, "alice")
    project = make_project(api, {"env.py": ENV_JOB})
    final, seen = wait_run(api, start_run(api, make_job(api, project, script="env.py")))
    log = run_log(api, final)
    assert seen[-1] == "ENGINE_SUCCEEDED", log
    out = json.loads(log.splitlines()[0])
    assert out["AWS_SECRET_ACCESS_KEY"] is None and out["CML_MAGIC_API_KEY"] is None
    assert out["OPERATOR_LOCALE_OK"] is None
    assert out["LANG"] == "C.UTF-8" and out["PATH"]  # the allowlist passes these
    for secret in OPERATOR_SECRETS.values():
        assert secret not in log


def test_read_only_folders_under_tmp_stay_seen_and_the_state_inside_one_is_hidden(
    tmp_path: Path,
) -> None:
    # A runtime (or checkout) may live under /tmp, as this test's folders do; the private /tmp
    # must not hide it. A state folder inside a read-only folder is covered by an empty tmpfs.
    require_sandbox(tmp_path)
    from cml_magic.local.sandbox import Sandbox, detect

    found, _ = detect(tmp_path)
    assert found is not None
    runtime = tmp_path / "runtime"
    (runtime / "state" / "projects" / "p").mkdir(parents=True)
    (runtime / "lib.txt").write_text("library\n")
    (runtime / "state" / "cml-local.sqlite3").write_text("keys\n")
    project = runtime / "state" / "projects" / "p"
    sandbox = Sandbox(found.bwrap, runtime / "state", (*found.readable, runtime))
    look = f"cat {runtime}/lib.txt; ls -A {runtime}/state; echo end"
    done = subprocess.run(
        sandbox.command(project, ["/bin/sh", "-c", look], {}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "library\nend\n"  # the runtime file seen; the state folder empty
