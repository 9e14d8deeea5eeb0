"""API v2: models, builds and deployments; and `POST /model`, where deployed models answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from cml_magic.local import ids, routes_registry, shapes
from cml_magic.local.bodies import CreateBuild, CreateDeployment, CreateModel, UpdateModel
from cml_magic.local.context import V2, Ctx, Listing, page
from cml_magic.local.errors import bad_request, precondition
from cml_magic.local.listing import paginate
from cml_magic.local.scripts import check_model_function
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import ZERO_TIME, now
from cml_magic.local.workloads.builds import BUILD_ACTIVE

router = APIRouter(prefix="/api/v2", tags=["models"])
serving = APIRouter(tags=["model serving"])

MODEL_FILTER = (
    "auth_enabled",
    "creator.email",
    "creator.name",
    "creator.username",
    "description",
    "name",
)
MODEL_SORT = (*MODEL_FILTER, "created_at", "updated_at")
BUILD_FILTER = ("comment", "creator.email", "creator.name", "creator.username", "crn", "status")
BUILD_SORT = (*BUILD_FILTER, "built_at", "created_at", "updated_at")
DEPLOYMENT_KEYS: tuple[str, ...] = ()  # CML documents no filter or sort keys for deployments

B = TypeVar("B", bound=BaseModel)

CRN = "crn:cdp:ml:us-west-1:local:workspace:cml-local"


def _model(ctx: Ctx, project_id: str, model_id: str, write: bool = False) -> tuple[Doc, Doc]:
    project = ctx.project(project_id, write)
    return project, ctx.child("model", model_id, project_id)


def _build(ctx: Ctx, project_id: str, model_id: str, build_id: str, write: bool = False) -> Doc:
    _model(ctx, project_id, model_id, write)
    return ctx.child("build", build_id, project_id, model_id=model_id)


def _deployment(
    ctx: Ctx, project_id: str, model_id: str, build_id: str, dep_id: str, write: bool = False
) -> Doc:
    _build(ctx, project_id, model_id, build_id, write)
    return ctx.child("deployment", dep_id, project_id, model_id=model_id, build_id=build_id)


def create_build(ctx: Ctx, project: Doc, model: Doc, body: CreateBuild) -> Doc:
    """Record a build in `pending` and start checking its file and function (a registry
    version's: its file copied into the project, see `routes_registry`)."""
    if body.registered_model_version_id:
        version = routes_registry.registered_version(ctx, body.registered_model_version_id)
        function = body.function_name.strip() or routes_registry.version_function(version)
        folder = ctx.sup.project_dir(project["id"])
        path = routes_registry.version_source(ctx, version, function, folder)
        body = body.model_copy(update={"file_path": path, "function_name": function})
    if not body.file_path.strip():
        raise bad_request("Problem with field FilePath: a build needs the model's file_path")
    if not body.function_name.strip():
        raise bad_request("Problem with field FunctionName: a build needs the function_name")
    check_model_function(
        ctx.sup.project_dir(project["id"]), body.file_path.strip(), body.function_name.strip()
    )
    stamp = now()
    build_id = ids.uuid_id()
    doc = {
        "id": build_id,
        "project_id": project["id"],
        "model_id": model["id"],
        "creator": ctx.username,
        "comment": body.comment,
        "file_path": body.file_path.strip(),
        "function_name": body.function_name.strip(),
        "kernel": body.kernel,
        "runtime_identifier": body.runtime_identifier,
        "runtime_addon_identifiers": body.runtime_addon_identifiers,
        "model_root_dir": body.model_root_dir,
        "build_script_path": body.build_script_path,
        "registered_model_version_id": body.registered_model_version_id,
        "created_at": stamp,
        "updated_at": stamp,
        "built_at": ZERO_TIME,
        "status": "pending",
        "crn": f"{CRN}/{model['id']}/build/{build_id}",
    }
    ctx.store.put("build", doc)
    ctx.sup.start_build(build_id)
    return doc


def create_deployment(ctx: Ctx, build: Doc, body: CreateDeployment) -> Doc:
    """Record a deployment in `pending` and start serving it. A build still building is
    deployed once built (Cloudera's walkthrough deploys right after building); the
    deployment fails if the build does."""
    if build["status"] != "built" and build["status"] not in BUILD_ACTIVE:
        raise precondition(
            f"build {build['id']} is {build['status']!r};"
            " only a built build deploys (or one still building)"
        )
    # As in CML, a model serves from one deployment: a new one replaces the one running,
    # which is stopped (and stays listed, stopped).
    for other in ctx.store.find("deployment", build["project_id"], model_id=build["model_id"]):
        ctx.sup.stop_deployment(other["id"])
    return ctx.sup.create_deployment(build, ctx.username, body.model_dump())


# models ----------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/models", summary="List models")
def list_models(ctx: V2, project_id: str, params: Listing) -> dict[str, Any]:
    project = ctx.project(project_id)
    users = shapes.RememberedUsers(ctx.store)
    models = ctx.store.find("model", project_id)
    chosen, token = paginate(
        models, params, MODEL_FILTER, MODEL_SORT, shape=lambda m: shapes.model(users, m, project)
    )
    return page("models", chosen, token)


@router.get("/models", summary="List the models of every project the caller can see")
def list_all_models(ctx: V2, params: Listing) -> dict[str, Any]:
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        ctx.visible("model"),
        params,
        MODEL_FILTER,
        MODEL_SORT,
        shape=lambda p: shapes.model(users, *p),
    )
    return page("models", chosen, token)


