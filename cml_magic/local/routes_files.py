"""API v2: project files (list, upload, download, rename, delete), kept inside the folder.

Messages name paths as the caller wrote them, never as the server stores them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from cml_magic.local import shapes, uploads, validate
from cml_magic.local.context import V2, Ctx
from cml_magic.local.errors import bad_request, conflict, not_found, precondition
from cml_magic.local.validate import quote

router = APIRouter(prefix="/api/v2", tags=["files"])


def _clean(path: str) -> str:
    problem = validate.path_problem(path)
    if problem:
        raise bad_request(f"path {quote(path)} {problem}")
    return path.strip().strip("/")


def resolve(ctx: Ctx, project_id: str, path: str) -> tuple[Path, Path]:
    """(project folder, target) with links followed and the target confined to the folder."""
    root = ctx.sup.project_dir(project_id).resolve()
    clean = _clean(path)
    if clean in ("", "."):
        return root, root
    try:
        target = (root / clean).resolve()
    except (OSError, RuntimeError):  # a symbolic link loop; the error names server paths
        raise bad_request(f"path {quote(path)} cannot be followed (a symbolic link loop)") from None
    if target != root and root not in target.parents:
        raise bad_request(f"path {quote(path)} is outside the project folder")
    return root, target


def locate(ctx: Ctx, project_id: str, path: str) -> tuple[Path, Path]:
    """(project folder, entry): the entry `path` names, itself (a link is not followed),
    in a folder confined to the project. What delete and rename act on."""
    root = ctx.sup.project_dir(project_id).resolve()
    folder, _, name = _clean(path).rpartition("/")
    if name in ("", ".", ".."):
        return resolve(ctx, project_id, path)
    _, parent = resolve(ctx, project_id, folder)
    return root, parent / name


def _exists(entry: Path) -> bool:
    return entry.is_symlink() or entry.exists()


def _info(root: Path, entry: Path, name: str) -> dict[str, Any]:
    """A listed entry; a link is described by what it points to when that is inside the
    project, else by itself (so a dangling or looping link a job left still lists)."""
    try:
        if entry.is_symlink():
            pointed = entry.resolve()
            if root not in pointed.parents:
                raise FileNotFoundError(name)
        if entry.is_dir():
            return shapes.file_info(name, True, 0)
        return shapes.file_info(name, False, entry.stat().st_size)
    except (OSError, RuntimeError):
        return shapes.file_info(name, False, entry.lstat().st_size)


def _entries(root: Path, target: Path) -> list[dict[str, Any]]:
    if target.is_file():
        return [_info(root, target, target.name)]
    return [
        _info(root, entry, entry.name) for entry in sorted(target.iterdir(), key=lambda e: e.name)
    ]


@router.get("/projects/{project_id}/files/{path:path}", summary="List a folder of the project")
def list_files(ctx: V2, project_id: str, path: str) -> dict[str, Any]:
    ctx.project(project_id)
    root, target = resolve(ctx, project_id, path)
    if not target.exists():
        raise not_found(f"path {quote(path)} not found in project {project_id}")
    return {"files": _entries(root, target)}


def _free_name(target: Path) -> Path:
    """CML keeps an existing file and stores the upload as `name(1).ext`."""
    if not _exists(target):
        return target
    n = 1
    while True:
        candidate = target.with_name(f"{target.stem}({n}){target.suffix}")
        if not _exists(candidate):
            return candidate
        n += 1


async def _upload(ctx: Ctx, project_id: str, request: Request) -> dict[str, Any]:
    """Store a multipart upload (each file field's name is its destination path), streamed
    to disk and capped at the server's `--max-upload-mb`."""
    ctx.project(project_id, write=True)
    root = ctx.sup.project_dir(project_id).resolve()

    def place(field_name: str) -> Path:
        _, target = resolve(ctx, project_id, field_name)
        if target == root:
            raise bad_request("upload field name must be the destination path, e.g. data/x.csv")
        return target

    limit = request.app.state.cml.max_upload_bytes
    if not await uploads.receive(request, place, limit, _free_name):
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
        raise not_found(f"file {quote(path)} not found in project {project_id}")
    return FileResponse(target, media_type="application/octet-stream")


@router.delete("/projects/{project_id}/files/{path:path}", summary="Delete a file or folder")
def delete_file(ctx: V2, project_id: str, path: str) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    root, entry = locate(ctx, project_id, path)
    if entry == root:
        raise bad_request("the project folder itself cannot be deleted")
    if not _exists(entry):
        raise not_found(f"path {quote(path)} not found in project {project_id}")
    try:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()  # a link goes, never what it points to
    except OSError as exc:
        raise precondition(f"path {quote(path)} could not be deleted: {exc.strerror}") from None
    return {}


@router.patch("/projects/{project_id}/files/{path:path}", summary="Rename or move a file")
def patch_file(ctx: V2, project_id: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    root, source = locate(ctx, project_id, path)
    if source == root or not _exists(source):
        raise not_found(f"path {quote(path)} not found in project {project_id}")
    new_path = body.get("path")
    if not isinstance(new_path, str) or not new_path.strip():
        raise bad_request("body must be a FileInfo with the new `path`")
    _, dest = locate(ctx, project_id, new_path)
    if dest == root:
        raise bad_request(f"cannot rename onto the project folder itself ({quote(new_path)})")
    if _exists(dest):
        raise conflict(f"path {quote(new_path)} already exists; delete it first or pick a new name")
    if source.is_dir() and not source.is_symlink() and source in dest.parents:
        raise bad_request(f"a folder cannot move into itself ({quote(new_path)})")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        source.rename(dest)
    except OSError as exc:
        raise precondition(f"path {quote(path)} could not be renamed: {exc.strerror}") from None
    return _info(root, dest, str(dest.relative_to(root)))
