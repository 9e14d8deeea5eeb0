"""API v2: key validation, users' keys and the runtime catalogue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cml_magic.local.bodies import ValidateKey
from cml_magic.local.context import V2, Listing, page
from cml_magic.local.errors import forbidden
from cml_magic.local.listing import paginate
from cml_magic.local.runtimes import RUNTIME_FILTER, RUNTIMES

router = APIRouter(prefix="/api/v2", tags=["misc"])


@router.post("/auth/validate_key", summary="Check the caller's API key")
def validate_key(ctx: V2, body: ValidateKey | None = None) -> dict[str, Any]:
    audience = (body.audience if body else "") or "API"
    if audience not in ctx.audiences:
        raise forbidden("audience mismatch")
    return {"valid": True, "username": ctx.username, "message": ""}


@router.get("/runtimes", summary="List runtimes (a fixed catalogue)")
def list_runtimes(ctx: V2, params: Listing) -> dict[str, Any]:
    chosen, token = paginate(list(RUNTIMES), params, RUNTIME_FILTER, RUNTIME_FILTER)
    return page("runtimes", chosen, token)
