"""API v2: project files (list, upload, download, rename, delete), kept inside the folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from cml_magic.local import shapes
from cml_magic.local.context import V2, Ctx
from cml_magic.local.errors import bad_request, not_found

router = APIRouter(prefix="/api/v2", tags=["files"])


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


# PUT is no operation of CML's spec, but the official MCP server has uploaded with it since its
# first release, so CML takes it; kept out of this server's description (spec operations only).
@router.put("/projects/{project_id}/files", include_in_schema=False)
@router.post("/projects/{project_id}/files", summary="Upload files (field name = destination)")
async def upload_files(ctx: V2, project_id: str, request: Request) -> dict[str, Any]:
    return await _upload(ctx, project_id, request)


@router.post("/projects/{project_id}/files/{path:path}:download", summary="Download a file")
def download_file(ctx: V2, project_id: str, path: str) -> FileResponse:
    ctx.project(project_id)
    _, target = resolve(ctx, project_id, path)
    if not target.is_file():
        raise not_found(f"file {path!r} not found in project {project_id}")
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