@router.post(
    "/projects/{project_id}/models", summary="Create a model (optionally build and deploy)"
)
def post_model(ctx: V2, project_id: str, body: CreateModel) -> dict[str, Any]:
    project = ctx.project(project_id, write=True)
    if not body.name.strip():
        raise bad_request("Problem with field Name: a model needs a name")
    build_body = None
    if body.auto_build_model:
        build_body = _nested(CreateBuild, "auto_build_config", body.auto_build_config)
        if build_body.registered_model_version_id:
            routes_registry.registered_version(ctx, build_body.registered_model_version_id)
        elif not build_body.file_path or not build_body.function_name:
            raise bad_request("auto_build_config needs file_path and function_name")
        else:
            check_model_function(
                ctx.sup.project_dir(project_id),
                build_body.file_path.strip(),
                build_body.function_name.strip(),
            )
    if body.registered_model_id:
        routes_registry.registered_model_doc(ctx, body.registered_model_id)
    stamp = now()
    model_id = ids.uuid_id()
    doc = {
        "id": model_id,
        "project_id": project_id,
        "name": body.name.strip(),
        "description": body.description,
        "creator": ctx.username,
        "access_key": ids.access_key(),
        "auth_enabled": not body.disable_authentication,
        "visibility": body.visibility,
        "registered_model_id": body.registered_model_id,
        "created_at": stamp,
        "updated_at": stamp,
        "crn": f"{CRN}/{model_id}",
    }
    # One transaction: a model, its build and their deployment settings are stored together or
    # not at all (the build's thread waits for the commit to read them).
    with ctx.store.transaction():
        ctx.store.put("model", doc)
        if build_body is not None:
            if body.auto_deploy_model:
                build_body.auto_deploy_model = True
                build_body.auto_deployment_config = body.auto_deployment_config or {}
            build = create_build(ctx, project, doc, build_body)
            _auto_deploy(ctx, build, build_body)
    return shapes.model(ctx.store, doc, project)


def _nested(kind: type[B], field: str, value: dict[str, Any] | None) -> B:
    """A request nested in a field, refused as a 400 naming the field when it does not fit."""
    try:
        return kind.model_validate(value or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in (field, *first.get("loc", ())))
        msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise bad_request(f"Problem with field {where}: {msg}") from None


