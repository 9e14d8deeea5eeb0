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
from typing import Any, Literal

import pandas as pd

from cml_magic.api.objects import Listing, ShortProject, User

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
}  # fmt: skip

TIME_COLUMNS = frozenset(
    {
        "created_at", "updated_at", "scheduling_at", "starting_at", "running_at", "finished_at",
        "built_at", "stopped_at",
    }
)  # fmt: skip
USER_COLUMNS = frozenset({"creator", "owner", "deployer", "user"})
DTYPES: dict[str, Literal["bool", "int64", "float64"]] = {
    "is_dir": "bool", "auth_enabled": "bool", "replicas": "int64", "file_size": "int64",
    "cpu": "float64", "memory": "float64", "count": "int64", "number": "int64",
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
    `job_names` (job id -> name) fills a run's `job` column.
    """
    rows = [] if isinstance(items, Listing) else list(items)  # a listing is read from its JSON
    key = _kind_of(items if hasattr(items, "kind") else rows, kind)  # type: ignore[arg-type]
    if key is None:
        return pd.DataFrame()
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
    frame = pd.DataFrame(data, columns=list(columns))
    for column in columns:
        if column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
        elif column in DTYPES:
            frame[column] = frame[column].astype(DTYPES[column])
        elif column != "duration":
            frame[column] = frame[column].astype(str)
    if key in DURATIONS:
        end, starts = DURATIONS[key]
        start = frame[starts[0]]
        for other in starts[1:]:
            start = start.fillna(frame[other])
        frame["duration"] = (frame[end] - start).astype("timedelta64[ns]")
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
            return [name or id_ for name, id_ in zip(names, ids, strict=True)]
        return User.column(nested, "username")
    return listing.column(column, None)


def _object_column(items: list[Any], column: str) -> list[Any]:
    """One column of a frame of objects."""
    values = [getattr(item, column, None) for item in items]
    if column in USER_COLUMNS:
        return [getattr(u, "username", "") if u is not None else "" for u in values]
    if column == "project":
        return [_project_name(p) for p in values]
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
