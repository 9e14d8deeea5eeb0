"""Legacy Jobs API v1 (Basic auth): start a job by its numeric id, list a project's jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cml_magic.local.bodies import V1Start
from cml_magic.local.context import V1, Ctx
from cml_magic.local.errors import not_found
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import ZERO_TIME

router = APIRouter(prefix="/api/v1", tags=["legacy v1"])


def _project(ctx: Ctx, owner: str, slug: str, write: bool = False) -> Doc:
    for project in ctx.store.find("project", None, owner=owner, slug=slug):
        if ctx.can_see(project):
            return ctx.project(project["id"], write=write)
    raise not_found(f"project {owner}/{slug} not found")


def _job(ctx: Ctx, project: Doc, job_id: str) -> Doc:
    if job_id.isascii() and job_id.isdigit():  # str.isdigit() is also true of `²`
        for job in ctx.store.find("job", project["id"], legacy_id=int(job_id)):
            return job
    raise not_found(f"job {job_id} not found in project {project['owner']}/{project['slug']}")


def _v1_run(run: Doc | None) -> dict[str, Any] | None:
    if run is None:
        return None
    status = run["status"].removeprefix("ENGINE_").lower()
    return {
        "id": run["id"],
        "status": status,
        "created_at": run["created_at"],
        "scheduling_at": run.get("scheduling_at", ZERO_TIME),
        "running_at": run.get("running_at", ZERO_TIME),
        "finished_at": run.get("finished_at", ZERO_TIME),
    }


def _v1_job(ctx: Ctx, project: Doc, job: Doc) -> dict[str, Any]:
    runs = ctx.store.find("run", project["id"], job_id=job["id"])
    base = ctx.sup.settings.base_url
    return {
        "id": job["legacy_id"],
        "public_identifier": job["id"],
        "name": job["name"],
        "script": job["script"],
        "type": job.get("type", "manual"),
        "arguments": job.get("arguments", ""),
        "created_at": job["created_at"],
        "updated_at": job["updated_at"],
        "latest": _v1_run(runs[-1] if runs else None),
        "html_url": f"{base}/{project['owner']}/{project['slug']}/jobs/{job['legacy_id']}",
    }


@router.get("/projects/{owner}/{slug}/jobs", summary="List a project's jobs (v1)")
def list_jobs(ctx: V1, owner: str, slug: str) -> list[dict[str, Any]]:
    project = _project(ctx, owner, slug)
    return [_v1_job(ctx, project, j) for j in ctx.store.find("job", project["id"])]


@router.get("/projects/{owner}/{slug}/jobs/{job_id}", summary="Get a job (v1)")
def get_job(ctx: V1, owner: str, slug: str, job_id: str) -> dict[str, Any]:
    project = _project(ctx, owner, slug)
    return _v1_job(ctx, project, _job(ctx, project, job_id))


@router.post("/projects/{owner}/{slug}/jobs/{job_id}/start", summary="Start a job run (v1)")
def start_job(
    ctx: V1, owner: str, slug: str, job_id: str, body: V1Start | None = None
) -> dict[str, str]:
    project = _project(ctx, owner, slug, write=True)
    job = _job(ctx, project, job_id)
    run = ctx.sup.create_run(job, ctx.username, body.environment if body else None)
    return {"engine_id": run["id"]}


@router.post("/projects/{owner}/{slug}/jobs/{job_id}/stop", summary="Stop a job's run (v1)")
def stop_job(ctx: V1, owner: str, slug: str, job_id: str) -> dict[str, Any]:
    project = _project(ctx, owner, slug, write=True)
    job = _job(ctx, project, job_id)
    runs = ctx.store.find("run", project["id"], job_id=job["id"])
    active = [
        r for r in runs if r["status"] in ("ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING")
    ]
    for run in active:
        ctx.sup.stop_run(run)
    return _v1_job(ctx, project, job)