def _auto_deploy(ctx: Ctx, build: Doc, body: CreateBuild) -> None:
    if body.auto_deploy_model:
        config = _nested(CreateDeployment, "auto_deployment_config", body.auto_deployment_config)
        ctx.store.patch("build", build["id"], auto_deploy=config.model_dump())


@router.get("/projects/{project_id}/models/{model_id}", summary="Get a model")
def get_model(ctx: V2, project_id: str, model_id: str) -> dict[str, Any]:
    project, model = _model(ctx, project_id, model_id)
    return shapes.model(ctx.store, model, project)


@router.patch("/projects/{project_id}/models/{model_id}", summary="Update a model")
def patch_model(ctx: V2, project_id: str, model_id: str, body: UpdateModel) -> dict[str, Any]:
    project, _ = _model(ctx, project_id, model_id, write=True)
    fields = body.model_dump(exclude_none=True)
    if "name" in fields and not fields["name"].strip():
        raise bad_request("Problem with field Name: a model needs a name")
    doc = ctx.store.patch("model", model_id, **fields, updated_at=now())
    assert doc is not None
    return shapes.model(ctx.store, doc, project)


@router.delete("/projects/{project_id}/models/{model_id}", summary="Delete a model")
def delete_model(ctx: V2, project_id: str, model_id: str) -> dict[str, Any]:
    _model(ctx, project_id, model_id, write=True)
    for dep in ctx.store.find("deployment", project_id, model_id=model_id):
        ctx.sup.stop_deployment(dep["id"], wait=True)
        ctx.store.delete("deployment", dep["id"])
    for build in ctx.store.find("build", project_id, model_id=model_id):
        ctx.store.delete("build", build["id"])
    ctx.store.delete("model", model_id)
    return {}


# builds ----------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/models/{model_id}/builds", summary="List model builds")
def list_builds(ctx: V2, project_id: str, model_id: str, params: Listing) -> dict[str, Any]:
    _model(ctx, project_id, model_id)
    builds = ctx.store.find("build", project_id, model_id=model_id)
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        builds, params, BUILD_FILTER, BUILD_SORT, shape=lambda b: shapes.model_build(users, b)
    )
    return page("model_builds", chosen, token)


@router.post("/projects/{project_id}/models/{model_id}/builds", summary="Build a model")
def post_build(ctx: V2, project_id: str, model_id: str, body: CreateBuild) -> dict[str, Any]:
    project, model = _model(ctx, project_id, model_id, write=True)
    with ctx.store.transaction():
        build = create_build(ctx, project, model, body)
        _auto_deploy(ctx, build, body)
    return shapes.model_build(ctx.store, build)


@router.get("/projects/{project_id}/models/{model_id}/builds/{build_id}", summary="Get a build")
def get_build(ctx: V2, project_id: str, model_id: str, build_id: str) -> dict[str, Any]:
    return shapes.model_build(ctx.store, _build(ctx, project_id, model_id, build_id))


@router.delete(
    "/projects/{project_id}/models/{model_id}/builds/{build_id}", summary="Delete a build"
)
def delete_build(ctx: V2, project_id: str, model_id: str, build_id: str) -> dict[str, Any]:
    _build(ctx, project_id, model_id, build_id, write=True)
    for dep in ctx.store.find("deployment", project_id, build_id=build_id):
        ctx.sup.stop_deployment(dep["id"], wait=True)
        ctx.store.delete("deployment", dep["id"])
    ctx.store.delete("build", build_id)
    return {}


# deployments -----------------------------------------------------------------------------------

_DEPLOYMENTS = "/projects/{project_id}/models/{model_id}/builds/{build_id}/deployments"


@router.get(_DEPLOYMENTS, summary="List deployments of a build")
def list_deployments(
    ctx: V2, project_id: str, model_id: str, build_id: str, params: Listing
) -> dict[str, Any]:
    _build(ctx, project_id, model_id, build_id)
    deps = ctx.store.find("deployment", project_id, build_id=build_id)
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        deps,
        params,
        DEPLOYMENT_KEYS,
        DEPLOYMENT_KEYS,
        shape=lambda d: shapes.model_deployment(users, d),
    )
    return page("model_deployments", chosen, token)


