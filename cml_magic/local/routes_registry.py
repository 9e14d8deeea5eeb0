"""API v2: the model registry: registered models and their numbered versions, and what a
build made from a version is built of.

Registering (`POST /registry/models`) stores a copy of the project file `model_path` under
the server's folder (`registry/<version id>/`), as CML's registry keeps its own copy of a
model's artifacts: a build of the version, in any project, builds that copy (the project's
file may have changed since, or its project be gone). A registered model is the workspace's,
not a project's: its owner sees and changes it, everyone sees a `PUBLIC` one (404 for the
rest, 403 for a change by anyone but the owner). Every check is done before anything is
stored; a version and the copy of its file are stored together or not at all.

The function a build of a version calls is the function of the model build the version was
registered from (the tags `cml.build_id` and `cml.function_name`), else `predict`; a build
request's own `function_name` wins.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, Request

from cml_magic.local import ids
from cml_magic.local.bodies_registry import (
    CreateRegisteredModel,
    UpdateRegisteredModel,
    UpdateRegisteredModelVersion,
)
from cml_magic.local.context import V2, Ctx, Listing
from cml_magic.local.errors import bad_request, forbidden, not_found, precondition
from cml_magic.local.listing import ListParams, paginate, parse_filter
from cml_magic.local.scripts import (
    MAX_MODEL_FILE_BYTES,
    check_model_function,
    check_script,
    quoted,
)
from cml_magic.local.shapes import RememberedUsers
from cml_magic.local.shapes_registry import (
    model_version,
    registered_model,
    registered_model_details,
)
from cml_magic.local.store import Doc, Store, private_files
from cml_magic.local.timeutil import now

router = APIRouter(prefix="/api/v2", tags=["model registry"])

MODEL = "registered_model"
VERSION = "model_version"
# The tags of a version registered from a model build (the client's `register_build`).
ORIGIN_BUILD = "cml.build_id"
ORIGIN_MODEL = "cml.model_id"
ORIGIN_FUNCTION = "cml.function_name"
DEFAULT_FUNCTION = "predict"

# search_filter key -> the stored field it matches (substring, as every CML filter).
MODEL_FILTER = {"model_name": "name", "creator_id": "owner"}
VERSION_FILTER = {"version_number": "number", "creator_id": "creator"}
MODEL_SORT = ("created_at", "updated_at", "name", "description")
VERSION_SORT = ("created_at", "updated_at", "number")


def artifacts_dir(store: Store) -> Path:
    """Where the registry keeps its copies of the versions' files."""
    return store.data_dir / "registry"


# look-ups ----------------------------------------------------------------------------------


def _visible(ctx: Ctx, doc: Doc) -> bool:
    return bool(doc["owner"] == ctx.username or doc.get("visibility") == "PUBLIC")


def _model(ctx: Ctx, model_id: str, write: bool = False) -> Doc:
    """A registered model the caller may see (and, with `write`, change)."""
    doc = ctx.store.get(MODEL, model_id)
    if doc is None or not _visible(ctx, doc):
        raise not_found(f"registered model {model_id} not found")
    if write and doc["owner"] != ctx.username:
        raise forbidden(f"user {ctx.username} may not change registered model {model_id}")
    return doc


def _version(ctx: Ctx, model_id: str, version_id: str, write: bool = False) -> tuple[Doc, Doc]:
    model = _model(ctx, model_id, write)
    doc = ctx.store.get(VERSION, version_id)
    if doc is None or doc["model_id"] != model_id:
        raise not_found(f"version {version_id} of registered model {model_id} not found")
    return model, doc


def _versions(store: Store, model_id: str) -> list[Doc]:
    found = [v for v in store.find(VERSION) if v["model_id"] == model_id]
    return sorted(found, key=lambda v: int(v["number"]))


def registered_model_doc(ctx: Ctx, model_id: str) -> Doc:
    """The registered model a model names (`registered_model_id`), if the caller sees it;
    a 404 otherwise."""
    return _model(ctx, model_id)


def registered_version(ctx: Ctx, version_id: str) -> Doc:
    """The version a build names (`registered_model_version_id`), if the caller sees its
    model; a 404 otherwise."""
    doc = ctx.store.get(VERSION, version_id)
    if doc is None:
        raise not_found(f"registered model version {version_id} not found")
    _model(ctx, doc["model_id"])
    return doc


