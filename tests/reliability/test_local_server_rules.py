"""The local server's own promises: keys, visibility, script paths, request bodies,
kill -9 and concurrent clients."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from support.waits import RUN_FINAL, wait_for

from cml_magic.api import CML, BadRequestError, NotFoundError
from cml_magic.local import LocalCML


@pytest.fixture(scope="module")
def server() -> Any:
    """One private demo server for this module: its tests leave the seeded state as it was."""
    with LocalCML(seed="demo", phase_delay=0.05) as server:
        yield server


def _ids(server: LocalCML) -> dict[str, str]:
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        project = cml.projects.get("risk-analysis")
        job = cml.jobs.get("nightly", project=project.id)
        return {"project": project.id, "job": job.id}


def test_no_access_without_a_valid_key(server: LocalCML) -> None:
    ids = _ids(server)
    base = server.url + "/api/v2"
    calls = [
        ("GET", f"{base}/projects", None),
        ("GET", f"{base}/projects/{ids['project']}/jobs", None),
        ("POST", f"{base}/projects/{ids['project']}/jobs", {"name": "x", "script": "analysis.py"}),
        ("POST", f"{base}/projects/{ids['project']}/jobs/{ids['job']}/runs", {}),
        ("DELETE", f"{base}/projects/{ids['project']}", None),
    ]
    bad_headers = [
        {},
        {"authorization": "Bearer "},
        {"authorization": "Bearer not-a-key"},
        {"authorization": f"Bearer {server.api_key}x"},
        {"authorization": server.api_key},  # no "Bearer "
        {"authorization": "Basic " + base64.b64encode(f"{server.api_key}:".encode()).decode()},
    ]
    for method, url, body in calls:
        for headers in bad_headers:
            answer = requests.request(method, url, json=body, headers=headers, timeout=10)
            assert answer.status_code == 401, (method, url, headers, answer.text)
            assert server.api_key not in answer.text
    v1 = f"{server.url}/api/v1/projects/alice/risk-analysis/jobs/1/start"
    for auth in [None, ("wrong-key", "")]:
        assert requests.post(v1, json={}, auth=auth, timeout=10).status_code == 401
    with CML(server.url, server.api_key, timeout=10.0) as cml:  # nothing happened meanwhile
        assert cml.projects.get(ids["project"]).id == ids["project"]
        assert "x" not in {j.name for j in cml.jobs.list(project=ids["project"])}
        assert cml.runs.list("nightly", project=ids["project"]) == []


def test_users_see_only_their_own_and_public_projects(server: LocalCML) -> None:
    with (
        CML(server.url, server.keys["alice"], timeout=10.0) as alice,
        CML(server.url, server.keys["bob"], timeout=10.0) as bob,
    ):
        private = alice.projects.get("churn-model")
        public = alice.projects.get("risk-analysis")
        sandbox = bob.projects.get("bob-sandbox")
        assert private.visibility == "private" and public.visibility == "public"
        seen_by_bob = {p.id for p in bob.projects.list(include_public=True)}
        assert public.id in seen_by_bob and sandbox.id in seen_by_bob
        assert private.id not in seen_by_bob
        assert public.id not in {p.id for p in bob.projects.list()}  # own only by default
        with pytest.raises(NotFoundError):
            bob.projects.get(private.id)
        with pytest.raises(NotFoundError):
            bob.jobs.list(project=private.id)
        with pytest.raises(NotFoundError):
            bob.files.download("fit.py", project=private.id)
        assert sandbox.id not in {p.id for p in alice.projects.list(include_public=True)}
        with pytest.raises(Exception) as caught:  # may read, may not change
            bob.jobs.create("intruder", "analysis.py", project=public.id)
        assert getattr(caught.value, "status", None) in (403, 404)


ESCAPES = ["../analysis.py", "../../store.db", "/etc/passwd", "a/../../x.py", "./../x.py",
           "..", "", "analysis.py/../../../etc/hostname"]  # fmt: skip


@pytest.mark.parametrize("script", ESCAPES)
def test_a_script_path_cannot_leave_the_project_folder(server: LocalCML, script: str) -> None:
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        project = cml.projects.get("risk-analysis")
        with pytest.raises(BadRequestError):
            cml.jobs.create("escape", script, project=project.id)
        with pytest.raises(BadRequestError):
            cml.jobs.update("nightly", project=project.id, script=script)
        assert cml.jobs.get("nightly", project=project.id).script == "analysis.py"


def test_a_symlink_out_of_the_project_folder_is_refused(
    local_cml_factory: Any, tmp_path: Path
) -> None:
    server: LocalCML = local_cml_factory(seed="demo")
    outside = tmp_path / "outside.py"
    outside.write_text("print('escaped')\n")
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        project = cml.projects.get("risk-analysis")
        link = server.data_dir / "projects" / project.id / "link.py"
        link.symlink_to(outside)
        with pytest.raises(BadRequestError):
            cml.jobs.create("escape", "link.py", project=project.id)


BAD_BODIES: list[tuple[str, Any]] = [
    ("data", "{not json"),
    ("json", []),
    ("json", {"name": 5, "script": "analysis.py"}),
    ("json", {"script": "analysis.py"}),
    ("json", {"name": "j", "script": "analysis.py", "cpu": "lots"}),
    ("json", {"name": "j", "script": "analysis.py", "environment": ["A=1"]}),
    ("json", {"name": "j", "script": "analysis.py", "timeout": "soon"}),
]


@pytest.mark.parametrize(("how", "body"), BAD_BODIES)
def test_bad_bodies_get_a_clear_400(server: LocalCML, how: str, body: Any) -> None:
    ids = _ids(server)
    url = f"{server.url}/api/v2/projects/{ids['project']}/jobs"
    headers = {"authorization": f"Bearer {server.api_key}", "content-type": "application/json"}
    answer = requests.post(url, headers=headers, timeout=10, **{how: body})
    assert answer.status_code == 400, answer.text
    message = answer.json().get("message", "")
    assert message and "\n" not in message and len(message) < 300, message
    assert "Traceback" not in answer.text


def _wait_final(cml: CML, run: Any, job: str, project: str) -> Any:
    """`run` as the server has it once it has ended."""

    def ended() -> Any:
        now = cml.runs.get(run.id, job, project=project)
        return now if now.status in RUN_FINAL else None

    return wait_for(ended, f"run {run.id} to finish", timeout=30)


def test_state_survives_kill_9_with_no_lost_runs(local_cml_factory: Any, tmp_path: Path) -> None:
    server: LocalCML = local_cml_factory(seed="demo", data_dir=tmp_path / "data")
    with CML(server.url, server.api_key, timeout=10.0, max_retries=0) as cml:
        project = cml.projects.create("crash-test", template="python")
        jobs = [cml.jobs.create(f"j{i}", "analysis.py", project=project.id) for i in range(4)]
        done = [_wait_final(cml, cml.runs.create(j.id, project=project.id), j.id, project.id)
                for j in jobs[:2]]  # fmt: skip
        running = [cml.runs.create(j.id, project=project.id) for j in jobs[2:]]
        server.kill()
        server.start()
        for run, job in zip(done + running, jobs, strict=True):
            again = cml.runs.get(run.id, job.id, project=project.id)
            assert again.id == run.id
        for run in done:
            job_id = run.job_id
            assert cml.runs.get(run.id, job_id, project=project.id).status == run.status
        for run, job in zip(running, jobs[2:], strict=True):
            assert _wait_final(cml, run, job.id, project.id).status in RUN_FINAL
        assert {j.id for j in cml.jobs.list(project=project.id)} == {j.id for j in jobs}


def test_twenty_concurrent_clients_lose_nothing(local_cml_factory: Any) -> None:
    server: LocalCML = local_cml_factory(seed="demo")
    with CML(server.url, server.api_key, timeout=30.0) as cml:
        project = cml.projects.create("busy", template="python")
    made: dict[int, list[str]] = {}
    runs: dict[int, str] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(20)

    def client(n: int) -> None:
        try:
            with CML(server.url, server.api_key, timeout=30.0) as mine:
                start.wait(10)
                jobs = [
                    mine.jobs.create(f"c{n:02d}-{i}", "analysis.py", project=project.id)
                    for i in range(3)
                ]
                made[n] = [j.id for j in jobs]
                runs[n] = mine.runs.create(jobs[0].id, project=project.id).id
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures[:3]
    with CML(server.url, server.api_key, timeout=30.0) as cml:
        listed = {j.id for j in cml.jobs.list(project=project.id, page_size=7)}
        assert listed == {i for ids in made.values() for i in ids}
        assert len(listed) == 60
        for n, run_id in runs.items():
            assert cml.runs.get(run_id, made[n][0], project=project.id).id == run_id
