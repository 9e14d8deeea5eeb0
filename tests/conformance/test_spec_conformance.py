"""CML's Swagger spec as the judge: every request the client sends is an operation of it (and
every v1 call a documented one), every answer has the spec's field names and types, and the
local server serves no v2 route the spec lacks.

One scenario drives every public method of the client against a private local server, with a
recorder on the client's session; the route table comes from the server's own OpenAPI document.
"""

from __future__ import annotations

import contextlib
import functools
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from support.swagger import (
    V1_ROUTES,
    Recorder,
    answer_problems,
    operation,
    operations,
    request_problems,
    shape,
    spec,
)
from support.waits import wait_for

from cml_magic.api import CML, BadRequestError, CMLError, NotFoundError
from cml_magic.local import LocalCML
from cml_magic.runlog import SNIPPET

FAST = 0.05  # seconds between polls
WAIT = 60.0  # bound of every wait
# Public methods of `CML` that are setting up, not talking to CML.
NOT_CALLS = {"from_env", "from_settings", "close", "default_project_ref"}
SLEEPER = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n"
# It saves its output in the project (cml_magic.runlog), where `cml.runs.output` reads it.
JOB = SNIPPET + "print('hello', os.environ.get('GREETING'), flush=True)\n"


class CallLog:
    """Which public methods of the client a test called itself (calls they make inside are
    not counted), by wrapping the methods of one client instance."""

    def __init__(self, cml: CML) -> None:
        self.called: set[str] = set()
        self.expected: set[str] = set()
        self._depth = 0
        for name in _public_methods(cml):
            if name not in NOT_CALLS:
                self._wrap(cml, name, name)
        for resource in dir(cml):
            # The resources hanging off the client (`cml.jobs`, ...), not its transport. They
            # are read here: an accessor makes its resource on first use, so `vars` may lack it.
            if resource.startswith("_") or resource == "transport":
                continue
            obj = getattr(cml, resource)
            if type(obj).__module__.startswith("cml_magic.api."):
                for name in _public_methods(obj):
                    self._wrap(obj, name, f"{resource}.{name}")

    def _wrap(self, obj: object, name: str, label: str) -> None:
        method = getattr(obj, name)
        self.expected.add(label)

        @functools.wraps(method)
        def logged(*args: Any, **kwargs: Any) -> Any:
            if self._depth == 0:
                self.called.add(label)
            self._depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self._depth -= 1

        setattr(obj, name, logged)

    def missing(self) -> set[str]:
        return self.expected - self.called


def _public_methods(obj: object) -> list[str]:
    return [n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n))]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCML]:
    """A private seeded server: the scenario creates and starts lots of things."""
    spec()  # skip before starting anything when there is no spec
    with LocalCML(data_dir=tmp_path_factory.mktemp("conformance"), phase_delay=FAST) as local:
        yield local


def served_routes(server: LocalCML) -> set[tuple[str, str]]:
    """(method, path template) of every v2 and v1 route in the server's OpenAPI document."""
    served = requests.get(server.url + "/api/v2/local/openapi.json", timeout=10).json()
    return {
        (method.upper(), path)
        for path, item in served["paths"].items()
        if path.startswith(("/api/v2/", "/api/v1/"))
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }


def test_the_checkers_catch_departures(server: LocalCML) -> None:
    """The judge judges: departures in requests and answers are found, with their place."""
    from support.swagger import problems

    good = {"path": "a.py", "is_dir": False, "file_size": "12"}
    info = {"$ref": "#/definitions/FileInfo"}
    assert problems(good, info) == []
    assert "int64" in problems({**good, "file_size": 12}, info)[0]
    assert "missing" in problems({"path": "a.py", "is_dir": False}, info)[0]
    assert "'extra' is not in the spec" in problems({**good, "extra": 1}, info)[0]
    assert problems({"path": "a.py"}, info, complete=False) == []
    run = {"$ref": "#/definitions/JobRun"}
    nested = problems({"environment": "{}", "creator": {"username": 3}}, run, complete=False)
    assert nested == ["$.creator.username: expected a string (text), got 3"]
    assert problems({"created_at": "2026-01-01 10:00"}, run, complete=False)
    assert problems({"status": "running"}, run, complete=False)
    quota = {"type": "integer", "format": "int32"}
    assert problems("3", quota) and problems(2**40, quota) and not problems(3, quota)
    assert problems(1.5, {"type": "number", "format": "double"}) == []

    assert str(operation("POST", "/api/v2/projects/p/jobs/j/runs/r:stop")).endswith("{run_id}:stop")
    assert operation("GET", "/api/v2/projects/p/jobs/j/runs/r:stop") is None
    assert str(operation("GET", "/api/v2/projects/batch")) == "GET /api/v2/projects/batch"

    def sent(method: str, path: str, **kwargs: Any) -> list[str]:
        prepared = requests.Request(method, server.url + path, **kwargs).prepare()
        return request_problems(prepared)

    assert sent("GET", "/api/v2/projects", params={"page_size": 2, "sort": "name"}) == []
    assert "pageSize" in sent("GET", "/api/v2/projects", params={"pageSize": 2})[0]
    assert "integer" in sent("GET", "/api/v2/projects", params={"page_size": "ten"})[0]
    assert "no such operation" in sent("GET", "/api/v2/projects/p/logs")[0]
    assert "v1" in sent("GET", "/api/v1/projects/a/b/engine-images")[0]
    assert sent("POST", "/api/v1/projects/a/b/jobs/208/start", json={}) == []
    bad_body = sent("POST", "/api/v2/projects/p/jobs", json={"name": "j", "timeout": "60"})
    assert bad_body and "timeout" in bad_body[0]
    assert "'colour'" in sent("PATCH", "/api/v2/projects/p", json={"colour": "red"})[0]

    answer = requests.get(
        server.url + "/api/v2/projects/aaaa-bbbb-cccc-dddd",
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=10,
    )
    assert answer.status_code == 404 and answer_problems(answer) == []
    answer._content = b'{"error": 5, "code": "5", "message": "m", "details": []}'
    assert len(answer_problems(answer)) == 2  # judged as `runtimeError`


def test_every_client_method_speaks_the_spec(server: LocalCML) -> None:
    recorder = Recorder(check_answers=True)
    cml = CML(server.url, server.api_key, legacy_api_key=server.legacy_api_key, backoff=0.01)
    recorder.watch(cml.transport.session)
    log = CallLog(cml)
    try:
        _scenario(cml)
        _beside_the_client(cml)
        # Last: revoking every key of alice's ends the client's own.
        cml.keys.delete_all()
        with pytest.raises(CMLError, match="401"):
            cml.whoami()
    finally:
        cml.close()
    assert not recorder.problems, "departures from CML's spec:\n" + "\n".join(recorder.problems)
    assert len(log.expected) > 60  # the resources were found
    assert not log.missing(), f"public client methods the scenario never called: {log.missing()}"
    v1 = [e for e in recorder.exchanges if e.path.startswith("/api/v1/")]
    assert {e.method for e in v1} == {"GET", "POST"}, recorder.seen()
    statuses = {e.status for e in recorder.exchanges}
    assert {200, 400, 404} <= statuses  # answers and both error kinds were judged
    peers = Recorder()
    with requests.Session() as session:
        peers.watch(session)
        _as_peers_call_v1(session, server)
    assert not peers.problems, "undocumented v1 calls:\n" + "\n".join(peers.problems)
    hit = {(e.method, e.route) for e in recorder.exchanges + peers.exchanges}
    routes = {(m, shape(p)) for m, p in served_routes(server)}
    unvisited = sorted(f"{m} {p}" for m, p in routes - hit)
    assert not unvisited, "routes of the local server the scenario never called:\n" + "\n".join(
        unvisited
    )


