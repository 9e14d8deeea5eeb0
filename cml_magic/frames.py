"""API result objects -> pandas DataFrames, with one fixed, documented column list per kind.

`to_frame(cml.jobs.list())` has the columns `COLUMNS["job"]` whatever the listing holds, also
when it is empty. User columns (`creator`, `owner`, `deployer`) hold the user name. Time
columns are `datetime64[ns, UTC]`, NaT where CML sent its zero time (a phase not reached).

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

from cml_magic.api.objects import field_columns

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
        "id", "job_id", "status", "creator", "created_at", "scheduling_at", "starting_at",
        "running_at", "finished_at",
    ),
    "model": ("id", "name", "description", "creator", "auth_enabled", "created_at", "updated_at"),
    "build": (
        "id", "model_id", "status", "file_path", "function_name", "creator", "created_at",
        "updated_at", "built_at",
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
        "image_identifier", "editor", "kernel", "edition", "full_version", "status",
        "description",
    ),
    "file": ("path", "is_dir", "file_size"),
}  # fmt: skip

TIME_COLUMNS = frozenset(
    {
        "created_at", "updated_at", "scheduling_at", "starting_at", "running_at", "finished_at",
        "built_at", "stopped_at",
    }
)  # fmt: skip
USER_COLUMNS = frozenset({"creator", "owner", "deployer"})
DTYPES: dict[str, Literal["bool", "int64", "float64"]] = {
    "is_dir": "bool", "auth_enabled": "bool", "replicas": "int64", "file_size": "int64",
    "cpu": "float64", "memory": "float64",
}  # fmt: skip
KIND_ALIASES = {
    "projects": "project", "jobs": "job", "runs": "run", "job_run": "run", "jobrun": "run",
    "models": "model", "builds": "build", "model_build": "build", "modelbuild": "build",
    "deployments": "deployment", "model_deployment": "deployment",
    "modeldeployment": "deployment", "applications": "application", "apps": "application",
    "app": "application", "runtimes": "runtime", "files": "file", "fileinfo": "file",
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
    items: Iterable[Any], kind: str | type | None = None, *, project_column: bool | None = None
) -> pd.DataFrame:
    """A DataFrame of API objects, with the columns `COLUMNS[kind]`.

    `kind` ("job", "run", ... or the class, e.g. `JobRun`) is found from the listing or its
    items when not given; an empty plain list without `kind` gives an empty frame.
    `project_column` (default: the listing's `across_projects`) adds the `project` column.
    """
    rows = list(items)
    key = _kind_of(items if hasattr(items, "kind") else rows, kind)  # type: ignore[arg-type]
    if key is None:
        return pd.DataFrame()
    columns = COLUMNS[key]
    if project_column is None:
        project_column = bool(getattr(items, "across_projects", False))
    if project_column:
        columns = with_project_column(columns)
    data = field_columns(rows, columns, None)
    for column in USER_COLUMNS.intersection(columns):
        data[column] = [getattr(u, "username", "") if u is not None else "" for u in data[column]]
    if project_column:
        data["project"] = [_project_name(p) for p in data["project"]]
    frame = pd.DataFrame(data, columns=list(columns))
    for column in columns:
        if column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[ns, UTC]")
        elif column in DTYPES:
            frame[column] = frame[column].astype(DTYPES[column])
        else:
            frame[column] = frame[column].astype(str)
    return frame


def _project_name(project: Any) -> str:
    """The name of a job's or model's `project` (a `ShortProject`), else its id."""
    if project is None:
        return ""
    return str(getattr(project, "name", "") or getattr(project, "public_identifier", ""))
