"""API result objects -> pandas DataFrames, with one fixed, documented column list per kind.

`to_frame(cml.jobs.list())` has the columns `COLUMNS["job"]` whatever the listing holds, also
when it is empty. User columns (`creator`, `owner`, `deployer`) hold the user name. Time
columns are `datetime64[ns, UTC]`, NaT where CML sent its zero time (a phase not reached).
A `Listing`'s columns are read from its JSON with the objects' own converters: no object is
built for a frame.

A listing across projects (`cml.jobs.list_in_all_projects()`, a `Listing` whose
`across_projects` is true) adds a `project` column right after `name`: the name of each item's
project (its id where CML sent no name). `with_project_column(COLUMNS[kind])` is that column
list, the same also when the listing is empty; `to_frame(..., project_column=True)` asks for it
for any list of jobs or models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from cml_magic.api.objects import Listing, ShortProject, User

if TYPE_CHECKING:
    from cml_magic.api.experiment_objects import MetricHistory

# kind -> columns, in order. Names are the API's JSON names.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "project": (
        "id", "name", "owner", "creator", "visibility", "description", "created_at",
        "updated_at",
    ),
    "job": (
        "id", "name", "script", "type", "schedule", "kernel", "runtime_identifier", "creator",
        "created_at", "updated_at",
    ),
    "run": (
        "id", "job", "status", "duration", "creator", "created_at", "scheduling_at",
        "starting_at", "running_at", "finished_at", "job_id",
    ),
    "model": ("id", "name", "description", "creator", "auth_enabled", "created_at", "updated_at"),
    "build": (
        "id", "model_id", "status", "duration", "file_path", "function_name", "creator",
        "created_at", "updated_at", "built_at",
    ),
    "deployment": (
        "id", "model_id", "build_id", "status", "replicas", "cpu", "memory", "deployer",
        "created_at", "updated_at", "stopped_at",
    ),
    "application": (
        "id", "name", "subdomain", "status", "script", "creator", "created_at", "updated_at",
        "starting_at", "running_at", "stopped_at",
    ),
    "runtime": (
        "name", "image_identifier", "editor", "kernel", "edition", "full_version", "status",
        "description",
    ),
    "file": ("path", "is_dir", "file_size"),
    "registered model": (
        "model_id", "name", "description", "owner", "visibility", "permission", "count",
        "created_at", "updated_at",
    ),
    "model version": (
        "model_version_id", "model_id", "number", "version_name", "status", "user", "notes",
        "created_at", "updated_at",
    ),
    # The workspace's listings (`%cml keys list`, `%cml usage`, `%cml workloads`): built by
    # `keys_frame`, `usage_frame`, `workloads_frame` (which `to_frame` calls for them).
    "api_key": ("key_id", "comments", "audiences", "created_at", "expiry_date"),
    "usage": (
        "id", "name", "workload_type", "status", "project_name", "creator", "cpu", "memory",
        "nvidia_gpu", "created_at", "duration",
    ),
    "workload_execution": (
        "name", "workload_type", "status", "active", "project", "user", "start_time",
        "end_time", "duration", "cpu", "memory_gb", "gpu", "execution_crn",
    ),
}  # fmt: skip

TIME_COLUMNS = frozenset(
    {
        "created_at", "updated_at", "scheduling_at", "starting_at", "running_at", "finished_at",
        "built_at", "stopped_at", "expiry_date", "start_time", "end_time",
    }
)  # fmt: skip
USER_COLUMNS = frozenset({"creator", "owner", "deployer", "user"})
# Every other column is text. A `duration` is timedelta64[ns] (NaT: not known, or not yet).
DTYPES: dict[str, Literal["bool", "int64", "float64", "timedelta64[ns]"]] = {
    "is_dir": "bool", "auth_enabled": "bool", "active": "bool", "replicas": "int64",
    "file_size": "int64", "count": "int64", "number": "int64", "cpu": "float64",
    "memory": "float64", "nvidia_gpu": "float64", "memory_gb": "float64", "gpu": "float64",
    "duration": "timedelta64[ns]",
}  # fmt: skip
# Columns computed here, not fields of the API: kind -> column -> how.
DURATIONS = {
    "run": ("finished_at", ("running_at", "created_at")),
    "build": ("built_at", ("created_at",)),
}
DERIVED = {"run": {"job", "duration"}, "build": {"duration"}, "runtime": {"name"}}
KIND_ALIASES = {
    "projects": "project", "jobs": "job", "runs": "run", "job_run": "run", "jobrun": "run",
    "models": "model", "builds": "build", "model_build": "build", "modelbuild": "build",
    "deployments": "deployment", "model_deployment": "deployment",
    "modeldeployment": "deployment", "applications": "application", "apps": "application",
    "app": "application", "runtimes": "runtime", "files": "file", "fileinfo": "file",
    "registered_model": "registered model", "registeredmodel": "registered model",
    "registered_models": "registered model", "model_version": "model version",
    "model_versions": "model version", "registeredmodelversion": "model version",
    "registered_model_version": "model version",
    "new_api_key": "api_key", "api_keys": "api_key", "keys": "api_key",
    "usagerecord": "usage", "workloadexecution": "workload_execution",
    "workload_executions": "workload_execution",
}  # fmt: skip


def _kind_of(items: list[Any], kind: str | type | None) -> str | None:
    if isinstance(kind, type):
        kind = getattr(kind, "kind", kind.__name__)
    if kind is None:
        kind = getattr(items, "kind", None)
        if (kind is None or kind == "object") and items:
            kind = getattr(items[0], "kind", None)
    if kind is None:
        return None
    key = str(kind).lower()
    key = KIND_ALIASES.get(key, key)
    if key not in COLUMNS:
        raise ValueError(f"no column set for {kind!r}; known: {', '.join(COLUMNS)}")
    return key


def with_project_column(columns: tuple[str, ...]) -> tuple[str, ...]:
    """`columns` with `project` right after `name` (after the first column if there is none)."""
    at = columns.index("name") + 1 if "name" in columns else 1
    return (*columns[:at], "project", *columns[at:])


def to_frame(
    items: Iterable[Any],
    kind: str | type | None = None,
    *,
    project_column: bool | None = None,
    job_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A DataFrame of API objects, with the columns `COLUMNS[kind]`.

    `kind` ("job", "run", ... or the class, e.g. `JobRun`) is found from the listing or its
    items when not given; an empty plain list without `kind` gives an empty frame.
    `project_column` (default: the listing's `across_projects`) adds the `project` column.
    `job_names` (job id -> name) fills a run's `job` column. API keys, usage records and
    workload executions give the frames of `keys_frame`, `usage_frame` and `workloads_frame`
    (which name their project already: `project_column` does not apply to them).
    """
    rows = [] if isinstance(items, Listing) else list(items)  # a listing is read from its JSON
    key = _kind_of(items if hasattr(items, "kind") else rows, kind)  # type: ignore[arg-type]
    if key is None:
        return pd.DataFrame()
    if key in _WORKSPACE_ROWS:
        return _typed(_WORKSPACE_ROWS[key](list(items)), COLUMNS[key])
    columns = COLUMNS[key]
    if project_column is None:
        project_column = bool(getattr(items, "across_projects", False))
    if project_column:
        columns = with_project_column(columns)
    fields = [c for c in columns if c not in DERIVED.get(key, ())]
    if isinstance(items, Listing):
        data = {column: _json_column(items, column) for column in fields}
    else:
        data = {column: _object_column(rows, column) for column in fields}
    _derive(data, key, len(data[fields[0]]) if fields else 0, job_names or {})
    frame = _typed(data, columns)
    if key in DURATIONS:
        end, starts = DURATIONS[key]
        start = frame[starts[0]]
        for other in starts[1:]:
            start = start.fillna(frame[other])
        frame["duration"] = (frame[end] - start).astype("timedelta64[ns]")
    return frame