def _scenario(cml: CML) -> None:
    tag = uuid.uuid4().hex[:6]
    assert cml.whoami().username == "alice"

    # Projects: paging (page size 1 follows tokens), filters, sort, names, public ones.
    assert len(cml.projects.list(page_size=1)) >= 2
    assert [p.name for p in cml.projects.iter(search="risk", sort="-created_at")] == [
        "risk-analysis"
    ]
    public = cml.projects.list(search_filter={"owner.username": "alice"}, include_public=True)
    assert public and all(p.owner and p.owner.username == "alice" for p in public)
    project = cml.projects.create(
        f"conf-{tag}", description="d", template="python", environment={"A": "1"}
    )
    cml.project = project.id
    assert cml.projects.get(project.name).id == project.id
    assert cml.projects.get().id == project.id
    assert cml.projects.resolve(f"alice/{project.name}") == project.id
    assert cml.projects.update(project.name, description="e", environment={"B": "2"}).description
    with pytest.raises(NotFoundError):
        cml.projects.get("aaaa-bbbb-cccc-dddd")
    with pytest.raises(BadRequestError):
        cml.projects.list(sort="-nope")

    # Files.
    cml.files.upload("job.py", JOB)
    cml.files.upload("sleep.py", SLEEPER.encode())
    cml.files.upload("data/in.txt", b"one")
    cml.files.upload("data/in.txt", b"two", overwrite=True)
    assert {f.path for f in cml.files.list()} >= {"job.py", "data", "predict.py"}
    assert [f.path for f in cml.files.list("data")] == ["in.txt"]
    assert cml.files.download("data/in.txt") == b"two"
    # Streamed both ways (a file object up, a sink down), then renamed.
    big = io.BytesIO(b"0123456789" * 20000)
    cml.files.upload("data/big.bin", big, overwrite=True, progress=lambda n: None)
    sink = io.BytesIO()
    assert cml.files.download_to("data/big.bin", sink, progress=lambda n: None) == 200000
    assert sink.getvalue() == big.getvalue()
    assert cml.files.rename("data/big.bin", "data/moved.bin").path == "data/moved.bin"
    assert cml.files.download("data/moved.bin") == big.getvalue()
    cml.files.delete("data/moved.bin")
    cml.files.delete("data/in.txt")
    with pytest.raises(NotFoundError):
        cml.files.download("data/in.txt")
    with pytest.raises(NotFoundError):
        cml.files.download_to("data/in.txt", io.BytesIO())

    # Jobs: create, paging, filters, names, update.
    job = cml.jobs.create(f"hello-{tag}", "job.py", environment={"GREETING": "hi"}, timeout=60)
    sleeper = cml.jobs.create(f"sleep-{tag}", "sleep.py")
    assert {j.id for j in cml.jobs.list(page_size=1)} == {job.id, sleeper.id}
    assert [j.id for j in cml.jobs.iter(search="sleep", sort="-created_at")] == [sleeper.id]
    assert [j.id for j in cml.jobs.list(search_filter={"script": "job.py"}, limit=1)] == [job.id]
    assert cml.jobs.get(job.name).id == job.id == cml.jobs.get(job.id).id
    assert cml.jobs.resolve(job.name, project.id) == job.id
    # Across every project (no sort there).
    assert {j.id for j in cml.jobs.list_in_all_projects(search=tag)} == {job.id, sleeper.id}
    assert "nightly" in {j.name for j in cml.jobs.iter_in_all_projects(page_size=1)}
    assert cml.jobs.update(job.name, arguments="--loud", environment={"GREETING": "hey"}).arguments

    # Runs: start, wait, output, list with status filter, stop.
    run = cml.runs.create(job.name, environment={"GREETING": "hello"}, arguments="x")
    done = cml.wait_for_run(run, timeout=WAIT, poll_interval=FAST)
    assert done.succeeded, done.status
    assert cml.runs.refresh(done).status == cml.runs.get(done.id, job.id).status
    assert "hello" in (cml.runs.output(done) or "")
    cml.runs.create(job.id)
    assert [r.id for r in cml.runs.iter(job.id, page_size=1)][-1] == run.id
    wait_for(lambda: all(r.finished for r in cml.runs.list(job.id)), timeout=WAIT)
    assert [r.id for r in cml.runs.list(job.id, status="succeeded", limit=1)]
    long = cml.runs.create(sleeper.id)
    wait_for(lambda: cml.runs.refresh(long).status == "ENGINE_RUNNING", timeout=WAIT)
    cml.runs.stop(long.id, sleeper.name)
    assert cml.wait_for_run(long, timeout=WAIT, poll_interval=FAST).status == "ENGINE_STOPPED"
    # Any result object: fetched again and stopped by the client, by its kind and ids.
    again = cml.runs.create(sleeper.id)
    wait_for(lambda: cml.refresh(again).status == "ENGINE_RUNNING", timeout=WAIT)
    assert cml.stop(again).id == again.id
    assert cml.wait_for_run(again, timeout=WAIT, poll_interval=FAST).status == "ENGINE_STOPPED"

    # The numeric job id of web addresses, and the legacy API v1.
    nightly = cml.jobs.get(208, project="risk-analysis")
    assert nightly.name == "nightly"
    assert any(j["id"] == 208 for j in cml.legacy.jobs("alice", "risk-analysis"))
    assert cml.legacy.job_id(nightly.project_id, 208) == nightly.id
    engine = cml.start_job_v1("alice", "risk-analysis", 208, environment={"X": "1"})
    legacy_run = cml.runs.get(engine, nightly.id, "risk-analysis")
    cml.wait_for_run(legacy_run, timeout=WAIT, poll_interval=FAST)
    engine = cml.legacy.start_job("alice", "risk-analysis", 208)
    cml.wait_for_run(
        cml.runs.get(engine, "nightly", "risk-analysis"), timeout=WAIT, poll_interval=FAST
    )

    # Models, builds, deployments.
    model = cml.models.create(f"m-{tag}", description="d")
    assert [m.id for m in cml.models.list(search=model.name)] == [model.id]
    assert [m.id for m in cml.models.iter(page_size=1)] == [model.id]
    assert cml.models.get(model.name).id == model.id == cml.models.get(model.id).id
    assert cml.models.resolve(model.name, project.id) == model.id
    assert [m.id for m in cml.models.list_in_all_projects(search=model.name)] == [model.id]
    assert model.id in {m.id for m in cml.models.iter_in_all_projects(page_size=1, limit=5)}
    assert cml.models.update(model.name, description="e").description == "e"
    build = cml.builds.create(model.name, "predict.py", "predict", comment="c")
    build = cml.wait_for_build(build, timeout=WAIT, poll_interval=FAST)
    assert build.succeeded, build.status
    assert cml.builds.refresh(build).id == cml.builds.get(build.id, model.id).id
    assert [b.id for b in cml.builds.list(model.name)] == [build.id]
    assert [b.id for b in cml.builds.iter(model.id, page_size=1, limit=1)] == [build.id]
    assert "found predict" in (cml.builds.log(build) or "")  # a project file: the files API
    dep = cml.deployments.create(build.id, model.name, cpu=1, memory=2, environment={"E": "1"})
    dep = cml.wait_for_deployment(dep, timeout=WAIT, poll_interval=FAST)
    assert dep.succeeded, dep.status
    assert [d.id for d in cml.deployments.list(model.name)] == [dep.id]
    assert cml.deployments.get(dep.id, model.name).id == dep.id
    assert cml.deployments.refresh(dep).id == dep.id
    cml.deployments.stop(dep.id, model.name, build.id)
    wait_for(lambda: cml.deployments.refresh(dep).status == "stopped", timeout=WAIT)
    cml.deployments.restart(dep.id, model.id)
    assert cml.wait_for_deployment(dep, timeout=WAIT, poll_interval=FAST).succeeded
    # The deployed model called at the model service (the local server's own /model).
    wait_for(lambda: cml.deployments.refresh(dep).status == "deployed", "the deployment")
    assert cml.models.predict(model.name, {"x": 2}) == {"prediction": 4.0}
    assert cml.models.endpoint in cml.models.call_examples(model)["curl"]
    cml.deployments.stop(dep.id, model.id)

    # Applications.
    app = cml.applications.create(f"app-{tag}", "app.py", f"app{tag}", environment={"K": "v"})
    wait_for(lambda: cml.applications.get(app.id).status == "APPLICATION_RUNNING", timeout=WAIT)
    assert [a.id for a in cml.applications.list(search=app.name)] == [app.id]
    assert [a.id for a in cml.applications.iter(sort="name", page_size=1)] == [app.id]
    assert cml.applications.update(app.name, description="x", environment={"K": "w"}).description
    assert cml.applications.resolve(app.name, project.id) == app.id
    cml.applications.restart(app.name)
    wait_for(lambda: cml.applications.get(app.name).status == "APPLICATION_RUNNING", timeout=WAIT)
    cml.applications.stop(app.id)
    wait_for(lambda: cml.applications.get(app.id).status == "APPLICATION_STOPPED", timeout=WAIT)
    cml.applications.delete(app.name)

    # Runtimes.
    assert len(cml.runtimes.list(search="python", limit=2)) == 2
    standard = list(cml.runtimes.iter(search_filter={"edition": "Standard"}, page_size=2))
    assert standard and all(r.edition == "Standard" for r in standard)
    full = standard[0].image_identifier
    assert cml.runtimes.identifier(full.rpartition("/")[2].removeprefix("ml-runtime-")) == full

    # Experiments, their runs, logging (split into MLflow-sized batches) and metric histories.
    experiment = cml.experiments.create(f"exp-{tag}", tags={"team": "risk"})
    assert [e.id for e in cml.experiments.list(search=experiment.name)] == [experiment.id]
    assert [e.id for e in cml.experiments.iter(sort="-created_at", page_size=1)] == [experiment.id]
    assert cml.experiments.get(experiment.name).id == experiment.id
    assert cml.experiments.resolve(experiment.name, project.id) == experiment.id
    assert experiment.id in {e.id for e in cml.experiments.list_in_all_projects(search=tag)}
    assert experiment.id in {e.id for e in cml.experiments.iter_in_all_projects(page_size=1)}
    experiment = cml.experiments.update(experiment.name, name=f"exp2-{tag}", tags={"k": "v"})
    first = cml.experiment_runs.create(experiment.name, name="first", tags={"seed": "1"})
    second = cml.experiment_runs.create(experiment.id, start_time="2026-01-01T00:00:00Z")
    history = [{"key": "loss", "value": 1 / (s + 1), "step": s} for s in range(1200)]
    assert cml.experiment_runs.log(first, metrics=history, params={"lr": 0.1}) == 2
    assert cml.experiment_runs.log("first", experiment.id, metrics={"acc": 0.9}, step=3) == 1
    cml.experiment_runs.log(second, metrics={"loss": 0.5}, tags={"t": "x"})
    assert cml.experiment_runs.get("first", experiment.name).metrics == {
        "acc": 0.9,
        "loss": 1 / 1200,
    }
    assert [r.id for r in cml.experiment_runs.list(experiment.name, sort="name")][0] == first.id
    assert len(list(cml.experiment_runs.iter(experiment.id, page_size=1))) == 2
    assert len(cml.experiment_runs.metric_history(first, "loss")) == 1200
    assert [len(h) for h in cml.experiment_runs.metric_histories(experiment.id, "loss")] == [
        1200,
        1,
    ]
    done = cml.experiment_runs.update(second, name="second", status="finished")
    assert cml.experiment_runs.refresh(done).status == "EXPERIMENT_RUN_FINISHED"
    cml.experiment_runs.delete_batch(first, metrics=["acc"], params=["lr"], tags=["seed"])
    assert cml.refresh(first).params == {}
    with pytest.raises(BadRequestError):  # MLflow's limit: at most 100 params per request
        many = [{"key": f"p{n}", "value": "1"} for n in range(101)]
        cml.transport.request(
            "POST",
            cml.experiment_runs._path((project.id, experiment.id), first.id, ":logbatch"),
            json_body={"params": many},
        )
    cml.experiment_runs.delete(second)
    cml.experiments.delete(experiment.id)
    with pytest.raises(NotFoundError):
        cml.experiments.get(experiment.id)

    # The model registry: a build registered, a file and a run's model as next versions, the
    # versions read and changed, and a version deployed and called.
    first = cml.registry.register_build(f"reg-{tag}", build, tags={"stage": "dev"})
    registered = cml.registry.create(f"reg-{tag}", "predict.py", notes="two", visibility="public")
    assert registered.count == 2 and cml.registry.newest_version(registered).number == 2
    experiment = cml.experiments.create(f"exp3-{tag}")
    logged = cml.experiment_runs.create(experiment.id, name="registered")
    third = cml.registry.register_run(f"reg-{tag}", experiment, logged, "predict.py")
    assert third.run_id == logged.id and third.model_version_metadata
    assert [m.id for m in cml.registry.list(search=f"reg-{tag}")] == [registered.id]
    assert [m.name for m in cml.registry.iter(page_size=1, limit=1)]
    assert cml.registry.get(f"reg-{tag}").count == 3 == cml.refresh(registered).count
    assert cml.registry.resolve(f"reg-{tag}") == registered.id
    assert cml.registry.update(registered, description="d").description == "d"
    assert [v.number for v in cml.registry.versions(registered.id, page_size=1)] == [1, 2, 3]
    assert cml.registry.get_version(registered, 1).id == first.id
    assert cml.registry.get_version(registered.id, first.id).build_id == build.id
    assert cml.registry.update_version(registered, "v2", notes="n").notes == "n"
    cml.registry.delete_version(registered, third)
    with pytest.raises(NotFoundError):
        cml.registry.get_version(registered, third.id)
    served = cml.models.create(f"served-{tag}", registered_model=registered)
    again = cml.builds.create(served.id, registered_model_version=first)
    assert cml.wait_for_build(again, timeout=WAIT, poll_interval=FAST).succeeded
    dep2 = cml.deployments.create(again.id, served.id)
    assert cml.wait_for_deployment(dep2, timeout=WAIT, poll_interval=FAST).succeeded
    assert cml.models.predict(served.id, {"x": 1}) == {"prediction": 2.0}
    cml.deployments.stop(dep2.id, served.id, again.id)
    with pytest.raises(BadRequestError):
        cml.registry.create(f"reg-{tag}", "no-such-file.py")
    cml.registry.delete(registered)
    cml.experiments.delete(experiment.id)
    # The caller's own keys, usage and workloads.
    made = cml.keys.create(comments=f"ci-{tag}", expiry_date="2099-01-01T00:00:00Z")
    assert made.key_id in {k.key_id for k in cml.keys.list()}
    assert made.api_key not in repr(made) and made.api_key not in repr(cml.keys.list())
    cml.keys.delete(made.key_id, username="alice")
    assert made.key_id not in {k.key_id for k in cml.keys.list("alice")}
    used = cml.usage.list(search_filter={"workload_type": "job"}, sort="-created_at")
    assert used and {u.workload_type for u in used} == {"job"}
    assert len(list(cml.usage.iter(page_size=1, limit=2))) == 2
    ran = cml.workloads.list(page_size=2)
    assert ran and all(e.workload is not None and e.name for e in ran)
    assert all(e.active for e in cml.workloads.iter(active=True, limit=5))
    assert "ENGINE_RUNNING" in cml.workloads.statuses()

    # Deleting, in the order CML allows.
    wait_for(lambda: cml.deployments.refresh(dep).status == "stopped", timeout=WAIT)
    cml.builds.delete(build.id, model.name)
    cml.models.delete(model.id)
    cml.jobs.delete(sleeper.name)
    cml.jobs.delete(job.id)
    cml.projects.delete(project.id)
    with contextlib.suppress(CMLError):
        cml.projects.get(project.id)


