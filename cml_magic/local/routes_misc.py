"""API v2: key validation, users' keys and the runtime catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cml_magic.local.bodies import ValidateKey
from cml_magic.local.context import V2, Listing, page
from cml_magic.local.errors import forbidden
from cml_magic.local.listing import paginate

router = APIRouter(prefix="/api/v2", tags=["misc"])

RUNTIME_FILTER = ("image_identifier", "editor", "kernel", "edition", "description", "full_version")

_REPO = "docker.repository.cloudera.com/cloudera/cdsw"


def _runtime(editor: str, kernel: str, edition: str, version: str, status: str) -> dict[str, Any]:
    slug_editor = {
        "Workbench": "workbench",
        "JupyterLab": "jupyterlab",
        "PBJ Workbench": "pbj-workbench",
    }[editor]
    slug_kernel = kernel.lower().replace(" ", "")
    slug_edition = edition.lower().replace(" ", "-")
    return {
        "image_identifier": (
            f"{_REPO}/ml-runtime-{slug_editor}-{slug_kernel}-{slug_edition}:{version}"
        ),
        "editor": editor,
        "kernel": kernel,
        "edition": edition,
        "description": f"{edition} edition {kernel} runtime with {editor}",
        "full_version": version,
        "status": status,
        "register_user_id": 0,
    }


RUNTIMES = [
    _runtime(editor, kernel, edition, version, status)
    for (kernel, version, status) in (
        ("Python 3.12", "2025.09.1-b5", "ENABLED"),
        ("Python 3.11", "2025.09.1-b5", "ENABLED"),
        ("Python 3.10", "2025.01.2-b15", "ENABLED"),
        ("Python 3.9", "2024.05.1-b8", "DEPRECATED"),
        ("R 4.4", "2025.09.1-b5", "ENABLED"),
    )
    for editor in ("PBJ Workbench", "JupyterLab")
    for edition in ("Standard", "Nvidia GPU")
    if not (kernel.startswith("R") and edition != "Standard")
]


@router.post("/auth/validate_key", summary="Check the caller's API key")
def validate_key(ctx: V2, body: ValidateKey | None = None) -> dict[str, Any]:
    audience = (body.audience if body else "") or "API"
    if audience != "API":
        raise forbidden("audience mismatch")
    return {"valid": True, "username": ctx.username, "message": ""}


@router.get("/runtimes", summary="List runtimes (a fixed catalogue)")
def list_runtimes(ctx: V2, params: Listing) -> dict[str, Any]:
    chosen, token = paginate(list(RUNTIMES), params, RUNTIME_FILTER, RUNTIME_FILTER)
    return page("runtimes", chosen, token)
