"""API v2: jobs and job runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cml_magic.local import ids, shapes
from cml_magic.local.bodies import CreateJobRun, JobFields
from cml_magic.local.context import V2, Ctx, Listing, page
from cml_magic.local.errors import bad_request, not_found
from cml_magic.local.listing import paginate
from cml_magic.local.scheduler import schedule_problem
from cml_magic.local.scripts import check_script
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import DEFAULT_TIMEZONE, now
from cml_magic.local.validate import quote

router = APIRouter(prefix="/api/v2", tags=["jobs"])

JOB_FILTER = (
    "creator.email",
    "creator.name",
    "creator.username",
    "description",
    "kernel",
    "name",
    "paused",
    "script",
    "type",
)
JOB_SORT = (*JOB_FILTER, "created_at", "updated_at")
RUN_FILTER = (*JOB_FILTER, "status", "id")
RUN_SORT = (*JOB_SORT, "status")


def _check_schedule(schedule: str | None) -> None:
    problem = schedule_problem(schedule) if schedule else None
    if problem:
        raise bad_request(problem)


def _check_parent(ctx: Ctx, project_id: str, parent_id: str, job_id: str | None = None) -> None:
    """The parent is a job of the same project (so one the caller may run), not the job
    itself, and the chain of parents above it never comes back to the job (a cycle would
    start runs for ever)."""
    if parent_id == job_id:
        raise bad_request("Problem with field ParentId: a job cannot depend on itself")
    _, parent = ctx.job(project_id, parent_id)
    seen = {parent_id}
    while parent.get("parent_id"):
        if parent["parent_id"] == job_id:
            raise bad_request(
                f"Problem with field ParentId: job {parent_id} already depends on job {job_id}"
                " (directly or through other jobs); dependencies cannot form a cycle"
            )
        if parent["parent_id"] in seen:  # a cycle stored before this rule: stop walking
            break
        seen.add(parent["parent_id"])
        found = ctx.store.get("job", parent["parent_id"])
        if found is None:
            break
        parent = found


def _job_type(fields: dict[str, Any]) -> str:
    if fields.get("parent_id"):
        return "dependent"
    if fields.get("schedule"):
        return "cron"
    return "manual"


def create_job(ctx: Ctx, project: Doc, body: JobFields, legacy_id: int | None = None) -> Doc:
    """Create a job in `project`; `legacy_id` pins the numeric id shown by API v1."""
    fields = body.model_dump(exclude_none=True)
    if fields.pop("parent_job_id", None) and not fields.get("parent_id"):
        fields["parent_id"] = body.parent_job_id
    name = (fields.get("name") or "").strip()
    if not name:
        raise bad_request("Problem with field Name: a job needs a name")
    check_script(ctx.sup.project_dir(project["id"]), fields.get("script", ""))
    if fields.get("timeout", 0) < 0:
        raise bad_request("timeout must be zero (none) or a number of seconds")
    _check_schedule(fields.get("schedule"))
    if fields.get("parent_id"):
        if fields.get("schedule"):
            raise bad_request("a job has either a schedule or a parent job, not both")
        _check_parent(ctx, project["id"], fields["parent_id"])
    stamp = now()
    doc = {
        "cpu": 1.0,
        "memory": 1.0,
        "nvidia_gpu": 0,
        "arguments": "",
        "timeout": 0,
        "kill_on_timeout": True,
        "timezone": DEFAULT_TIMEZONE,
        "kernel": "" if project.get("default_engine_type") == "ml_runtime" else "python3",
        **fields,
        "id": ids.dashed_id(),
        "project_id": project["id"],
        "name": name,
        "type": _job_type(fields),
        "environment": body.environment or {},
        "creator": ctx.username,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with ctx.store.transaction():
        if legacy_id is None:
            legacy_id = ctx.store.next_value("legacy_job_id", start=1)
        else:
            ctx.store.bump_counter("legacy_job_id", legacy_id)
        doc["legacy_id"] = legacy_id
        ctx.store.put("job", doc)
    return doc


@router.get("/projects/{project_id}/jobs", summary="List jobs")
def list_jobs(ctx: V2, project_id: str, params: Listing) -> dict[str, Any]:
    project = ctx.project(project_id)
    users = shapes.RememberedUsers(ctx.store)
    jobs = ctx.store.find("job", project_id)
    chosen, token = paginate(
        jobs, params, JOB_FILTER, JOB_SORT, shape=lambda j: shapes.job(users, j, project)
    )
    return page("jobs", chosen, token)


@router.get("/jobs", summary="List the jobs of every project the caller can see")
def list_all_jobs(ctx: V2, params: Listing) -> dict[str, Any]:
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        ctx.visible("job"), params, JOB_FILTER, JOB_SORT, shape=lambda p: shapes.job(users, *p)
    )
    return page("jobs", chosen, token)


@router.post("/projects/{project_id}/jobs", summary="Create a job")
def post_job(ctx: V2, project_id: str, body: JobFields) -> dict[str, Any]:
    project = ctx.project(project_id, write=True)
    return shapes.job(ctx.store, create_job(ctx, project, body), project)


@router.get("/projects/{project_id}/jobs/{job_id}", summary="Get a job")
def get_job(ctx: V2, project_id: str, job_id: str) -> dict[str, Any]:
    project, job = ctx.job(project_id, job_id)
    return shapes.job(ctx.store, job, project)


@router.patch("/projects/{project_id}/jobs/{job_id}", summary="Update a job (fields that are set)")
def patch_job(ctx: V2, project_id: str, job_id: str, body: JobFields) -> dict[str, Any]:
    project, job = ctx.job(project_id, job_id, write=True)
    fields = body.model_dump(exclude_none=True)
    fields.pop("parent_job_id", None)
    # CML ignores these on update: there is no pause operation in API v2.
    fields.pop("paused", None)
    fields.pop("timezone", None)
    if "script" in fields:
        check_script(ctx.sup.project_dir(project_id), fields["script"])
    _check_schedule(fields.get("schedule"))
    if "name" in fields and not fields["name"].strip():
        raise bad_request("Problem with field Name: a job needs a name")
    if fields.get("timeout", 0) < 0:
        raise bad_request("timeout must be zero (none) or a number of seconds")
    merged = {**job, **fields}
    if fields.get("parent_id"):
        if merged.get("schedule"):
            raise bad_request("a job has either a schedule or a parent job, not both")
        _check_parent(ctx, project_id, fields["parent_id"], job_id)
    fields["type"] = _job_type(merged)
    fields["updated_at"] = now()
    doc = ctx.store.patch("job", job_id, **fields)
    assert doc is not None
    return shapes.job(ctx.store, doc, project)


@router.delete("/projects/{project_id}/jobs/{job_id}", summary="Delete a job")
def delete_job(ctx: V2, project_id: str, job_id: str) -> dict[str, Any]:
    ctx.job(project_id, job_id, write=True)
    for run in ctx.store.find("run", project_id, job_id=job_id):
        if run["status"] in ("ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING"):
            ctx.sup.stop_run(run)
    ctx.store.delete("job", job_id)
    return {}


# runs ------------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/jobs/{job_id}/runs", summary="List the runs of a job")
def list_runs(ctx: V2, project_id: str, job_id: str, params: Listing) -> dict[str, Any]:
    project, job = ctx.job(project_id, job_id)
    job_keys = shapes.job(ctx.store, job, project)
    added = {k: job_keys[k] for k in ("name", "script", "type", "paused")}
    added["description"] = ""
    # Runs are filtered by their job's keys too; those keys are dropped before answering.
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        ctx.store.find("run", project_id, job_id=job_id),
        params,
        RUN_FILTER,
        RUN_SORT,
        status_prefix="ENGINE_",
        shape=lambda r: {**added, **shapes.job_run(users, r)},
    )
    runs = [{k: v for k, v in c.items() if k not in added} for c in chosen]
    return page("job_runs", runs, token)


@router.post("/projects/{project_id}/jobs/{job_id}/runs", summary="Start a run of a job")
def post_run(
    ctx: V2, project_id: str, job_id: str, body: CreateJobRun | None = None
) -> dict[str, Any]:
    project, job = ctx.job(project_id, job_id, write=True)
    body = body or CreateJobRun()
    run = ctx.sup.create_run(job, ctx.username, body.environment, body.arguments)
    return shapes.job_run(ctx.store, run)


def _run(ctx: Ctx, project_id: str, job_id: str, run_id: str) -> Doc:
    ctx.job(project_id, job_id)
    run = ctx.store.get("run", run_id)
    if run is None or run["job_id"] != job_id:
        raise not_found(f"run {quote(run_id)} not found for job {job_id}")
    return run


@router.post("/projects/{project_id}/jobs/{job_id}/runs/{run_id}:stop", summary="Stop a run")
def stop_run(ctx: V2, project_id: str, job_id: str, run_id: str) -> dict[str, Any]:
    ctx.job(project_id, job_id, write=True)
    run = ctx.sup.stop_run(_run(ctx, project_id, job_id, run_id))
    return shapes.job_run(ctx.store, run)


@router.get("/projects/{project_id}/jobs/{job_id}/runs/{run_id}", summary="Get a run")
def get_run(ctx: V2, project_id: str, job_id: str, run_id: str) -> dict[str, Any]:
    return shapes.job_run(ctx.store, _run(ctx, project_id, job_id, run_id))