def test_the_local_server_serves_only_spec_operations(server: LocalCML) -> None:
    """Its route table (its own OpenAPI document) holds no v2 route CML's spec lacks, and of
    v1 only the documented job routes."""
    routes = served_routes(server)
    assert len(routes) >= 30
    known = {(op.method, shape(op.template)) for op in operations()}
    known |= {(method, shape(template)) for method, template in V1_ROUTES}
    invented = sorted(f"{m} {p}" for m, p in routes if (m, shape(p)) not in known)
    assert not invented, "routes that are no CML operation (nor documented v1):\n" + "\n".join(
        invented
    )


def _beside_the_client(cml: CML) -> None:
    """The server's routes no client method calls, sent through the client's transport."""
    v2, pid = "/api/v2", cml.projects.resolve("risk-analysis")
    cml.transport.request("GET", v2 + "/projects/batch", params={"project_ids": [pid]})
    v1 = "/api/v1/projects/alice/risk-analysis/jobs"
    cml.transport.request("GET", v1 + "/208", legacy=True)
    with contextlib.suppress(CMLError):  # nothing running: v1 may refuse
        cml.transport.request("POST", v1 + "/208/stop", legacy=True)


def _as_peers_call_v1(session: requests.Session, server: LocalCML) -> None:
    """The v1 routes the client does not call, as cmlutils and cmlbootstrap call them."""
    session.auth = server.legacy_api_key, ""
    v1 = server.url + "/api/v1"
    project = v1 + "/projects/alice/risk-analysis"

    def call(method: str, url: str, expect: int = 200, **kwargs: Any) -> requests.Response:
        resp = session.request(method, url, timeout=30, **kwargs)
        assert resp.status_code == expect, (method, url, resp.status_code, resp.text)
        return resp

    call("POST", v1 + "/users/alice/apikey", json={"expiryDate": "2100-01-01T00:00:00Z"})
    call("GET", v1 + "/users/alice")
    call("GET", v1 + "/runtimes", params={"includeAll": "true"})
    call("GET", project)
    env = call("GET", project + "/environment").json()
    call("PUT", project + "/environment", 204, json=env)
    job = call("POST", project + "/jobs", 201, json={"name": "v1", "script": "analysis.py"})
    call("DELETE", f"{project}/jobs/{job.json()['id']}", 204)
