"""Stored experiments and experiment runs -> the JSON CML answers (`Experiment`,
`ExperimentRun`, `Metric`), every field with its zero value as grpc-gateway sends it."""

from __future__ import annotations

from typing import Any

from cml_magic.local.metric_store import Point
from cml_magic.local.shapes import Users, int64, short_user
from cml_magic.local.store import Doc
from cml_magic.local.timeutil import ZERO_TIME


def tags(values: dict[str, str] | None) -> list[dict[str, str]]:
    """`{key: value}` -> `[{"key", "value"}]`, in the order they were first logged."""
    return [{"key": k, "value": v} for k, v in (values or {}).items()]


def metric(point: Point) -> dict[str, Any]:
    key, value, step, when = point
    return {"key": key, "value": value, "timestamp": when, "step": int64(step)}


def experiment(users: Users, doc: Doc) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "project_id": doc["project_id"],
        "name": doc["name"],
        "artifact_location": doc.get("artifact_location", ""),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "tags": tags(doc.get("tags")),
        "lifecycle_stage": doc.get("lifecycle_stage", "active"),
        "user": short_user(users, doc.get("creator")),
    }


def run(users: Users, doc: Doc, latest: list[Point]) -> dict[str, Any]:
    """A run with the latest value of each of its metrics (`latest`, from `metric_store`)."""
    return {
        "id": doc["id"],
        "name": doc.get("name", ""),
        "experiment_id": doc["experiment_id"],
        "user": short_user(users, doc.get("creator")),
        "status": doc.get("status", "EXPERIMENT_RUN_RUNNING"),
        "start_time": doc.get("start_time") or ZERO_TIME,
        "end_time": doc.get("end_time") or ZERO_TIME,
        "artifact_uri": doc.get("artifact_uri", ""),
        "data": {
            "metrics": [metric(p) for p in latest],
            "params": tags(doc.get("params")),
            "tags": tags(doc.get("tags")),
            "files": [],
            "registered_model_metadata": [],
        },
        "inputs": {"dataset_inputs": []},
    }
