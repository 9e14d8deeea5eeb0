"""API keys on the local server: stored as hashes only, shown once, a legacy key per user that
only API v1 takes, keys of its own per workload that die with it, a private state folder."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from support.rest import (
    Api,
    console_text,
    make_job,
    make_project,
    run_log,
    start_run,
    wait_run,
)
from support.waits import wait_status

from cml_magic.local import LocalCML
from cml_magic.local.store import Store, run_console_path

# Prints its keys, then waits for the test to write `go` (its exit code) into the project.
WAITING_JOB = """
import os, pathlib, sys, time
print("KEYS", os.environ["CDSW_APIV2_KEY"], os.environ["CDSW_API_KEY"], flush=True)
go = pathlib.Path("go")
while not go.exists():
    time.sleep(0.05)
sys.exit(int(go.read_text() or 0))
"""

APP = """
import os, time
print("KEYS", os.environ["CDSW_APIV2_KEY"], os.environ["CDSW_API_KEY"], flush=True)
while True:
    time.sleep(1)
"""

MODEL = """
import os

def keys(args):
    return {"v2": os.environ["CDSW_APIV2_KEY"], "legacy": os.environ["CDSW_API_KEY"]}
"""


def v2_status(server: LocalCML, key: str) -> int:
    """What API v2 answers `key` (200: it works)."""
    answer = requests.post(
        server.url + "/api/v2/auth/validate_key",
        json={},
        headers={"authorization": "Bearer " + key},
        timeout=10,
    )
    if answer.status_code == 200:
        assert answer.json()["username"] == "alice"
    return answer.status_code


def v1_status(server: LocalCML, key: str) -> int:
    """What API v1 answers `key` as the Basic user name (200: it works)."""
    url = server.url + "/api/v1/projects/alice/risk-analysis/jobs"
    return requests.get(url, auth=(key, ""), timeout=10).status_code


def keys_in_log(read: Callable[[], str]) -> tuple[str, str]:
    """The (v2, legacy) keys a workload printed, once its log shows them."""
    found: dict[str, Any] = {}

    def poll() -> dict[str, Any]:
        match = re.search(r"^KEYS (\S+) (\S+)$", read(), re.MULTILINE)
        found["keys"] = match.groups() if match else None
        return {"status": "printed" if match else "waiting"}

    wait_status(poll, lambda item: item["status"] == "printed")
    v2, legacy = found["keys"]
    return v2, legacy


def log_text(api: Api, project_id: str, path: str) -> str:
    answer = api.download(project_id, path)
    return answer.text if answer.status_code == 200 else ""


def go(api: Api, project: dict[str, Any], code: int) -> None:
    """Let the waiting job end, with exit status `code`."""
    api.post(f"/projects/{project['id']}/files", files={"go": ("go", str(code).encode())})


def waiting_run(api: Api, **job_fields: Any) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    project = make_project(api, {"wait.py": WAITING_JOB})
    job = make_job(api, project, script="wait.py", **job_fields)
    run = start_run(api, job)
    v2, legacy = keys_in_log(lambda: console_text(api.server, run["id"]))
    return project, run, v2, legacy


# hashes, once ------------------------------------------------------------------------------


def test_the_database_holds_hashes_never_keys(local_cml: LocalCML) -> None:
    keys = [*local_cml.keys.values(), *local_cml.legacy_keys.values()]
    assert len(keys) == 4
    raw = b"".join(p.read_bytes() for p in local_cml.data_dir.glob("cml-local.sqlite3*"))
    assert raw and not any(key.encode() in raw for key in keys)
    with sqlite3.connect(local_cml.data_dir / "cml-local.sqlite3") as db:
        stored = {
            row[0]: row[1:] for row in db.execute("SELECT hash, username, kind FROM api_keys")
        }
        columns = {row[1] for row in db.execute("PRAGMA table_info(users)")}
    assert columns == {"username", "name", "email", "created_at"}
    for user, key in local_cml.keys.items():
        assert stored[hashlib.sha256(key.encode()).hexdigest()] == (user, "v2")
    for user, key in local_cml.legacy_keys.items():
        assert stored[hashlib.sha256(key.encode()).hexdigest()] == (user, "legacy")


def test_a_folder_with_clear_keys_is_migrated_to_hashes(tmp_path: Path) -> None:
    """A state folder made before keys were hashed keeps working; its clear keys are gone."""
    data = tmp_path / "old"
    data.mkdir()
    old_v2, old_legacy = "a" * 32 + "." + "b" * 24, "c" * 32 + "." + "d" * 24
    with sqlite3.connect(data / "cml-local.sqlite3") as db:
        db.execute(
            "CREATE TABLE users (username TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT"
            " NULL, api_key TEXT NOT NULL UNIQUE, legacy_key TEXT NOT NULL UNIQUE,"
            " created_at TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO users VALUES ('olga', 'Olga', 'o@example.com', ?, ?, 'then')",
            (old_v2, old_legacy),
        )
    store = Store(data)
    try:
        assert store.user_by_key(old_v2, "v2") == {
            "username": "olga",
            "name": "Olga",
            "email": "o@example.com",
            "created_at": "then",
        }
        assert store.user_by_key(old_legacy, "legacy") is not None
        assert store.user_by_key(old_v2, "legacy") is None
        assert store.user_by_key(old_legacy, "v2") is None
    finally:
        store.close()
    raw = b"".join(p.read_bytes() for p in data.glob("cml-local.sqlite3*"))
    assert old_v2.encode() not in raw and old_legacy.encode() not in raw


def test_keys_are_shown_once_and_rotate_keys_makes_new_ones(
    local_cml_factory: Callable[..., LocalCML], capsys: pytest.CaptureFixture[str]
) -> None:
    from cml_magic.local import cli
    from cml_magic.local.seed import seed_demo

    server = local_cml_factory()
    old_v2, old_legacy = server.keys["bob"], server.legacy_keys["bob"]
    assert seed_demo(server.data_dir) == {}  # seeded: nothing new, and no key to show again
    assert cli.main(["rotate-keys", "bob", "--data", str(server.data_dir)]) == 0
    user, v2, legacy = capsys.readouterr().out.split()
    assert user == "bob"
    assert (v2_status(server, old_v2), v1_status(server, old_legacy)) == (401, 401)
    new_v2, new_legacy = v2.removeprefix("v2="), legacy.removeprefix("legacy=")
    assert v1_status(server, new_legacy) == 200
    who = requests.post(
        server.url + "/api/v2/auth/validate_key",
        json={},
        headers={"authorization": "Bearer " + new_v2},
        timeout=10,
    )
    assert who.json()["username"] == "bob"
    assert v2_status(server, server.api_key) == 200  # alice's keys are untouched


def test_cli_prints_both_keys_and_they_work(
    local_cml_factory: Callable[..., LocalCML], capsys: pytest.CaptureFixture[str]
) -> None:
    from cml_magic.local import cli

    server = local_cml_factory()
    assert cli.main(["create-user", "erin", "--data", str(server.data_dir)]) == 0
    user, v2, legacy = capsys.readouterr().out.split()
    assert user == "erin"
    v2_key, legacy_key = v2.removeprefix("v2="), legacy.removeprefix("legacy=")
    assert re.fullmatch(r"[a-z0-9]{32}", legacy_key), "32 lower-case characters, as CML's"
    assert "." in v2_key and v2_key != legacy_key
    assert cli.main(["create-user", "erin", "--data", str(server.data_dir)]) == 1
    assert "already exists" in capsys.readouterr().err
    who = requests.post(
        server.url + "/api/v2/auth/validate_key",
        json={},
        headers={"authorization": "Bearer " + v2_key},
        timeout=10,
    )
    assert who.json()["username"] == "erin"
    url = server.url + "/api/v1/projects/alice/risk-analysis/jobs"
    assert requests.get(url, auth=(legacy_key, ""), timeout=10).status_code == 200
    assert cli.main(["rotate-keys", "nobody", "--data", str(server.data_dir)]) == 1
    assert "no user 'nobody'" in capsys.readouterr().err


# one credential per API ----------------------------------------------------------------------


def test_v1_takes_only_the_legacy_key_and_v2_only_the_v2_key(local_cml: LocalCML) -> None:
    legacy = local_cml.legacy_api_key
    assert re.fullmatch(r"[a-z0-9]{32}", legacy)
    assert v1_status(local_cml, legacy) == 200
    assert v1_status(local_cml, local_cml.api_key) == 401  # a distinct credential
    assert v2_status(local_cml, local_cml.api_key) == 200
    assert v2_status(local_cml, legacy) == 401
    denied = requests.get(
        local_cml.url + "/api/v1/projects/alice/risk-analysis/jobs",
        auth=(local_cml.api_key, ""),
        timeout=10,
    )
    assert local_cml.api_key not in denied.text and "legacy" in denied.json()["message"]


# a workload's own keys -----------------------------------------------------------------------


def test_a_run_key_works_while_the_run_lives_and_dies_with_it(
    local_cml: LocalCML, alice: Api
) -> None:
    project, run, v2, legacy = waiting_run(alice)
    assert {v2, legacy}.isdisjoint({local_cml.api_key, local_cml.legacy_api_key})
    assert v2_status(local_cml, v2) == 200  # acts as alice, the run's user
    assert v1_status(local_cml, legacy) == 200
    assert v1_status(local_cml, v2) == 401 and v2_status(local_cml, legacy) == 401
    go(alice, project, 0)
    final, _ = wait_run(alice, run)
    assert final["status"] == "ENGINE_SUCCEEDED"
    assert f"KEYS {v2} {legacy}" in run_log(alice, run)  # the log still shows it: now dead
    assert v2_status(local_cml, v2) == 401
    assert v1_status(local_cml, legacy) == 401
    assert v2_status(local_cml, local_cml.api_key) == 200  # the user's own key lives on


def test_run_keys_die_on_failure_stop_and_timeout(local_cml: LocalCML, alice: Api) -> None:
    project, run, v2, legacy = waiting_run(alice)
    go(alice, project, 3)
    assert wait_run(alice, run)[0]["status"] == "ENGINE_FAILED"
    assert (v2_status(local_cml, v2), v1_status(local_cml, legacy)) == (401, 401)

    project, run, v2, legacy = waiting_run(alice)
    assert v2_status(local_cml, v2) == 200
    alice.post(f"/projects/{project['id']}/jobs/{run['job_id']}/runs/{run['id']}:stop")
    assert wait_run(alice, run)[0]["status"] == "ENGINE_STOPPED"
    assert (v2_status(local_cml, v2), v1_status(local_cml, legacy)) == (401, 401)

    project, run, v2, legacy = waiting_run(alice, timeout=2)
    assert wait_run(alice, run)[0]["status"] == "ENGINE_TIMEDOUT"
    assert (v2_status(local_cml, v2), v1_status(local_cml, legacy)) == (401, 401)


def test_run_keys_die_when_the_server_is_killed_and_restarted(
    local_cml_factory: Callable[..., LocalCML], tmp_path: Path
) -> None:
    server = local_cml_factory(data_dir=tmp_path / "state")
    _, _, v2, legacy = waiting_run(Api(server))
    assert v2_status(server, v2) == 200
    server.kill()
    server.start()  # recovery: nothing a dead server started lives on, nor its keys
    assert (v2_status(server, v2), v1_status(server, legacy)) == (401, 401)
    assert v2_status(server, server.api_key) == 200


def test_an_application_has_keys_of_its_own_until_it_stops(local_cml: LocalCML, alice: Api) -> None:
    project = make_project(alice, {"app.py": APP})
    pid = project["id"]
    body = {"name": "keys", "subdomain": f"keys{pid.replace('-', '')}", "script": "app.py"}
    app = alice.post(f"/projects/{pid}/applications", json=body)
    path = f"/projects/{pid}/applications/{app['id']}"
    v2, legacy = keys_in_log(lambda: log_text(alice, pid, f".cml/applications/{app['id']}.log"))
    assert v2 != local_cml.api_key
    assert (v2_status(local_cml, v2), v1_status(local_cml, legacy)) == (200, 200)
    alice.post(path + ":stop")
    wait_status(lambda: alice.get(path), lambda a: a["status"] == "APPLICATION_STOPPED")
    assert (v2_status(local_cml, v2), v1_status(local_cml, legacy)) == (401, 401)


def test_a_model_worker_has_keys_of_its_own_until_it_stops(local_cml: LocalCML, alice: Api) -> None:
    project = make_project(alice, {"model.py": MODEL})
    mpath = (
        f"/projects/{project['id']}/models/"
        + alice.post(
            f"/projects/{project['id']}/models",
            json={"name": "keys", "disable_authentication": True},
        )["id"]
    )
    model = alice.get(mpath)
    build = alice.post(mpath + "/builds", json={"file_path": "model.py", "function_name": "keys"})
    bpath = f"{mpath}/builds/{build['id']}"
    wait_status(lambda: alice.get(bpath), lambda b: b["status"] in ("built", "build failed"))
    dep = alice.post(bpath + "/deployments", json={})
    dpath = f"{bpath}/deployments/{dep['id']}"
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] in ("deployed", "failed"))
    call = {"accessKey": model["access_key"], "request": {}}
    auth = {"authorization": "Bearer " + local_cml.api_key}
    answer = requests.post(local_cml.url + "/model", json=call, headers=auth, timeout=30)
    keys = answer.json()["response"]
    assert keys["v2"] != local_cml.api_key
    assert (v2_status(local_cml, keys["v2"]), v1_status(local_cml, keys["legacy"])) == (200, 200)
    alice.post(dpath + ":stop")
    wait_status(lambda: alice.get(dpath), lambda d: d["status"] == "stopped")
    assert (v2_status(local_cml, keys["v2"]), v1_status(local_cml, keys["legacy"])) == (401, 401)


# a private state folder ------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_folder_is_0700_and_its_files_0600(local_cml: LocalCML, alice: Api) -> None:
    data = local_cml.data_dir
    project = make_project(alice, {"hello.py": "print('hello')\n"})
    run = start_run(alice, make_job(alice, project, script="hello.py"))
    assert wait_run(alice, run)[0]["status"] == "ENGINE_SUCCEEDED"
    folder = data / "projects" / project["id"]
    assert _mode(data) == 0o700 and _mode(data / "projects") == 0o700
    database = sorted(data.glob("cml-local.sqlite3*"))
    assert [p.name for p in database] == [
        "cml-local.sqlite3",
        "cml-local.sqlite3-shm",
        "cml-local.sqlite3-wal",
    ]
    written = [
        *database,
        folder / "hello.py",  # uploaded
        run_console_path(data, run["id"]),  # the run's console
        *(p for p in (data / "projects").rglob("*") if p.is_file()),  # templates, seeds
    ]
    assert {p: oct(_mode(p)) for p in written if _mode(p) != 0o600} == {}
    folders = [p for p in (data / "projects").rglob("*") if p.is_dir()]
    assert {p: oct(_mode(p)) for p in folders if _mode(p) & 0o077} == {}


def test_an_existing_state_folder_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "loose"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    Store(data).close()
    assert _mode(data) == 0o700 and _mode(data / "cml-local.sqlite3") == 0o600
    # A folder that is not a state folder (say /tmp) keeps its mode.
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "other.txt").write_text("x")
    shared.chmod(0o755)
    Store(shared).close()
    assert _mode(shared) == 0o755 and _mode(shared / "cml-local.sqlite3") == 0o600


def test_serve_seed_on_a_seeded_folder_says_in_one_line_that_keys_are_not_shown(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    from cml_magic.local.seed import seed_demo

    data = tmp_path / "seeded"
    assert set(seed_demo(data)) == {"alice", "bob"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cml_magic.local", "serve", "--seed", "demo", "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("cml-local listening on ")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert len(err.splitlines()) == 1, err
    assert "seeded before" in err and "rotate-keys" in err and "v2=" not in err


def test_minted_v2_keys_are_stored_hashed_and_expire(tmp_path: Path) -> None:
    """The store side of `POST /api/v1/users/<user>/apikey`: one more v2 key, with an expiry."""
    store = Store(tmp_path / "mint")
    try:
        store.create_user("mia")
        lasting = store.mint_v2_key("mia", "2999-01-01T00:00:00+02:00")
        forever = store.mint_v2_key("mia")
        expired = store.mint_v2_key("mia", "2001-01-01T00:00:00Z")
        assert lasting and forever and expired and len({lasting, forever, expired}) == 3
        assert (store.user_by_key(lasting) or {})["username"] == "mia"
        assert (store.user_by_key(forever) or {})["username"] == "mia"
        assert store.user_by_key(expired) is None
        assert store.user_by_key(lasting, "legacy") is None
        assert store.mint_v2_key("nobody", "2999-01-01T00:00:00Z") is None
        with pytest.raises(ValueError, match="no time zone"):
            store.mint_v2_key("mia", "2999-01-01T00:00:00")
        store.issue_user_keys("mia")  # rotating ends every key of the user's own
        assert store.user_by_key(lasting) is None and store.user_by_key(forever) is None
    finally:
        store.close()
    raw = b"".join(p.read_bytes() for p in (tmp_path / "mint").glob("cml-local.sqlite3*"))
    assert lasting.encode() not in raw
