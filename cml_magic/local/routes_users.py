"""API v2: a user's own v2 keys (ListV2Keys, CreateV2Key, DeleteV2Key, DeleteV2Keys).

A key is shown once, in CreateV2Key's answer; listings name it by id, dates, comments and
audiences. Deleting revokes at once. A user reaches only their own keys: another user's are a
403, an unknown user a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cml_magic.local.bodies import CreateV2Key
from cml_magic.local.context import V2, Ctx
from cml_magic.local.errors import bad_request, forbidden, not_found
from cml_magic.local.validate import quote

router = APIRouter(prefix="/api/v2/users", tags=["users"])


def _own(ctx: Ctx, username: str) -> None:
    """Only the caller's own keys: 404 for an unknown user, 403 for another's."""
    if username == ctx.username:
        return
    if ctx.store.user(username) is None:
        raise not_found(f"user {quote(username)} not found")
    raise forbidden(f"user {ctx.username} may not manage the API keys of {username}")


def _details(row: dict[str, Any]) -> dict[str, Any]:
    """`V2KeyDetails`: never the key."""
    return {
        "key_id": row["key_id"],
        "created_at": row["created_at"],
        "expiry_date": row["expires_at"] or "",
        "comments": row["comments"],
        "audiences": list(row["audiences"]),
    }


@router.get("/{username}/v2_keys", summary="List the user's v2 API keys (never the keys)")
def list_v2_keys(ctx: V2, username: str) -> dict[str, Any]:
    _own(ctx, username)
    return {"keys": [_details(row) for row in ctx.store.v2_keys(username)]}


@router.post("/{username}/v2_keys", summary="Create a v2 API key (shown in this answer only)")
def create_v2_key(ctx: V2, username: str, body: CreateV2Key | None = None) -> dict[str, Any]:
    _own(ctx, username)
    body = body or CreateV2Key()
    if body.username and body.username != username:
        raise bad_request("username in the body differs from the path's")
    audiences = tuple(body.audiences or ["API"])
    made = ctx.store.create_v2_key(username, body.expiry_date or None, body.comments, audiences)
    if made is None:  # pragma: no cover - _own found the user
        raise not_found(f"user {quote(username)} not found")
    return {"api_key": made["api_key"], **_details(made)}


@router.delete("/{username}/v2_keys", summary="Delete (revoke) every v2 API key of the user")
def delete_v2_keys(ctx: V2, username: str) -> dict[str, Any]:
    _own(ctx, username)
    ctx.store.delete_v2_keys(username)
    return {}


@router.delete("/{username}/v2_keys/{key_id}", summary="Delete (revoke) one v2 API key")
def delete_v2_key(ctx: V2, username: str, key_id: str) -> dict[str, Any]:
    _own(ctx, username)
    if not ctx.store.delete_v2_keys(username, key_id):
        raise not_found(f"API key {quote(key_id)} not found")
    return {}