def version_source(ctx: Ctx, version: Doc, function_name: str, project_dir: Path) -> str:
    """Copy the version's file into the project (`.cml/registry/<version id>/<file>`) for a
    build calling `function_name`, and answer that path (relative to the project folder).
    The copy is made only once the version's file is found to define the function."""
    held = artifacts_dir(ctx.store) / version["id"]
    source = held / version["artifact"]
    if not source.is_file():
        raise precondition(f"registered model version {version['id']} has lost its file")
    check_model_function(held, version["artifact"], function_name)
    relative = PurePosixPath(".cml", "registry", version["id"], version["artifact"])
    root = project_dir.resolve()
    folder = root.joinpath(*relative.parent.parts)
    with private_files():
        # A workload may have put a link on the way: nothing is made or written through it.
        for depth in range(1, len(relative.parent.parts) + 1):
            step = root.joinpath(*relative.parent.parts[:depth])
            if step.is_symlink() or (step.exists() and not step.is_dir()):
                shown = PurePosixPath(*relative.parent.parts[:depth])
                raise precondition(f"{shown} in the project is not a folder; remove it first")
            step.mkdir(exist_ok=True)
        target = folder / relative.name
        if target.is_symlink():
            target.unlink()
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        with os.fdopen(os.open(target, flags, 0o600), "wb") as sink:
            sink.write(source.read_bytes())
    return str(relative)


def version_function(version: Doc) -> str:
    """The function a build of the version calls."""
    return str(version.get("function_name") or DEFAULT_FUNCTION)


# filters -----------------------------------------------------------------------------------


def _filtered(docs: list[Doc], params: ListParams, keys: dict[str, str]) -> list[Doc]:
    """`docs` matching the request's `search_filter` (JSON keys of `keys`, or a bare word for
    the name); the filter is then done (`_unfiltered`)."""
    text = params.search_filter
    if not text or not text.strip():
        return docs
    if text.strip()[0] != "{":
        word = text.strip().strip('"').casefold()
        return [d for d in docs if word in str(d.get("name", "")).casefold()]
    wanted = parse_filter(text, tuple(keys))
    return [d for d in docs if all(_matches(d, keys[k], v) for k, v in wanted.items())]


def _matches(doc: Doc, field: str, wanted: str) -> bool:
    value = str(doc.get(field, ""))
    # A version number is one number ("1" is not "10"); names match in part.
    return value == wanted.strip() if field == "number" else wanted in value


def _unfiltered(params: ListParams, sort: str | None = None) -> ListParams:
    return dataclasses.replace(params, search_filter=None, sort=sort)


# experiment runs ---------------------------------------------------------------------------


def check_experiment_run(ctx: Ctx, project_id: str, experiment_id: str, run_id: str) -> None:
    """A 400 unless a registration names both an experiment and its run, or neither; a 404
    when the project has no such experiment, or the experiment no such run."""
    if bool(experiment_id) != bool(run_id):
        raise bad_request("experiment_id and run_id go together: give both, or neither")
    if not experiment_id:
        return
    experiment = ctx.store.get("experiment", experiment_id)
    if experiment is None or experiment.get("project_id") != project_id:
        raise not_found(f"experiment {experiment_id} not found in project {project_id}")
    run = ctx.store.get("experiment_run", run_id)
    if run is None or run.get("experiment_id") != experiment_id:
        raise not_found(f"run {run_id} of experiment {experiment_id} not found")


# model builds ------------------------------------------------------------------------------


def _origin_function(ctx: Ctx, project_id: str, body: CreateRegisteredModel) -> str:
    """The function a version registered with `body` answers with: the model build's its tags
    name (which must exist in the project, be built and be of the file registered), else the
    `cml.function_name` tag, else `predict`."""
    tags = {t.key: t.value for t in body.tags}
    build_id = tags.get(ORIGIN_BUILD, "")
    if build_id:
        build = ctx.store.get("build", build_id)
        model_id = tags.get(ORIGIN_MODEL)
        if build is None or build["project_id"] != project_id:
            raise not_found(f"model build {build_id} not found in project {project_id}")
        if model_id and build["model_id"] != model_id:
            raise not_found(f"model build {build_id} is not a build of model {model_id}")
        if build["status"] != "built":
            raise precondition(
                f"model build {build_id} is {build['status']!r}; only a built build registers"
            )
        if body.model_path != build["file_path"]:
            raise bad_request(
                f"model_path {quoted(body.model_path)} is not the file of build {build_id}"
                f" ({quoted(build['file_path'])})"
            )
        return str(build["function_name"])
    function = tags.get(ORIGIN_FUNCTION, "") or DEFAULT_FUNCTION
    if not function.isidentifier():
        raise bad_request(f"tag {ORIGIN_FUNCTION} {quoted(function)} is not a Python name")
    return function