def _typed(data: Mapping[str, list[Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """A frame of `data` with exactly `columns`, each of its type: `TIME_COLUMNS` are
    datetime64[ns, UTC] (NaT for none), `DTYPES` theirs, every other column text."""
    frame = pd.DataFrame(data, columns=list(columns))
    for column in columns:
        if column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
        elif DTYPES.get(column) == "timedelta64[ns]":
            frame[column] = pd.to_timedelta(frame[column]).astype("timedelta64[ns]")
        elif column in DTYPES:
            frame[column] = frame[column].astype(DTYPES[column])
        else:
            frame[column] = frame[column].astype(str)
    return frame


def _derive(data: dict[str, list[Any]], key: str, count: int, job_names: Mapping[str, str]) -> None:
    """Fill the columns computed here (`DERIVED`) that `key`'s frame has, from the others."""
    if key == "run":
        ids = [str(i or "") for i in data["job_id"]]
        data["job"] = [job_names.get(i, i) for i in ids]
    if key in DURATIONS:
        data["duration"] = [None] * count
    if key == "runtime":
        from cml_magic.api.runtimes import short_name

        data["name"] = [short_name(str(i or "")) for i in data["image_identifier"]]


_NOTHING: Mapping[str, Any] = {}


def _json_column(listing: Listing[Any], column: str) -> list[Any]:
    """One column of a listing's frame, read from its JSON (what `_object_column` would
    read from its objects)."""
    if column in USER_COLUMNS or column == "project":
        # The nested object's JSON ({} where CML sent none): the user's name, the project's.
        nested = [v if isinstance(v := row.get(column), dict) else _NOTHING for row in listing.raw]
        if column == "project":
            names = ShortProject.column(nested, "name")
            ids = ShortProject.column(nested, "public_identifier")
            # Items that name their project by id only (experiments) show that id.
            own = [row.get("project_id") or "" for row in listing.raw]
            return [name or id_ or pid for name, id_, pid in zip(names, ids, own, strict=True)]
        return User.column(nested, "username")
    return listing.column(column, None)


def _object_column(items: list[Any], column: str) -> list[Any]:
    """One column of a frame of objects."""
    values = [getattr(item, column, None) for item in items]
    if column in USER_COLUMNS:
        return [getattr(u, "username", "") if u is not None else "" for u in values]
    if column == "project":
        own = [getattr(item, "project_id", "") for item in items]
        return [_project_name(p) or i for p, i in zip(values, own, strict=True)]
    return values


def _project_name(project: Any) -> str:
    """The name of a job's or model's `project` (a `ShortProject`), else its id."""
    if project is None:
        return ""
    return str(getattr(project, "name", "") or getattr(project, "public_identifier", ""))


FILE_COLUMNS = ("path", "size", "modified", "is_dir")


def file_frame(entries: Iterable[Any]) -> pd.DataFrame:
    """`%cml files ls`: path, size (int64 bytes, 0 for a folder), modified, is_dir (bool).

    `modified` is datetime64[ns, UTC] and NaT: CML's FileInfo carries no time; the column is
    there so that code reading it keeps working where a server sends one (`raw` `modified`).
    """
    rows = list(entries)
    frame = pd.DataFrame(
        {
            "path": [e.path for e in rows],
            "size": [e.file_size for e in rows],
            "modified": [e.raw.get("modified") for e in rows],
            "is_dir": [e.is_dir for e in rows],
        },
        columns=list(FILE_COLUMNS),
    )
    return frame.astype({"path": str, "size": "int64", "is_dir": "bool"}).assign(
        modified=pd.to_datetime(frame["modified"], utc=True).astype("datetime64[ns, UTC]")
    )


# The workspace's own listings (`%cml keys list`, `%cml usage`, `%cml workloads`): fixed
# columns of fixed types (`COLUMNS`, `TIME_COLUMNS`, `DTYPES`), also when empty.
KEY_COLUMNS = COLUMNS["api_key"]
USAGE_COLUMNS = COLUMNS["usage"]
WORKLOAD_COLUMNS = COLUMNS["workload_execution"]


def keys_frame(keys: Iterable[Any]) -> pd.DataFrame:
    """`%cml keys list`: `KEY_COLUMNS` (audiences joined by commas); never a key."""
    return _typed(_key_rows(list(keys)), KEY_COLUMNS)


def usage_frame(records: Iterable[Any]) -> pd.DataFrame:
    """`%cml usage`: `USAGE_COLUMNS`; `duration` from CML's seconds."""
    return _typed(_usage_rows(list(records)), USAGE_COLUMNS)


def workloads_frame(executions: Iterable[Any]) -> pd.DataFrame:
    """`%cml workloads`: `WORKLOAD_COLUMNS`, one row per execution with its workload's name,
    type and project; `duration` until now while it runs."""
    return _typed(_workload_rows(list(executions)), WORKLOAD_COLUMNS)


def _key_rows(rows: list[Any]) -> dict[str, list[Any]]:
    return {
        "key_id": [k.key_id for k in rows],
        "comments": [k.comments for k in rows],
        "audiences": [",".join(k.audiences) for k in rows],
        "created_at": [k.created_at for k in rows],
        "expiry_date": [k.expiry_date for k in rows],
    }


def _usage_rows(rows: list[Any]) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {
        c: [getattr(r, c) for r in rows] for c in USAGE_COLUMNS if c != "duration"
    }
    data["duration"] = [pd.Timedelta(seconds=r.duration) for r in rows]
    return data


def _workload_rows(rows: list[Any]) -> dict[str, list[Any]]:
    now = pd.Timestamp.now(tz="UTC")

    def duration(e: Any) -> Any:
        if e.start_time is None:
            return pd.NaT
        return (pd.Timestamp(e.end_time) if e.end_time else now) - pd.Timestamp(e.start_time)

    def of(e: Any, name: str) -> str:
        return str(getattr(e.workload, name, "") or "") if e.workload else ""

    return {
        "name": [e.name for e in rows],
        "workload_type": [of(e, "workload_type") for e in rows],
        "status": [e.status for e in rows],
        "active": [e.active for e in rows],
        "project": [
            e.workload.project.name if e.workload and e.workload.project else "" for e in rows
        ],
        "user": [e.run_as_user_name for e in rows],
        "start_time": [e.start_time for e in rows],
        "end_time": [e.end_time for e in rows],
        "duration": [duration(e) for e in rows],
        "cpu": [e.allocated_cpu_cores for e in rows],
        "memory_gb": [e.allocated_memory_gb for e in rows],
        "gpu": [e.allocated_gpu_cores for e in rows],
        "execution_crn": [e.workload_execution_crn for e in rows],
    }


# kind -> its rows, for `to_frame`.
_WORKSPACE_ROWS = {"api_key": _key_rows, "usage": _usage_rows, "workload_execution": _workload_rows}


# -- experiments ---------------------------------------------------------------------------------
# Experiments and their runs join the tables above in one block, so that their kinds stay
# together. A run's frame for `%cml experiments runs` adds its params and latest metrics
# (`experiment_runs_frame`); a metric's history has a frame of its own (`metric_history_frame`).

COLUMNS = {
    **COLUMNS,
    "experiment": (
        "id", "name", "user", "lifecycle_stage", "artifact_location", "created_at", "updated_at",
    ),
    "experiment_run": ("id", "name", "status", "user", "start_time", "end_time", "experiment_id"),
}  # fmt: skip
USER_COLUMNS = USER_COLUMNS | {"user"}
KIND_ALIASES = {
    **KIND_ALIASES,
    "experiments": "experiment",
    "experiment_runs": "experiment_run",
    "experimentrun": "experiment_run",
}
PARAM_PREFIX = "params."
METRIC_PREFIX = "metrics."
METRIC_HISTORY_COLUMNS = ("run_id", "run_name", "key", "step", "value", "timestamp")
METRIC_HISTORY_DTYPES = {
    "run_id": "string", "run_name": "string", "key": "string", "step": "Int64",
    "value": "float64",
}  # fmt: skip


def experiment_runs_frame(runs: Iterable[Any]) -> pd.DataFrame:
    """One row per run: `COLUMNS["experiment_run"]`, then a `params.<key>` column per param
    (text, `<NA>` where a run has none) and a `metrics.<key>` column per metric holding its
    latest value (float64, NaN where a run never logged it), each group sorted by key; the
    rows in the listing's order. Read from the runs' JSON: no object is built for a listing."""
    rows = runs if isinstance(runs, Listing) else list(runs)
    base = to_frame(rows, "experiment_run")
    raw = rows.raw if isinstance(rows, Listing) else [getattr(r, "raw", {}) for r in rows]
    count = len(raw)
    params: dict[str, list[Any]] = {}
    metrics: dict[str, list[float]] = {}
    nan = float("nan")
    for at, item in enumerate(raw):
        data = item.get("data")
        if not isinstance(data, dict):
            continue
        for pair in data.get("params") or ():
            key = str(pair.get("key", ""))
            if key not in params:  # a column is made once, on its first value
                params[key] = [None] * count
            params[key][at] = pair.get("value")
        for metric in data.get("metrics") or ():
            key = str(metric.get("key", ""))
            if key not in metrics:
                metrics[key] = [nan] * count
            value = metric.get("value")
            metrics[key][at] = value if value.__class__ is float else _number(value)
    extra: dict[str, Any] = {
        f"{PARAM_PREFIX}{key}": pd.array(params[key], dtype="string") for key in sorted(params)
    }
    for key in sorted(metrics):
        extra[f"{METRIC_PREFIX}{key}"] = pd.array(metrics[key], dtype="float64")
    if not extra:
        return base
    return pd.concat([base, pd.DataFrame(extra, index=base.index)], axis=1)


def _number(value: Any) -> float:
    from cml_magic.api.convert import number

    try:
        return number(value)
    except (TypeError, ValueError):
        return float("nan")


def metric_history_frame(histories: MetricHistory | Iterable[MetricHistory]) -> pd.DataFrame:
    """The values of a metric (a `MetricHistory`, or several: one metric for several runs) as
    one frame with exactly `METRIC_HISTORY_COLUMNS`: `run_id`, `run_name`, `key` (string),
    `step` (Int64), `value` (float64), `timestamp` (datetime64[ns, UTC]); one row per value,
    run after run, each run's in step order. The same columns and types when it is empty."""
    from cml_magic.api.experiment_objects import MetricHistory

    found = [histories] if isinstance(histories, MetricHistory) else list(histories)
    data: dict[str, list[Any]] = {name: [] for name in METRIC_HISTORY_COLUMNS}
    for history in found:
        for point in history.points:
            data["run_id"].append(history.run_id)
            data["run_name"].append(history.run_name)
            data["key"].append(point.key or history.key)
            data["step"].append(point.step)
            data["value"].append(point.value)
            data["timestamp"].append(point.timestamp)
    frame = pd.DataFrame(data, columns=list(METRIC_HISTORY_COLUMNS))
    times = pd.to_datetime(frame["timestamp"], utc=True).astype("datetime64[ns, UTC]")
    return frame.astype(METRIC_HISTORY_DTYPES).assign(timestamp=times)
