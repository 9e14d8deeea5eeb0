"""Legacy API v1 (Basic auth): the routes CML's docs and its peers' code use (cmlutils,
cmlbootstrap): projects and their environment by owner and slug, jobs by their numeric id,
users, the runtime catalogue, and minting a v2 key.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from cml_magic.local import routes_jobs, shapes_v1
from cml_magic.local.bodies import JobFields, V1Start
from cml_magic.local.bodies_v1 import CreateJobV1, MintKey
from cml_magic.local.context import V1, Ctx
from cml_magic.local.errors import bad_request, forbidden, not_found
from cml_magic.local.runtimes import RUNTIMES
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import now


class V1Json(JSONResponse):
    """v1 answers name their charset, as CML's docs show them."""

    media_type = "application/json; charset=utf-8"


router = APIRouter(prefix="/api/v1", tags=["legacy v1"], default_response_class=V1Json)


def _project(ctx: Ctx, owner: str, slug: str, write: bool = False) -> Doc:
    for project in ctx.store.find("project", None, owner=owner, slug=slug):
        if ctx.can_see(project):
            return _numbered(ctx, ctx.project(project["id"], write=write))
    raise not_found(f"project {owner}/{slug} not found")


def _numbered(ctx: Ctx, project: Doc) -> Doc:
    """v1 names projects by a number too; one is given the first time v1 is asked."""
    if "legacy_id" in project:
        return project

    def number(doc: Doc) -> None:
        doc.setdefault("legacy_id", ctx.store.next_value("legacy_project_id"))

    with ctx.store.transaction():
        found = ctx.store.update("project", project["id"], number)
    return found or project


def _job(ctx: Ctx, project: Doc, job_id: str) -> Doc:
    if job_id.isascii() and job_id.isdigit():  # str.isdigit() is also true of `²`
        for job in ctx.store.find("job", project["id"], legacy_id=int(job_id)):
            return job
    raise not_found(f"job {job_id} not found in project {project['owner']}/{project['slug']}")


def _runtimes(include_all: bool = True) -> list[dict[str, Any]]:
    """The v1 catalogue: numbered in the v2 catalogue's order; deprecated ones on request."""
    listed = [shapes_v1.runtime(n, rt) for n, rt in enumerate(RUNTIMES, start=1)]
    return [rt for rt in listed if include_all or not rt["deprecated"]]


def _v1_job(ctx: Ctx, project: Doc, job: Doc) -> dict[str, Any]:
    runs = ctx.store.find("run", project["id"], job_id=job["id"])
    base = ctx.sup.settings.base_url
    return shapes_v1.job(ctx.store, base, project, job, runs, _runtimes())


# users and keys -------------------------------------------------------------------------------


@router.get("/users/{username}", summary="Get a user (v1)")
def get_user(ctx: V1, username: str) -> dict[str, Any]:
    if ctx.store.user(username) is None:
        raise not_found(f"user {username} not found")
    return shapes_v1.user(ctx.store, ctx.sup.settings.base_url, username)


@router.post("/users/{username}/apikey", summary="Mint a v2 API key with the legacy key (v1)")
def mint_key(ctx: V1, username: str, body: MintKey) -> dict[str, str]:
    if username != ctx.username:
        if ctx.store.user(username) is None:
            raise not_found(f"user {username} not found")
        raise forbidden(f"user {ctx.username} may not create API keys for {username}")
    key = ctx.store.mint_v2_key(username, body.expiryDate)
    if key is None:
        raise not_found(f"user {username} not found")
    return {"apiKey": key, "expiryDate": body.expiryDate}


@router.get("/runtimes", summary="List the runtime catalogue (v1)")
def list_runtimes(ctx: V1, includeAll: bool = False) -> dict[str, Any]:  # noqa: N803
    return {"runtimes": _runtimes(includeAll)}


# projects -------------------------------------------------------------------------------------


@router.get("/projects/{owner}/{slug}", summary="Get a project by owner and slug (v1)")
def get_project(ctx: V1, owner: str, slug: str) -> dict[str, Any]:
    return shapes_v1.project(ctx.store, ctx.sup.settings.base_url, _project(ctx, owner, slug))


@router.get("/projects/{owner}/{slug}/environment", summary="The project's variables (v1)")
def get_environment(ctx: V1, owner: str, slug: str) -> dict[str, str]:
    return dict(_project(ctx, owner, slug).get("environment") or {})


@router.put(
    "/projects/{owner}/{slug}/environment",
    summary="Replace the project's variables (v1)",
    status_code=204,
    response_class=Response,
)
def put_environment(
    ctx: V1, owner: str, slug: str, body: Annotated[dict[str, Any], Body()]
) -> Response:
    project = _project(ctx, owner, slug, write=True)
    wrong = sorted(name for name, value in body.items() if not isinstance(value, str))
    if wrong:
        raise bad_request(f"environment values must be strings: {', '.join(wrong)}")
    ctx.store.patch("project", project["id"], environment=body, updated_at=now())
    return Response(status_code=204)


# jobs -----------------------------------------------------------------------------------------


@router.get("/projects/{owner}/{slug}/jobs", summary="List a project's jobs (v1)")
def list_jobs(ctx: V1, owner: str, slug: str) -> list[dict[str, Any]]:
    project = _project(ctx, owner, slug)
    return [_v1_job(ctx, project, j) for j in ctx.store.find("job", project["id"])]


@router.post("/projects/{owner}/{slug}/jobs", summary="Create a job (v1)", status_code=201)
def create_job(ctx: V1, owner: str, slug: str, body: CreateJobV1) -> dict[str, Any]:
    project = _project(ctx, owner, slug, write=True)
    fields = body.model_dump(
        exclude_none=True,
        include={"name", "script", "kernel", "cpu", "memory", "nvidia_gpu", "arguments"}
        | {"schedule", "timezone", "timeout", "attachments", "environment"},
    )
    if body.timeout_kill is not None:
        fields["kill_on_timeout"] = body.timeout_kill
    if body.parent_id is not None:
        fields["parent_id"] = _job(ctx, project, str(body.parent_id))["id"]
    if body.runtime_id is not None:
        chosen = [rt for rt in _runtimes() if rt["id"] == body.runtime_id]
        if not chosen:
            raise bad_request(f"runtime_id {body.runtime_id} is not in the runtime catalogue")
        fields["runtime_identifier"] = chosen[0]["imageIdentifier"]
    if body.type == "cron" and not body.schedule:
        raise bad_request("a job of type cron needs a schedule")
    job = routes_jobs.create_job(ctx, project, JobFields(**fields))
    return _v1_job(ctx, project, job)


@router.get("/projects/{owner}/{slug}/jobs/{job_id}", summary="Get a job (v1)")
def get_job(ctx: V1, owner: str, slug: str, job_id: str) -> dict[str, Any]:
    project = _project(ctx, owner, slug)
    return _v1_job(ctx, project, _job(ctx, project, job_id))


@router.delete(
    "/projects/{owner}/{slug}/jobs/{job_id}",
    summary="Delete a job, stopping its run (v1)",
    status_code=204,
    response_class=Response,
)
def delete_job(ctx: V1, owner: str, slug: str, job_id: str) -> Response:
    project = _project(ctx, owner, slug, write=True)
    job = _job(ctx, project, job_id)
    routes_jobs.delete_job(ctx, project["id"], job["id"])
    return Response(status_code=204)


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