@router.post(_DEPLOYMENTS, summary="Deploy a build")
def post_deployment(
    ctx: V2, project_id: str, model_id: str, build_id: str, body: CreateDeployment
) -> dict[str, Any]:
    build = _build(ctx, project_id, model_id, build_id, write=True)
    return shapes.model_deployment(ctx.store, create_deployment(ctx, build, body))


@router.post(_DEPLOYMENTS + "/{deployment_id}:stop", summary="Stop a deployment")
def stop_deployment(
    ctx: V2, project_id: str, model_id: str, build_id: str, deployment_id: str
) -> dict[str, Any]:
    dep = _deployment(ctx, project_id, model_id, build_id, deployment_id, write=True)
    if dep["status"] not in ("pending", "deploying", "deployed"):
        raise precondition(f"deployment {deployment_id} is {dep['status']!r}, not running")
    return shapes.model_deployment(ctx.store, ctx.sup.stop_deployment(deployment_id) or dep)


@router.post(_DEPLOYMENTS + "/{deployment_id}:restart", summary="Restart a deployment")
def restart_deployment(
    ctx: V2, project_id: str, model_id: str, build_id: str, deployment_id: str
) -> dict[str, Any]:
    _deployment(ctx, project_id, model_id, build_id, deployment_id, write=True)
    return shapes.model_deployment(ctx.store, ctx.sup.restart_deployment(deployment_id) or {})


@router.get(_DEPLOYMENTS + "/{deployment_id}", summary="Get a deployment")
def get_deployment(
    ctx: V2, project_id: str, model_id: str, build_id: str, deployment_id: str
) -> dict[str, Any]:
    dep = _deployment(ctx, project_id, model_id, build_id, deployment_id)
    return shapes.model_deployment(ctx.store, dep)


# serving ---------------------------------------------------------------------------------------


def _serving_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "message": message}, status_code=status)


@serving.post("/model", summary='Call a deployed model: {"accessKey": ..., "request": {...}}')
async def call_model(request: Request) -> JSONResponse:
    state = request.app.state.cml
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return _serving_error(400, 'body must be JSON: {"accessKey": ..., "request": {...}}')
    if not isinstance(body, dict):
        return _serving_error(400, "body must be a JSON object with accessKey and request")
    key = body.get("accessKey") or request.query_params.get("accessKey")
    if not key:
        return _serving_error(400, "missing accessKey")
    models = [m for m in state.store.find("model") if m["access_key"] == key]
    if not models:
        return _serving_error(404, "no model has this accessKey")
    model = models[0]
    if model.get("auth_enabled", True):
        header = request.headers.get("authorization", "")
        user = state.store.user_by_key(header.removeprefix("Bearer ").strip())
        project = state.store.get("project", model["project_id"])
        visible = (
            project is not None
            and user is not None
            and (project["owner"] == user["username"] or project.get("visibility") == "public")
        )
        if not header.startswith("Bearer ") or not visible:
            return _serving_error(401, "this model needs authorization: Bearer <API key>")
    deployed = [
        d
        for d in state.store.find("deployment", model["project_id"], model_id=model["id"])
        if d["status"] == "deployed" and d.get("port")
    ]
    if not deployed:
        return _serving_error(503, f"model {model['name']} has no running deployment")
    payload = json.dumps({"request": body.get("request", {})}).encode()
    target = f"http://127.0.0.1:{deployed[-1]['port']}/"

    def forward() -> tuple[int, bytes]:
        req = urllib.request.Request(
            target, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()
        except OSError as err:
            return 502, json.dumps({"success": False, "message": f"model worker: {err}"}).encode()

    status, data = await anyio.to_thread.run_sync(forward)
    try:
        return JSONResponse(json.loads(data), status_code=status)
    except ValueError:
        return _serving_error(502, "model worker answered something that is not JSON")
