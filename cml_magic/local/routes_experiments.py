"""API v2: experiments, their runs, logging to a run (`:logbatch`, `:deletebatch`) and a metric's
history.

Visibility is the project's: whoever may see the project reads its experiments; its owner (or a
workload acting as the owner, with its own key) changes them. Runs' metrics live in
`metric_store`; a run's params and tags in its document. A batch is checked whole (MLflow's
limits, and a param keeps its first value) before anything of it is stored.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from cml_magic.local import ids, metric_store, shapes
from cml_magic.local import shapes_experiments as shaped
from cml_magic.local.bodies_experiments import (
    CreateExperiment,
    CreateExperimentRun,
    DeleteBatch,
    LogBatch,
    UpdateExperiment,
    UpdateExperimentRun,
    limit_problem,
)
from cml_magic.local.context import V2, Ctx, Listing, check_id, page
from cml_magic.local.errors import bad_request, conflict, not_found
from cml_magic.local.listing import ListParams, bare_word, paginate, parse_sort
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import now
from cml_magic.local.validate import key_problem, quote

router = APIRouter(prefix="/api/v2", tags=["experiments"])

EXPERIMENT_FILTER = ("name", "lifecycle_stage", "user.username", "user.name", "user.email")
EXPERIMENT_SORT = ("name", "created_at", "updated_at")
# The spec's keys for runs, and its dynamic ones: `params.<key>`, `tags.<key>` (and, to sort,
# `metrics.<key>`).
RUN_FILTER = ("creator.email", "creator.name", "creator.username", "name", "status")
RUN_SORT = ("created_at", "creator.email", "creator.name", "creator.username", "name", "start_time")
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
STATUS_PREFIX = "EXPERIMENT_RUN_"
FINAL = ("FINISHED", "FAILED", "KILLED")


# look-ups ---------------------------------------------------------------------------------------


def _experiment(ctx: Ctx, project_id: str, experiment_id: str, write: bool = False) -> Doc:
    ctx.project(project_id, write)
    check_id("ExperimentId", experiment_id)
    return ctx.child("experiment", experiment_id, project_id)


def _run(
    ctx: Ctx, project_id: str, experiment_id: str, run_id: str, write: bool = False
) -> tuple[Doc, Doc]:
    experiment = _experiment(ctx, project_id, experiment_id, write)
    check_id("RunId", run_id)
    doc = ctx.store.get("experiment_run", run_id)
    if doc is None or doc.get("experiment_id") != experiment_id:
        raise not_found(f"experiment run {run_id} not found in experiment {experiment_id}")
    return experiment, doc


def _status(word: str) -> str:
    short = word.strip().upper().removeprefix(STATUS_PREFIX)
    if short not in RUN_STATUSES:
        choices = ", ".join(STATUS_PREFIX + s for s in RUN_STATUSES)
        raise bad_request(f"Problem with field Status: {quote(word)} is not one of {choices}")
    return STATUS_PREFIX + short


def _name(text: str, what: str) -> str:
    """`text` without the blanks around it; a 400 when nothing is left."""
    name = text.strip()
    if not name:
        raise bad_request(f"Problem with field Name: {what} needs a name")
    return name


def _merged(old: dict[str, str] | None, new: list[Any]) -> dict[str, str]:
    merged = dict(old or {})
    merged.update({t.key: t.value for t in new})
    return merged


# experiments ------------------------------------------------------------------------------------


@router.get("/projects/{project_id}/experiments", summary="List experiments")
def list_experiments(ctx: V2, project_id: str, params: Listing) -> dict[str, Any]:
    ctx.project(project_id)
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        ctx.store.find("experiment", project_id),
        params,
        EXPERIMENT_FILTER,
        EXPERIMENT_SORT,
        shape=lambda d: shaped.experiment(users, d),
    )
    return page("experiments", chosen, token)


@router.get("/experiments", summary="List the experiments of every project the caller can see")
def list_all_experiments(ctx: V2, params: Listing) -> dict[str, Any]:
    users = shapes.RememberedUsers(ctx.store)
    chosen, token = paginate(
        [doc for doc, _ in ctx.visible("experiment")],
        params,
        EXPERIMENT_FILTER,
        EXPERIMENT_SORT,
        shape=lambda d: shaped.experiment(users, d),
    )
    return page("experiments", chosen, token)


@router.post("/projects/{project_id}/experiments", summary="Create an experiment")
def post_experiment(ctx: V2, project_id: str, body: CreateExperiment) -> dict[str, Any]:
    ctx.project(project_id, write=True)
    name = _name(body.name, "an experiment")
    stamp = now()
    experiment_id = ids.dashed_id()
    doc = {
        "id": experiment_id,
        "project_id": project_id,
        "name": name,
        "artifact_location": body.artifact_location or f"/home/cdsw/.experiments/{experiment_id}",
        "tags": _merged({}, body.tags),
        "lifecycle_stage": "active",
        "creator": ctx.username,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with ctx.store.transaction():  # the name check and the insert, as one
        if ctx.store.find("experiment", project_id, name=name):
            raise conflict(f"an experiment named {quote(name)} already exists in the project")
        ctx.store.put("experiment", doc)
    return shaped.experiment(ctx.store, doc)


@router.get("/projects/{project_id}/experiments/{experiment_id}", summary="Get an experiment")
def get_experiment(ctx: V2, project_id: str, experiment_id: str) -> dict[str, Any]:
    return shaped.experiment(ctx.store, _experiment(ctx, project_id, experiment_id))


@router.patch(
    "/projects/{project_id}/experiments/{experiment_id}",
    summary="Update an experiment (its name, its tags)",
)
def patch_experiment(
    ctx: V2, project_id: str, experiment_id: str, body: UpdateExperiment
) -> dict[str, Any]:
    _experiment(ctx, project_id, experiment_id, write=True)
    name = _name(body.name, "an experiment") if body.name is not None else None

    def change(doc: Doc) -> None:
        if name is not None and name != doc["name"]:
            if ctx.store.find("experiment", project_id, name=name):
                raise conflict(f"an experiment named {quote(name)} already exists in the project")
            doc["name"] = name
        if body.tags is not None:
            doc["tags"] = _merged(doc.get("tags"), body.tags)
        doc["updated_at"] = now()

    doc = ctx.store.update("experiment", experiment_id, change)
    assert doc is not None
    return shaped.experiment(ctx.store, doc)


@router.delete(
    "/projects/{project_id}/experiments/{experiment_id}",
    summary="Delete an experiment with its runs and what they logged",
)
def delete_experiment(ctx: V2, project_id: str, experiment_id: str) -> dict[str, Any]:
    _experiment(ctx, project_id, experiment_id, write=True)
    forget_experiment(ctx, project_id, experiment_id)
    return {}


def forget_experiment(ctx: Ctx, project_id: str, experiment_id: str) -> None:
    """Delete an experiment, its runs and their metrics, in one transaction."""
    with ctx.store.transaction():
        for run in ctx.store.find("experiment_run", project_id, experiment_id=experiment_id):
            metric_store.forget(ctx.store, run["id"])
            ctx.store.delete("experiment_run", run["id"])
        ctx.store.delete("experiment", experiment_id)


# runs -------------------------------------------------------------------------------------------


def _user_field(ctx: Ctx, doc: Doc, field: str) -> str:
    user = ctx.store.user(doc.get("creator", "")) or {}
    return str(user.get(field, doc.get("creator", "") if field == "username" else ""))


def _run_value(ctx: Ctx, doc: Doc, key: str, latest: dict[str, list[Any]]) -> Any:
    """What filter or sort key `key` reads of a stored run (None where it has no value)."""
    head, _, rest = key.partition(".")
    if head == "creator":
        return _user_field(ctx, doc, rest)
    if head in ("params", "tags") and rest:
        return (doc.get(head) or {}).get(rest)
    if head == "metrics" and rest:
        return next((p[1] for p in latest.get(doc["id"], ()) if p[0] == rest), None)
    if key == "created_at":
        return doc.get("created_at")
    return doc.get(key)


def _filtered(
    ctx: Ctx, runs: list[Doc], text: str | None, latest: dict[str, list[Any]]
) -> list[Doc]:
    """`search_filter` over stored runs: substring matches (status by its short name or full
    word), keys ANDed; a bare word matches names."""
    if not text or not text.strip():
        return runs
    word = bare_word(text)
    if word is not None:
        folded = word.casefold()
        return [r for r in runs if folded in str(r.get("name", "")).casefold()]
    try:
        wanted = json.loads(text)
    except (ValueError, RecursionError):
        wanted = None
    if not isinstance(wanted, dict):
        raise bad_request('search_filter must be a JSON object such as {"name": "run-1"}')
    for key, value in wanted.items():
        dynamic = key.partition(".")[0] in ("params", "tags") and "." in key
        if key not in RUN_FILTER and not dynamic:
            raise bad_request(
                f"search_filter key {quote(key)} is not supported here; supported:"
                f" {', '.join(RUN_FILTER)}, params.<key>, tags.<key>"
            )
        if isinstance(value, dict | list):
            raise bad_request("search_filter values must be text, numbers or booleans")
    found = []
    for run in runs:
        keep = True
        for key, value in wanted.items():
            have = _run_value(ctx, run, key, latest)
            if key == "status":
                keep = have == _status(str(value))
            else:
                keep = have is not None and str(value) in str(have)
            if not keep:
                break
        if keep:
            found.append(run)
    return found


def _sorted(ctx: Ctx, runs: list[Doc], text: str | None, latest: dict[str, list[Any]]) -> None:
    if not text:
        return
    names = [part.strip().lstrip("+- ") for part in text.split(",") if part.strip()]
    dynamic = tuple(
        n for n in names if n.partition(".")[0] in ("metrics", "params", "tags") and "." in n
    )
    for key, descending in reversed(parse_sort(text, (*RUN_SORT, *dynamic))):

        def sort_key(doc: Doc, key: str = key, descending: bool = descending) -> tuple[int, Any]:
            value = _run_value(ctx, doc, key, latest)
            if value is None:  # runs without the value come last, either way (as MLflow's)
                return (0, "") if descending else (3, "")
            return (1, value) if isinstance(value, int | float) else (2, str(value))

        runs.sort(key=sort_key, reverse=descending)


@router.get(
    "/projects/{project_id}/experiments/{experiment_id}/runs", summary="List experiment runs"
)
def list_runs(ctx: V2, project_id: str, experiment_id: str, params: Listing) -> dict[str, Any]:
    _experiment(ctx, project_id, experiment_id)
    runs = ctx.store.find("experiment_run", project_id, experiment_id=experiment_id)
    latest = metric_store.latest(ctx.store, experiment_id)  # one query for the whole listing
    runs = _filtered(ctx, runs, params.search_filter, latest)
    _sorted(ctx, runs, params.sort, latest)
    users = shapes.RememberedUsers(ctx.store)
    plain = ListParams(
        page_size=params.page_size,
        page_token=params.page_token,
        max_page_size=params.max_page_size,
    )
    chosen, token = paginate(
        runs, plain, (), (), shape=lambda d: shaped.run(users, d, latest.get(d["id"], []))
    )
    return page("experiment_runs", chosen, token)


@router.post(
    "/projects/{project_id}/experiments/{experiment_id}/runs", summary="Create an experiment run"
)
def post_run(
    ctx: V2, project_id: str, experiment_id: str, body: CreateExperimentRun
) -> dict[str, Any]:
    experiment = _experiment(ctx, project_id, experiment_id, write=True)
    stamp = now()
    run_id = ids.dashed_id()
    with ctx.store.transaction():
        name = body.run_name.strip()
        if not name:
            count = len(ctx.store.find("experiment_run", project_id, experiment_id=experiment_id))
            name = f"run-{count + 1}"
        doc = {
            "id": run_id,
            "project_id": project_id,
            "experiment_id": experiment_id,
            "name": name,
            "creator": ctx.username,
            "status": STATUS_PREFIX + "RUNNING",
            "created_at": stamp,
            "start_time": body.start_time or stamp,
            "end_time": "",
            "artifact_uri": f"{experiment['artifact_location']}/{run_id}/artifacts",
            "params": {},
            "tags": _merged({}, body.tags),
        }
        ctx.store.put("experiment_run", doc)
    return shaped.run(ctx.store, doc, [])


@router.get(
    "/projects/{project_id}/experiments/{experiment_id}/runs/{run_id}",
    summary="Get an experiment run",
)
def get_run(ctx: V2, project_id: str, experiment_id: str, run_id: str) -> dict[str, Any]:
    _, doc = _run(ctx, project_id, experiment_id, run_id)
    return shaped.run(ctx.store, doc, metric_store.latest_of_run(ctx.store, run_id))


@router.patch(
    "/projects/{project_id}/experiments/{experiment_id}/runs/{run_id}",
    summary="Update an experiment run (name, status, start and end time)",
)
def patch_run(
    ctx: V2, project_id: str, experiment_id: str, run_id: str, body: UpdateExperimentRun
) -> dict[str, Any]:
    _run(ctx, project_id, experiment_id, run_id, write=True)
    fields = body.model_dump(exclude_none=True)
    if "name" in fields:
        fields["name"] = _name(fields["name"], "a run")
    if "status" in fields:
        fields["status"] = _status(fields["status"])
        if fields["status"].removeprefix(STATUS_PREFIX) in FINAL and "end_time" not in fields:
            fields["end_time"] = now()
    doc = ctx.store.patch("experiment_run", run_id, **fields)
    assert doc is not None
    return shaped.run(ctx.store, doc, metric_store.latest_of_run(ctx.store, run_id))


@router.delete(
    "/projects/{project_id}/experiments/{experiment_id}/runs/{run_id}",
    summary="Delete an experiment run and what it logged",
)
def delete_run(ctx: V2, project_id: str, experiment_id: str, run_id: str) -> dict[str, Any]:
    _run(ctx, project_id, experiment_id, run_id, write=True)
    with ctx.store.transaction():
        metric_store.forget(ctx.store, run_id)
        ctx.store.delete("experiment_run", run_id)
    return {}


@router.get(
    "/projects/{project_id}/experiments/{experiment_id}/runs/{run_id}/metrics/{metric_key:path}",
    summary="Get every logged value of one metric of a run",
)
def get_metrics(
    ctx: V2, project_id: str, experiment_id: str, run_id: str, metric_key: str
) -> dict[str, Any]:
    _run(ctx, project_id, experiment_id, run_id)
    if problem := key_problem(metric_key):
        raise bad_request(f"Problem with field MetricKey: {quote(metric_key)} {problem}")
    points = metric_store.history(ctx.store, run_id, metric_key)
    return {"metrics": [shaped.metric(p) for p in points]}


@router.post(
    "/projects/{project_id}/experiments/{experiment_id}/runs/{run_id}:logbatch",
    summary="Log metrics, params and tags to a run",
)
def log_batch(
    ctx: V2, project_id: str, experiment_id: str, run_id: str, body: LogBatch
) -> dict[str, Any]:
    _run(ctx, project_id, experiment_id, run_id, write=True)
    if problem := limit_problem(body):
        raise bad_request(problem)
    stamp = now()
    points = [(m.key, m.value, m.step, m.timestamp or stamp) for m in body.metrics]

    def change(doc: Doc) -> None:
        params = dict(doc.get("params") or {})
        for param in body.params:
            kept = params.get(param.key)
            if kept is not None and kept != param.value:
                raise bad_request(
                    f"param {quote(param.key)} was logged as {quote(kept)}; a param keeps its"
                    f" first value (got {quote(param.value)})"
                )
            params[param.key] = param.value
        doc["params"] = params
        doc["tags"] = _merged(doc.get("tags"), body.tags)

    with ctx.store.transaction():  # params, tags and metrics: all of the batch or none
        ctx.store.update("experiment_run", run_id, change)
        if points:
            metric_store.add(ctx.store, experiment_id, run_id, points)
    return {}


@router.post(
    "/projects/{project_id}/experiments/{experiment_id}/runs/{run_id}:deletebatch",
    summary="Delete metrics, params and tags of a run, by key",
)
def delete_batch(
    ctx: V2, project_id: str, experiment_id: str, run_id: str, body: DeleteBatch
) -> dict[str, Any]:
    _run(ctx, project_id, experiment_id, run_id, write=True)

    def change(doc: Doc) -> None:
        for kind, keys in (("params", body.params), ("tags", body.tags)):
            doc[kind] = {k: v for k, v in (doc.get(kind) or {}).items() if k not in set(keys)}

    with ctx.store.transaction():
        ctx.store.update("experiment_run", run_id, change)
        if body.metrics:
            metric_store.forget(ctx.store, run_id, body.metrics)
    return {}
