"""The client against the local CML server over a real socket: every resource, names, waits."""

from __future__ import annotations

import contextlib
import io
import uuid

import pytest
from support.swagger import Recorder

from cml_magic.api import (
    CML,
    AmbiguousNameError,
    AuthError,
    BadRequestError,
    CMLError,
    ConfigError,
    FileInfo,
    Job,
    JobRun,
    NotFoundError,
    Project,
    WaitTimeout,
)
from cml_magic.local import LocalCML
from cml_magic.runlog import SNIPPET

WAIT = 60.0  # bound of every wait; runs of the demo scripts take about a second


def test_whoami_and_repr_hide_the_key(cml: CML, local_cml: LocalCML) -> None:
    assert cml.whoami().username == "alice"
    assert local_cml.api_key not in repr(cml)
    assert repr(cml).startswith(f"CML(host={local_cml.url!r}, api_key='****")
    assert local_cml.api_key not in repr(cml.transport.session.__dict__)


def test_projects_list_get_by_name_and_id(cml: CML) -> None:
    projects = cml.projects.list()
    names = {p.name for p in projects}
    assert {"risk-analysis", "churn-model"} <= names
    risk = cml.projects.get("risk-analysis")
    assert isinstance(risk, Project)
    assert risk.owner is not None and risk.owner.username == "alice"
    assert cml.projects.get(risk.id) == risk
    assert cml.projects.get() == risk  # the default project
    assert risk.environment == {"ANALYSIS_REGION": "emea", "ANALYSIS_LEVEL": "project"}
    assert risk.created_at is not None and risk.created_at.tzinfo is not None


def test_project_search_matches_parts_of_names(cml: CML) -> None:
    assert [p.name for p in cml.projects.list(search="churn")] == ["churn-model"]
    assert cml.projects.list(search_filter={"name": "no-such-thing"}) == []


def test_public_project_of_another_user_by_name(bob: CML) -> None:
    # bob sees alice's public project only when public ones are included; the name finds it.
    assert "risk-analysis" not in {p.name for p in bob.projects.list()}
    assert bob.projects.get("risk-analysis").owner.username == "alice"  # type: ignore[union-attr]
    assert bob.projects.get("alice/risk-analysis").slug == "risk-analysis"
    with pytest.raises(NotFoundError):
        bob.projects.get("churn-model")  # private to alice


def test_project_create_update_delete(cml: CML) -> None:
    name = f"api-crud-{uuid.uuid4().hex[:6]}"
    created = cml.projects.create(name, description="first", environment={"A": "1"})
    try:
        assert created.name == name and created.environment == {"A": "1"}
        updated = cml.projects.update(name, description="second", environment={"B": "2"})
        assert updated.description == "second"
        assert updated.environment == {"B": "2"}
    finally:
        cml.projects.delete(name)
    with pytest.raises(NotFoundError):
        cml.projects.get(created.id)


def test_no_project_anywhere_is_a_config_error(bob: CML) -> None:
    with pytest.raises(ConfigError, match="no project given"):
        bob.jobs.list()


def test_jobs_list_get_by_name_id_and_web_number(cml: CML) -> None:
    jobs = cml.jobs.list()
    assert {"nightly", "fit", "quick-check"} <= {j.name for j in jobs}
    nightly = cml.jobs.get("nightly")
    assert isinstance(nightly, Job)
    assert nightly.environment == {"ANALYSIS_LEVEL": "job", "ANALYSIS_OWNER": "alice"}
    assert cml.jobs.get(nightly.id) == nightly
    # 208 is the number in the job's web address; resolved through the v1 job list.
    assert cml.jobs.get("208") == nightly
    assert cml.jobs.get(208, project="risk-analysis") == nightly
    quick = cml.jobs.get("quick-check")
    assert quick.timeout == 60 and isinstance(quick.raw["timeout"], str)
    assert quick.project_id == nightly.project_id


