"""API v2: projects."""

from __future__ import annotations

import hashlib
import re
import shutil
from typing import Any

from fastapi import APIRouter, Request

from cml_magic.local import ids, shapes, templates
from cml_magic.local.bodies import CreateProject, UpdateProject
from cml_magic.local.context import V2, Ctx, Listing, page
from cml_magic.local.errors import ALREADY_EXISTS, ApiError, bad_request
from cml_magic.local.listing import paginate
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import now
from cml_magic.local.validate import quote

router = APIRouter(prefix="/api/v2", tags=["projects"])

PROJECT_FILTER = (
    "creator.email",
    "creator.name",
    "creator.username",
    "description",
    "name",
    "owner.email",
    "owner.name",
    "owner.username",
)
PROJECT_SORT = (*PROJECT_FILTER, "created_at", "updated_at")
VISIBILITIES = ("private", "organization", "public")
ENGINE_TYPES = ("ml_runtime", "legacy_engine")


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "project"


def _free_slug(ctx: Ctx, owner: str, name: str) -> str:
    """The project's slug: unique among the owner's projects. Names that differ but slug
    alike (every non-Latin name slugs to `project`) get a short suffix made from the name;
    the same name twice is a conflict."""
    taken = {d["slug"]: d["name"] for d in ctx.store.find("project", None, owner=owner)}
    if name in taken.values():
        raise ApiError(ALREADY_EXISTS, f"project {owner}/{slugify(name)} already exists")
    slug = slugify(name)
    digest = hashlib.sha256(name.encode()).hexdigest()
    n = 6
    while slug in taken:
        slug = f"{slugify(name)}-{digest[:n]}"
        n += 1
    return slug


def create_project(ctx: Ctx, body: CreateProject, owner: str | None = None) -> Doc:
    """Create a project (folder included) for `owner` (the caller by default)."""
    owner = owner or ctx.username
    name = body.name.strip()
    if not name:
        raise bad_request("Problem with field Name: a project needs a name")
    visibility = body.visibility or "private"
    if visibility not in VISIBILITIES:
        raise bad_request(
            f"visibility must be one of {', '.join(VISIBILITIES)}, not {quote(visibility)}"
        )
    engine = body.default_project_engine_type or "ml_runtime"
    if engine not in ENGINE_TYPES:
        raise bad_request(
            f"default_project_engine_type must be one of {', '.join(ENGINE_TYPES)},"
            f" not {quote(engine)}"
        )
    template = body.template.strip().lower() or "blank"
    if template not in templates.NAMES:
        raise bad_request(
            f"template must be one of {', '.join(templates.NAMES)}, not {quote(body.template)}"
        )
    stamp = now()
    doc: Doc = {
        "id": ids.dashed_id(),
        "name": name,
        "owner": owner,
        "creator": ctx.username,
        "description": body.description,
        "visibility": visibility,
        "default_engine_type": engine,
        "created_at": stamp,
        "updated_at": stamp,
        "environment": body.environment or {},
        "shared_memory_limit": body.shared_memory_limit or 64,
        "template": template,
    }
    folder = ctx.sup.project_dir(doc["id"])
    with ctx.store.transaction():
        doc["slug"] = _free_slug(ctx, owner, name)
        ctx.store.put("project", doc)
        # Inside the transaction: a folder that cannot be made leaves no project behind.
        try:
            folder.mkdir(parents=True, exist_ok=True)
            templates.copy(template, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return doc


@router.get("/projects", summary="List projects")
def list_projects(
    ctx: V2,
    params: Listing,
    include_public_projects: bool = False,
    include_all_projects: bool = False,
) -> dict[str, Any]:
    public = include_public_projects or include_all_projects
    docs = [
        d
        for d in ctx.store.find("project")
        if d["owner"] == ctx.username or (public and d.get("visibility") == "public")
    ]
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        docs,
        params,
        PROJECT_FILTER,
        PROJECT_SORT,
        shape=lambda d: shapes.project(users, d, ctx.username),
        word_keys=("name", "description"),
    )
    return page("projects", chosen, token)


@router.post("/projects", summary="Create a project")
def post_project(ctx: V2, body: CreateProject) -> dict[str, Any]:
    return shapes.project(ctx.store, create_project(ctx, body), ctx.username)


@router.get("/projects/batch", summary="Get several projects")
def batch_projects(ctx: V2, request: Request) -> dict[str, Any]:
    wanted = request.query_params.getlist("project_ids")
    found = [ctx.store.get("project", i) for i in wanted]
    docs = [d for d in found if d is not None and ctx.can_see(d)]
    return {"projects": [shapes.project(ctx.store, d, ctx.username) for d in docs]}


@router.get("/projects/{project_id}", summary="Get a project")
def get_project(ctx: V2, project_id: str) -> dict[str, Any]:
    return shapes.project(ctx.store, ctx.project(project_id), ctx.username)


@router.patch("/projects/{project_id}", summary="Update a project (fields that are set)")
def patch_project(ctx: V2, project_id: str, body: UpdateProject) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    fields = body.model_dump(exclude_none=True)
    if "visibility" in fields and fields["visibility"] not in VISIBILITIES:
        raise bad_request(f"visibility must be one of {', '.join(VISIBILITIES)}")
    if "name" in fields and not fields["name"].strip():
        raise bad_request("Problem with field Name: a project needs a name")
    fields["updated_at"] = now()
    doc = ctx.store.patch("project", project_id, **fields)
    assert doc is not None
    return shapes.project(ctx.store, doc, ctx.username)


@router.delete("/projects/{project_id}", summary="Delete a project, its work and its files")
def delete_project(ctx: V2, project_id: str) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    for run in ctx.store.find("run", project_id):
        if run["status"] in ("ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_RUNNING"):
            ctx.sup.stop_run(run)
    for app in ctx.store.find("application", project_id):
        ctx.sup.stop_application(app["id"], wait=True)
    for dep in ctx.store.find("deployment", project_id):
        ctx.sup.stop_deployment(dep["id"], wait=True)
    from cml_magic.local.routes_experiments import forget_experiment

    for experiment in ctx.store.find("experiment", project_id):
        forget_experiment(ctx, project_id, experiment["id"])
    for kind in ("job", "run", "model", "build", "deployment", "application"):
        for doc in ctx.store.find(kind, project_id):
            ctx.store.delete(kind, doc["id"])
    ctx.store.delete("project", project_id)
    shutil.rmtree(ctx.sup.project_dir(project_id), ignore_errors=True)
    return {}
