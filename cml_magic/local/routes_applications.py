"""API v2: applications (a long-running script; created started, restart and stop)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cml_magic.local import ids, shapes
from cml_magic.local.bodies import ApplicationFields
from cml_magic.local.context import V2, Ctx, Listing, page
from cml_magic.local.errors import ALREADY_EXISTS, ApiError, bad_request
from cml_magic.local.listing import paginate
from cml_magic.local.scripts import check_script
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import ZERO_TIME, now

router = APIRouter(prefix="/api/v2", tags=["applications"])

APP_FILTER = (
    "bypass_authentication",
    "creator.email",
    "creator.name",
    "creator.username",
    "description",
    "kernel",
    "name",
    "script",
    "status",
    "subdomain",
)
APP_SORT = (
    "created_at",
    "creator.email",
    "creator.name",
    "creator.username",
    "description",
    "kernel",
    "name",
    "script",
    "status",
    "updated_at",
)


def _app(ctx: Ctx, project_id: str, app_id: str, write: bool = False) -> Doc:
    ctx.project(project_id, write)
    return ctx.child("application", app_id, project_id)


def _check_subdomain(ctx: Ctx, subdomain: str, app_id: str | None = None) -> None:
    if not subdomain:
        raise bad_request("Problem with field Subdomain: an application needs a subdomain")
    for other in ctx.store.find("application"):
        if other.get("subdomain") == subdomain and other["id"] != app_id:
            raise ApiError(ALREADY_EXISTS, f"subdomain {subdomain!r} is already in use")


@router.get("/projects/{project_id}/applications", summary="List applications")
def list_applications(ctx: V2, project_id: str, params: Listing) -> dict[str, Any]:
    ctx.project(project_id)
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        ctx.store.find("application", project_id),
        params,
        APP_FILTER,
        APP_SORT,
        status_prefix="APPLICATION_",
        shape=lambda a: shapes.application(users, a),
    )
    return page("applications", chosen, token)


@router.post("/projects/{project_id}/applications", summary="Create (and start) an application")
def post_application(ctx: V2, project_id: str, body: ApplicationFields) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    fields = body.model_dump(exclude_none=True)
    name = (fields.get("name") or "").strip()
    if not name:
        raise bad_request("Problem with field Name: an application needs a name")
    check_script(ctx.sup.project_dir(project_id), fields.get("script", ""))
    _check_subdomain(ctx, fields.get("subdomain", ""))
    stamp = now()
    doc = {
        "cpu": 1.0,
        "memory": 1.0,
        "nvidia_gpu": 0,
        **fields,
        "id": ids.dashed_id(),
        "project_id": project_id,
        "name": name,
        "environment": body.environment or {},
        "creator": ctx.username,
        "created_at": stamp,
        "updated_at": stamp,
        "status": "APPLICATION_STARTING",
        "starting_at": stamp,
        "running_at": ZERO_TIME,
        "stopped_at": ZERO_TIME,
    }
    ctx.store.put("application", doc)
    started = ctx.sup.start_application(doc["id"]) or doc
    return shapes.application(ctx.store, started)


@router.get("/projects/{project_id}/applications/{application_id}", summary="Get an application")
def get_application(ctx: V2, project_id: str, application_id: str) -> dict[str, Any]:
    return shapes.application(ctx.store, _app(ctx, project_id, application_id))


@router.patch(
    "/projects/{project_id}/applications/{application_id}", summary="Update an application"
)
def patch_application(
    ctx: V2, project_id: str, application_id: str, body: ApplicationFields
) -> dict[str, Any]:
    _app(ctx, project_id, application_id, write=True)
    fields = body.model_dump(exclude_none=True)
    if "script" in fields:
        check_script(ctx.sup.project_dir(project_id), fields["script"])
    if "subdomain" in fields:
        _check_subdomain(ctx, fields["subdomain"], application_id)
    if "name" in fields and not fields["name"].strip():
        raise bad_request("Problem with field Name: an application needs a name")
    doc = ctx.store.patch("application", application_id, **fields, updated_at=now())
    assert doc is not None
    return shapes.application(ctx.store, doc)


@router.delete(
    "/projects/{project_id}/applications/{application_id}", summary="Delete an application"
)
def delete_application(ctx: V2, project_id: str, application_id: str) -> dict[str, Any]:
    _app(ctx, project_id, application_id, write=True)
    ctx.sup.stop_application(application_id, wait=True)
    ctx.store.delete("application", application_id)
    return {}


@router.post(
    "/projects/{project_id}/applications/{application_id}:restart",
    summary="Start (or restart) an application",
)
def restart_application(ctx: V2, project_id: str, application_id: str) -> dict[str, Any]:
    app = _app(ctx, project_id, application_id, write=True)
    return shapes.application(ctx.store, ctx.sup.restart_application(application_id) or app)


@router.post(
    "/projects/{project_id}/applications/{application_id}:stop", summary="Stop an application"
)
def stop_application(ctx: V2, project_id: str, application_id: str) -> dict[str, Any]:
    app = _app(ctx, project_id, application_id, write=True)
    return shapes.application(ctx.store, ctx.sup.stop_application(application_id) or app)