# models ------------------------------------------------------------------------------------


@router.get("/registry/models", summary="List registered models")
def list_registered_models(ctx: V2, params: Listing) -> dict[str, Any]:
    users = RememberedUsers(ctx.store)
    models = _filtered([m for m in ctx.store.find(MODEL) if _visible(ctx, m)], params, MODEL_FILTER)
    counts: dict[str, int] = {}
    for version in ctx.store.find(VERSION):
        counts[version["model_id"]] = counts.get(version["model_id"], 0) + 1
    chosen, token = paginate(
        models,
        _unfiltered(params, params.sort),
        (),
        MODEL_SORT,
        shape=lambda m: registered_model_details(users, m, ctx.username, counts.get(m["id"], 0)),
    )
    return {"models": chosen, "next_page_token": token}


def _answer(ctx: Ctx, model: Doc, params: ListParams | None = None) -> dict[str, Any]:
    """A registered model with one page of its versions (every version without `params`)."""
    users = RememberedUsers(ctx.store)
    versions = _versions(ctx.store, model["id"])
    count = len(versions)
    if params is None:
        shaped = [model_version(users, v) for v in versions]
        return registered_model(users, model, ctx.username, count, shaped)
    sort = (params.sort or "").replace("versions", "number") or None
    chosen, token = paginate(
        _filtered(versions, params, VERSION_FILTER),
        _unfiltered(params, sort),
        (),
        VERSION_SORT,
        shape=lambda v: model_version(users, v),
    )
    return registered_model(users, model, ctx.username, count, chosen, token)


def _next_version_of(ctx: Ctx, name: str, body: CreateRegisteredModel) -> Doc:
    """The registered model `name` (made when there is none) with its next version number
    taken (`next_number` - 1) and the request's description and visibility; not stored."""
    same_name = [m for m in ctx.store.find(MODEL) if m["name"] == name]
    if same_name and same_name[0]["owner"] != ctx.username:
        raise forbidden(f"registered model {name!r} belongs to another user")
    stamp = now()
    model: Doc = (
        same_name[0]
        if same_name
        else {
            "id": ids.dashed_id(),
            "name": name,
            "description": "",
            "owner": ctx.username,
            "visibility": "PRIVATE",
            "created_at": stamp,
            "next_number": 1,
        }
    )
    model = {**model, "updated_at": stamp, "next_number": int(model["next_number"]) + 1}
    if body.description:
        model["description"] = body.description
    if body.visibility:
        model["visibility"] = body.visibility
    return model


@router.post("/registry/models", summary="Register a model (a new version if it exists)")
def post_registered_model(ctx: V2, request: Request, body: CreateRegisteredModel) -> dict[str, Any]:
    name = body.model_name.strip()
    if not name:
        raise bad_request("Problem with field ModelName: a registered model needs a model_name")
    if not body.project_id:
        raise bad_request("Problem with field ProjectId: registering needs the project_id")
    project = ctx.project(body.project_id, write=True)
    folder = ctx.sup.project_dir(project["id"])
    check_script(folder, body.model_path, "model_path")
    if (folder / body.model_path).stat().st_size > MAX_MODEL_FILE_BYTES:
        raise bad_request(f"model_path {quoted(body.model_path)} is too large for a model file")
    check_experiment_run(ctx, project["id"], body.experiment_id, body.run_id)
    function = _origin_function(ctx, project["id"], body)
    version_id = ids.dashed_id()
    artifact = PurePosixPath(body.model_path).name
    copy = artifacts_dir(ctx.store) / version_id
    try:
        with private_files():
            copy.mkdir(parents=True)
            shutil.copyfile(folder / body.model_path, copy / artifact)
        # The name's model is found (or made) and numbered under the store's lock: two
        # registrations at once make one model and two numbers.
        with ctx.store.transaction():
            model = _next_version_of(ctx, name, body)
            version = {
                "id": version_id,
                "model_id": model["id"],
                "number": model["next_number"] - 1,
                "notes": body.notes,
                "tags": [t.model_dump() for t in body.tags],
                "creator": ctx.username,
                "created_at": model["updated_at"],
                "updated_at": model["updated_at"],
                "project_id": project["id"],
                "project_owner": project["owner"],
                "model_path": body.model_path,
                "experiment_id": body.experiment_id,
                "run_id": body.run_id,
                "function_name": function,
                "artifact": artifact,
                "workspace_url": str(request.base_url).rstrip("/"),
            }
            ctx.store.put(MODEL, model)
            ctx.store.put(VERSION, version)
    except BaseException:
        shutil.rmtree(copy, ignore_errors=True)
        raise
    return _answer(ctx, model)