def test_job_create_update_delete_and_ambiguous_names(cml: CML, project: Project) -> None:
    first = cml.jobs.create("twin", "fit.py", project=project.id, environment={"K": "v"})
    second = cml.jobs.create("twin", "analysis.py", project=project.name)
    cml.jobs.create("twin-other", "fit.py", project=project.id)
    assert first.environment == {"K": "v"} and first.script == "fit.py"
    with pytest.raises(AmbiguousNameError) as caught:
        cml.jobs.get("twin", project=project.id)
    message = str(caught.value)
    assert first.id in message and second.id in message and "alice" in message
    assert {c["id"] for c in caught.value.candidates} == {first.id, second.id}
    # A substring of other names is not a match: "twin-other" is found exactly.
    assert cml.jobs.get("twin-other", project=project.id).name == "twin-other"
    updated = cml.jobs.update(first.id, project=project.id, name="single", environment={})
    assert updated.name == "single" and updated.environment == {}
    assert cml.jobs.get("twin", project=project.id).id == second.id
    cml.jobs.delete("single", project=project.id)
    with pytest.raises(NotFoundError):
        cml.jobs.get(first.id, project=project.id)


def test_bad_job_script_is_a_bad_request(cml: CML, project: Project) -> None:
    with pytest.raises(BadRequestError, match="not found in project directory") as caught:
        cml.jobs.create("broken", "missing.py", project=project.id)
    assert caught.value.status == 400
    assert caught.value.method == "POST"
    assert caught.value.path == f"/api/v2/projects/{project.id}/jobs"


def test_run_with_environment_waits_and_output(cml: CML) -> None:
    run = cml.runs.create("nightly", environment={"ANALYSIS_OWNER": "run"}, arguments="--x 1")
    assert isinstance(run, JobRun) and not run.finished
    assert run.environment == {"ANALYSIS_OWNER": "run"} and run.arguments == "--x 1"
    assert run.finished_at is None  # CML's zero time
    seen: list[str] = []
    done = cml.wait_for_run(
        run, timeout=WAIT, poll_interval=0.1, on_status=lambda r: seen.append(r.status)
    )
    assert done.succeeded and done.finished and done.finished_at is not None
    assert seen[0] == "ENGINE_SCHEDULING" and seen[-1] == "ENGINE_SUCCEEDED"
    output = cml.runs.output(done)
    assert output is not None
    assert "ANALYSIS_OWNER=run" in output and "ANALYSIS_REGION=emea" in output
    listed = cml.runs.list("nightly", status="succeeded", limit=50)
    assert done.id in {r.id for r in listed}
    assert all(r.status == "ENGINE_SUCCEEDED" for r in listed)
    assert cml.runs.get(done.id, "nightly") == done


def test_a_run_names_its_job_where_the_client_was_given_the_name(
    cml: CML, local_cml: LocalCML
) -> None:
    run = cml.runs.create("quick-check")
    done = cml.wait_for_run(run, timeout=WAIT, poll_interval=0.1)
    for seen in (run, done, cml.runs.get(run.id, "quick-check"), cml.runs.list("quick-check")[0]):
        assert seen.job_name == "quick-check" and seen.job_id == run.job_id != "quick-check"
    card = dict(done.summary())
    assert card["job"] == f"quick-check ({run.job_id})" and "job_id" not in card
    row = "<th style='text-align:left'>job</th><td style='text-align:left'>quick-check ("
    assert row in done._repr_html_()
    # A client given only the id has no name to show: the row says what it holds.
    with CML(local_cml.url, local_cml.api_key, project="risk-analysis") as fresh:
        by_id = fresh.runs.get(run.id, run.job_id)
    assert by_id.job_name == "" and by_id == done
    assert dict(by_id.summary())["job_id"] == run.job_id


def test_run_stop_and_wait_timeout(cml: CML, project: Project) -> None:
    cml.files.upload("slow.py", b"import time\ntime.sleep(30)\n", project=project.id)
    job = cml.jobs.create("slow", "slow.py", project=project.id)
    run = cml.runs.create(job.id, project=project.id)
    with pytest.raises(WaitTimeout) as caught:
        cml.wait_for_run(run, timeout=0.3, poll_interval=0.1)
    assert isinstance(caught.value.last, JobRun) and caught.value.last.id == run.id
    stopped = cml.runs.stop(run.id, "slow", project=project.id)
    assert stopped.status in ("ENGINE_STOPPING", "ENGINE_STOPPED")
    final = cml.wait_for_run(stopped, timeout=WAIT, poll_interval=0.1)
    assert final.status == "ENGINE_STOPPED" and not final.succeeded
    failed = cml.runs.list(job.id, project=project.id, status="ENGINE_STOPPED")
    assert [r.id for r in failed] == [run.id]
    assert cml.runs.list(job.id, project=project.id, status="failed") == []


