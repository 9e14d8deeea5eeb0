"""`%cml keys`, `%cml usage` and `%cml workloads` through IPython against the local server: a
created key reaches the user in a variable or the keyring and is never printed; the listings are
DataFrames of fixed, typed columns."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.shell import shown
from support.waits import wait_for

from cml_magic import frames
from cml_magic.api import CML, AuthError, keystore

SLEEPER = "import time\nprint('up', flush=True)\ntime.sleep(60)\n"


def test_keys_create_puts_the_key_in_a_variable_never_on_screen(
    cml_ip: Any, magic_server: Any, api: Any
) -> None:
    with capture_output() as captured:
        result = shown(cml_ip, "%cml keys create --days 7 --comment nb -o fresh")
        cml_ip.run_cell("fresh")  # the cell's display of it, as a notebook saves it
    made = cml_ip.user_ns["fresh"]
    assert result.success and made.api_key
    out = captured.stdout + captured.stderr + "".join(str(o.data) for o in captured.outputs)
    assert f"Created API key {made.key_id} (expires " in out and "fresh.api_key" in out
    assert made.api_key not in out and made.api_key[-10:] not in out
    with CML(magic_server.url, made.api_key) as other:
        assert other.whoami().username == "alice"
    listed = cml_ip.run_line_magic("cml", "keys list")
    assert list(listed.columns) == list(frames.KEY_COLUMNS)
    assert made.key_id in set(listed["key_id"]) and made.api_key not in listed.to_string()
    with capture_output() as captured:
        cml_ip.run_line_magic("cml", f"keys delete {made.key_id}")
    assert f"Revoked {made.key_id}." in captured.stdout
    with CML(magic_server.url, made.api_key) as other, pytest.raises(AuthError):
        other.whoami()


def test_keys_create_without_a_place_for_the_key_creates_nothing(cml_ip: Any, api: Any) -> None:
    before = {k.key_id for k in api.keys.list()}
    with pytest.raises(UsageError, match="needs -o NAME .* or --save"):
        cml_ip.run_line_magic("cml", "keys create --comment lost")
    assert {k.key_id for k in api.keys.list()} == before


def test_keys_create_save_keeps_it_in_the_keyring(
    cml_ip: Any, magic_server: Any, system_keyring: Any
) -> None:
    with capture_output() as captured:
        cml_ip.run_line_magic("cml", "keys create --save --profile ci")
    assert "the system keyring (cml_magic, ci)" in captured.stdout
    kept = keystore.lookup("ci")
    assert kept and kept not in captured.stdout
    with CML(magic_server.url, kept) as other:
        assert other.whoami().username == "alice"


def test_bad_key_lines_are_one_line(cml_ip: Any) -> None:
    with pytest.raises(UsageError, match="add --yes"):
        cml_ip.run_line_magic("cml", "keys delete --all")
    with pytest.raises(UsageError, match="needs a KEY_ID"):
        cml_ip.run_line_magic("cml", "keys delete")
    with pytest.raises(UsageError, match="--profile goes with --save"):
        cml_ip.run_line_magic("cml", "keys create -o k --profile p")
    with pytest.raises(UsageError, match="404"):
        cml_ip.run_line_magic("cml", f"keys delete {uuid.uuid4()}")


def test_keys_delete_all_revokes_every_key(
    ip: Any, local_cml_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = local_cml_factory()
    monkeypatch.setenv("CML_MAGIC_HOST", server.url)
    monkeypatch.setenv("CML_MAGIC_API_KEY", server.api_key)
    with capture_output() as captured:
        ip.run_line_magic("cml", "keys delete --all --yes")
    assert "Revoked every API v2 key of yours" in captured.stdout
    with pytest.raises(UsageError, match="401"):
        ip.run_line_magic("cml", "whoami")


def test_usage_is_a_typed_frame_of_what_ran(cml_ip: Any) -> None:
    run = cml_ip.run_line_magic("cml", "jobs run nightly --project risk-analysis --wait")
    frame = cml_ip.run_line_magic("cml", "usage --type job --project risk-analysis")
    assert list(frame.columns) == list(frames.USAGE_COLUMNS)
    assert run.id in set(frame["id"]) and set(frame["workload_type"]) == {"job"}
    assert str(frame["duration"].dtype) == "timedelta64[ns]"
    same = cml_ip.run_line_magic("cml", "usage list --type job --project risk-analysis")
    assert set(same["id"]) >= set(frame["id"])
    nothing = cml_ip.run_line_magic("cml", "usage --project no-such-project-anywhere")
    assert nothing.empty and list(nothing.columns) == list(frames.USAGE_COLUMNS)


def test_workloads_shows_what_runs_now(cml_ip: Any, api: Any) -> None:
    api.files.upload("sleep_workloads.py", SLEEPER, project="risk-analysis", overwrite=True)
    tag = uuid.uuid4().hex[:6]
    job = api.jobs.create(f"sleep-{tag}", "sleep_workloads.py", project="risk-analysis")
    run = api.runs.create(job.id, project="risk-analysis")
    wait_for(
        lambda: api.runs.get(run.id, job.id, project="risk-analysis").status == "ENGINE_RUNNING",
        "the run to be running",
    )
    now = cml_ip.run_line_magic("cml", "workloads")
    assert list(now.columns) == list(frames.WORKLOAD_COLUMNS)
    assert job.name in set(now["name"]) and now["active"].all()
    api.runs.stop(run.id, job.id, project="risk-analysis")
    wait_for(
        lambda: api.runs.get(run.id, job.id, project="risk-analysis").finished, "the run to end"
    )
    assert job.name not in set(cml_ip.run_line_magic("cml", "workloads")["name"])
    every = cml_ip.run_line_magic("cml", "workloads --all")
    assert job.name in set(every["name"]) and not every["active"].all()
    api.jobs.delete(job.id, project="risk-analysis")


def test_usage_and_workloads_help_shows_the_default_verbs_options(ip: Any) -> None:
    for line, option in (("usage --help", "--type"), ("workloads -h", "--all")):
        with capture_output() as captured:
            ip.run_line_magic("cml", line)
        assert "verbs:" in captured.stdout and option in captured.stdout
