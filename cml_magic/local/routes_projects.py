"""API v2: projects and their files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from cml_magic.local import ids, shapes, templates
from cml_magic.local.bodies import CreateProject, UpdateProject
from cml_magic.local.context import V2, Ctx, Listing, page
from cml_magic.local.errors import ALREADY_EXISTS, ApiError, bad_request, not_found
from cml_magic.local.listing import paginate
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import now

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


def create_project(ctx: Ctx, body: CreateProject, owner: str | None = None) -> Doc:
    """Create a project (folder included) for `owner` (the caller by default)."""
    owner = owner or ctx.username
    name = body.name.strip()
    if not name:
        raise bad_request("Problem with field Name: a project needs a name")
    visibility = body.visibility or "private"
    if visibility not in VISIBILITIES:
        raise bad_request(
            f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}"
        )
    engine = body.default_project_engine_type or "ml_runtime"
    if engine not in ENGINE_TYPES:
        raise bad_request(
            f"default_project_engine_type must be one of {', '.join(ENGINE_TYPES)}, not {engine!r}"
        )
    template = body.template.strip().lower() or "blank"
    if template not in templates.NAMES:
        raise bad_request(
            f"template must be one of {', '.join(templates.NAMES)}, not {body.template!r}"
        )
    slug = slugify(name)
    stamp = now()
    doc: Doc = {
        "id": ids.dashed_id(),
        "name": name,
        "slug": slug,
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
    with ctx.store.transaction():
        if ctx.store.find("project", None, owner=owner, slug=slug):
            raise ApiError(ALREADY_EXISTS, f"project {owner}/{slug} already exists")
        ctx.store.put("project", doc)
    folder = ctx.sup.project_dir(doc["id"])
    folder.mkdir(parents=True, exist_ok=True)
    templates.copy(template, folder)
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
    items = [shapes.project(ctx.store, d, ctx.username) for d in docs]
    chosen, token = paginate(items, params, PROJECT_FILTER, PROJECT_SORT)
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
    for kind in ("job", "run", "model", "build", "deployment", "application"):
        for doc in ctx.store.find(kind, project_id):
            ctx.store.delete(kind, doc["id"])
    ctx.store.delete("project", project_id)
    shutil.rmtree(ctx.sup.project_dir(project_id), ignore_errors=True)
    return {}


# files -----------------------------------------------------------------------------------------


def resolve(ctx: Ctx, project_id: str, path: str) -> tuple[Path, Path]:
    """(project folder, target) with the target confined to the folder."""
    root = ctx.sup.project_dir(project_id).resolve()
    clean = path.strip().strip("/")
    if clean in ("", "."):
        return root, root
    target = (root / clean).resolve()
    if target != root and root not in target.parents:
        raise bad_request(f"path {path!r} is outside the project folder")
    return root, target


def _entries(root: Path, target: Path) -> list[dict[str, Any]]:
    if target.is_file():
        return [shapes.file_info(target.name, False, target.stat().st_size)]
    return [
        shapes.file_info(entry.name, entry.is_dir(), 0 if entry.is_dir() else entry.stat().st_size)
        for entry in sorted(target.iterdir(), key=lambda e: e.name)
    ]


@router.get("/projects/{project_id}/files", summary="List the project folder")
def list_root_files(ctx: V2, project_id: str) -> dict[str, Any]:
    ctx.project(project_id)
    root, target = resolve(ctx, project_id, "")
    return {"files": _entries(root, target)}


@router.get("/projects/{project_id}/files/{path:path}", summary="List a folder of the project")
def list_files(ctx: V2, project_id: str, path: str) -> dict[str, Any]:
    ctx.project(project_id)
    root, target = resolve(ctx, project_id, path)
    if not target.exists():
        raise not_found(f"path {path!r} not found in project {project_id}")
    return {"files": _entries(root, target)}


def _free_name(target: Path) -> Path:
    """CML keeps an existing file and stores the upload as `name(1).ext`."""
    if not target.exists():
        return target
    n = 1
    while True:
        candidate = target.with_name(f"{target.stem}({n}){target.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


async def _upload(ctx: Ctx, project_id: str, request: Request) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    try:
        form = await request.form()
    except Exception:
        raise bad_request("upload must be multipart/form-data") from None
    stored = 0
    for field_name, value in form.multi_items():
        if isinstance(value, str) or not hasattr(value, "read"):
            continue
        _, target = resolve(ctx, project_id, field_name)
        if target == ctx.sup.project_dir(project_id).resolve():
            raise bad_request("upload field name must be the destination path, e.g. data/x.csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = await value.read()
        _free_name(target).write_bytes(data)
        stored += 1
    if not stored:
        raise bad_request("no file in the upload: send multipart fields named by destination path")
    return {}


@router.post("/projects/{project_id}/files", summary="Upload files (field name = destination)")
async def upload_files(ctx: V2, project_id: str, request: Request) -> dict[str, Any]:
    return await _upload(ctx, project_id, request)


@router.put("/projects/{project_id}/files", summary="Upload files (PUT, as some clients send)")
async def upload_files_put(ctx: V2, project_id: str, request: Request) -> dict[str, Any]:
    return await _upload(ctx, project_id, request)


@router.post("/projects/{project_id}/files/{path:path}", summary="`{path}:download`")
def download_file(ctx: V2, project_id: str, path: str) -> FileResponse:
    if not path.endswith(":download"):
        raise not_found(f"no such method on {path!r}; files support :download")
    ctx.project(project_id)
    _, target = resolve(ctx, project_id, path[: -len(":download")])
    if not target.is_file():
        raise not_found(f"file {path[: -len(':download')]!r} not found in project {project_id}")
    return FileResponse(target, media_type="application/octet-stream")


@router.delete("/projects/{project_id}/files/{path:path}", summary="Delete a file or folder")
def delete_file(ctx: V2, project_id: str, path: str) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    root, target = resolve(ctx, project_id, path)
    if target == root:
        raise bad_request("the project folder itself cannot be deleted")
    if not target.exists():
        raise not_found(f"path {path!r} not found in project {project_id}")
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    return {}


@router.patch("/projects/{project_id}/files/{path:path}", summary="Rename or move a file")
def patch_file(ctx: V2, project_id: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    root, target = resolve(ctx, project_id, path)
    if not target.exists() or target == root:
        raise not_found(f"path {path!r} not found in project {project_id}")
    new_path = body.get("path")
    if not isinstance(new_path, str) or not new_path.strip():
        raise bad_request("body must be a FileInfo with the new `path`")
    _, dest = resolve(ctx, project_id, new_path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    target.rename(dest)
    size = 0 if dest.is_dir() else dest.stat().st_size
    return shapes.file_info(str(dest.relative_to(root)), dest.is_dir(), size)