@router.patch("/registry/models", summary="Update a registered model")
def patch_registered_model(ctx: V2, body: UpdateRegisteredModel) -> dict[str, Any]:
    if not body.model_id:
        raise bad_request("Problem with field ModelId: name the registered model (model_id)")
    _model(ctx, body.model_id, write=True)
    fields = {
        k: v
        for k, v in (("description", body.description), ("visibility", body.visibility))
        if v is not None and (k != "visibility" or v)
    }
    doc = ctx.store.patch(MODEL, body.model_id, **fields, updated_at=now())
    assert doc is not None
    return _answer(ctx, doc)


@router.get("/registry/models/{model_id}", summary="Get a registered model and its versions")
def get_registered_model(ctx: V2, model_id: str, params: Listing) -> dict[str, Any]:
    return _answer(ctx, _model(ctx, model_id), params)


@router.delete("/registry/models/{model_id}", summary="Delete a registered model")
def delete_registered_model(ctx: V2, model_id: str) -> dict[str, Any]:
    _model(ctx, model_id, write=True)
    versions = _versions(ctx.store, model_id)
    with ctx.store.transaction():
        for version in versions:
            ctx.store.delete(VERSION, version["id"])
        ctx.store.delete(MODEL, model_id)
    for version in versions:
        shutil.rmtree(artifacts_dir(ctx.store) / version["id"], ignore_errors=True)
    return {}


# versions ----------------------------------------------------------------------------------


@router.patch("/registry/models/{model_id}", summary="Update a registered model version")
def patch_model_version(
    ctx: V2, model_id: str, body: UpdateRegisteredModelVersion
) -> dict[str, Any]:
    if not body.model_version_id:
        raise bad_request("Problem with field ModelVersionId: name the version (model_version_id)")
    if body.model_id and body.model_id != model_id:
        raise bad_request(f"model_id {quoted(body.model_id)} is not the model of the path")
    _version(ctx, model_id, body.model_version_id, write=True)
    fields: dict[str, Any] = {"updated_at": now()}
    if body.notes is not None:
        fields["notes"] = body.notes
    if body.tags is not None:
        fields["tags"] = [t.model_dump() for t in body.tags]
    with ctx.store.transaction():
        doc = ctx.store.patch(VERSION, body.model_version_id, **fields)
        ctx.store.patch(MODEL, model_id, updated_at=fields["updated_at"])
    assert doc is not None
    return model_version(ctx.store, doc)


@router.get(
    "/registry/models/{model_id}/versions/{version_id}", summary="Get a registered model version"
)
def get_model_version(ctx: V2, model_id: str, version_id: str) -> dict[str, Any]:
    _, doc = _version(ctx, model_id, version_id)
    return model_version(ctx.store, doc)


@router.delete(
    "/registry/models/{model_id}/versions/{version_id}",
    summary="Delete a registered model version",
)
def delete_model_version(ctx: V2, model_id: str, version_id: str) -> dict[str, Any]:
    _version(ctx, model_id, version_id, write=True)
    with ctx.store.transaction():
        ctx.store.delete(VERSION, version_id)
        ctx.store.patch(MODEL, model_id, updated_at=now())
    shutil.rmtree(artifacts_dir(ctx.store) / version_id, ignore_errors=True)
    return {}