def test_run_of_failing_script(cml: CML, project: Project) -> None:
    cml.files.upload("bad.py", SNIPPET + "raise SystemExit('boom')\n", project=project.id)
    cml.jobs.create("bad", "bad.py", project=project.id)
    run = cml.wait_for_run(
        cml.runs.create("bad", project=project.id), timeout=WAIT, poll_interval=0.1
    )
    assert run.status == "ENGINE_FAILED" and run.finished and not run.succeeded
    assert "boom" in (cml.runs.output(run) or "")


def test_legacy_start_by_number(cml: CML) -> None:
    engine_id = cml.start_job_v1(
        "alice", "risk-analysis", 208, environment={"ANALYSIS_OWNER": "v1"}
    )
    nightly = cml.jobs.get("nightly")
    run = cml.wait_for_run(cml.runs.get(engine_id, nightly.id), timeout=WAIT, poll_interval=0.1)
    assert run.succeeded
    assert "ANALYSIS_OWNER=v1" in (cml.runs.output(run) or "")
    with pytest.raises(NotFoundError):
        cml.start_job_v1("alice", "risk-analysis", 99999)


def test_files_list_upload_download_delete(cml: CML, project: Project) -> None:
    root = cml.files.list(project=project.id)
    assert all(isinstance(f, FileInfo) for f in root)
    assert "fit.py" in {f.path for f in root}
    cml.files.upload("data/in put.csv", b"a,b\n1,2\n", project=project.id)
    listed = cml.files.list("data", project=project.id)
    assert [(f.path, f.is_dir, f.file_size) for f in listed] == [("in put.csv", False, 8)]
    assert cml.files.download("/home/cdsw/data/in put.csv", project=project.id) == b"a,b\n1,2\n"
    # CML keeps an existing file; overwrite deletes it first.
    cml.files.upload("data/in put.csv", b"new", project=project.id)
    assert len(cml.files.list("data", project=project.id)) == 2
    cml.files.upload("data/in put.csv", b"newer", project=project.id, overwrite=True)
    assert cml.files.download("data/in put.csv", project=project.id) == b"newer"
    cml.files.upload("data/stream.bin", io.BytesIO(b"\x00\x01"), project=project.id)
    assert cml.files.download("data/stream.bin", project=project.id) == b"\x00\x01"
    cml.files.delete("data", project=project.id)
    with pytest.raises(NotFoundError):
        cml.files.list("data", project=project.id)
    with pytest.raises(NotFoundError):
        cml.files.download("nothing.txt", project=project.id)


def test_output_of_a_run_without_a_log_is_none(cml: CML) -> None:
    run = JobRun(id="0000000000000000", project_id=cml.projects.resolve(None))
    assert cml.runs.output(run) is None


def test_runtimes(cml: CML) -> None:
    runtimes = cml.runtimes.list()
    assert runtimes and all(r.image_identifier for r in runtimes)
    python = cml.runtimes.list(search="python 3.12")
    assert python and all("3.12" in r.kernel for r in python)
    assert len(cml.runtimes.list(search="python", limit=2)) == 2
    standard = cml.runtimes.list(search_filter={"edition": "Standard"})
    assert standard and all(r.edition == "Standard" for r in standard)


def test_wrong_key_is_an_auth_error(local_cml: LocalCML, recorder: Recorder) -> None:
    client = CML(local_cml.url, "not-a-key-0123456789", project="risk-analysis")
    recorder.watch(client.transport.session)
    with pytest.raises(AuthError) as caught:
        client.projects.list()
    assert caught.value.status == 401
    assert "not-a-key-0123456789" not in str(caught.value)
    assert "not-a-key-0123456789" not in repr(client)


def test_malformed_id_is_a_bad_request(cml: CML) -> None:
    with pytest.raises(NotFoundError):
        cml.projects.get("abcd-efgh-ijkl-mnop")
    with pytest.raises(BadRequestError, match="19 runes"):
        cml.transport.request("GET", "/api/v2/projects/short")


def test_the_request_check_catches_requests_outside_the_spec(local_cml: LocalCML) -> None:
    own = Recorder()
    client = CML(local_cml.url, local_cml.api_key, max_retries=0)
    own.watch(client.transport.session)
    for path, params in (
        ("/api/v2/projects/abcd-abcd-abcd-abcd/logs", None),
        ("/api/v2/projects", {"pageSize": 3}),
        ("/api/v1/projects/alice/risk-analysis/engine-images", None),
    ):
        with contextlib.suppress(CMLError):
            client.transport.request("GET", path, params=params)
    client.close()
    assert len(own.problems) == 3, own.problems
    assert "pageSize" in own.problems[1]
