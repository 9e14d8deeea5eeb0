"""Stored registry documents -> the JSON CML answers (`RegisteredModel`,
`RegisteredModelDetails`, `RegisteredModelVersion`), field for field as its Swagger
definitions say, every field present with its zero value (as `shapes`)."""

from __future__ import annotations

from typing import Any

from cml_magic.local.shapes import Users, short_user
from cml_magic.local.store import Doc


def _tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [{"key": str(t.get("key", "")), "value": str(t.get("value", ""))} for t in tags or ()]


def _details(users: Users, doc: Doc, username: str, count: int) -> dict[str, Any]:
    return {
        "model_id": doc["id"],
        "name": doc["name"],
        "description": doc.get("description", ""),
        "owner": short_user(users, doc["owner"]),
        # What the caller may do with it: its owner changes it, others (public) read it.
        "permission": "write" if doc["owner"] == username else "read",
        "visibility": doc.get("visibility") or "PRIVATE",
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "count": count,
        "next_page_token": "",
    }


def registered_model_details(users: Users, doc: Doc, username: str, count: int) -> dict[str, Any]:
    """A model of a listing: no versions, only how many there are."""
    return _details(users, doc, username, count)


def registered_model(
    users: Users,
    doc: Doc,
    username: str,
    count: int,
    versions: list[dict[str, Any]],
    token: str = "",
) -> dict[str, Any]:
    """A model with one page of its (already shaped) versions."""
    found = _details(users, doc, username, count)
    found["model_versions"] = versions
    found["next_page_token"] = token
    return found


def model_version(users: Users, doc: Doc) -> dict[str, Any]:
    """One version: from an experiment run an `MLFLOW` one, from a project file `SIMPLE`."""
    from_run = bool(doc.get("run_id"))
    tags = _tags(doc.get("tags"))
    empty: dict[str, Any] = {"metrics": [], "params": [], "tags": []}
    return {
        "model_id": doc["model_id"],
        "model_version_id": doc["id"],
        "version_name": f"v{doc['number']}",
        "number": int(doc["number"]),
        "notes": doc.get("notes", ""),
        "user": short_user(users, doc.get("creator")),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "status": "REGISTERED",
        "model_version_metadata": {
            "mlops_type": "MLFLOW" if from_run else "SIMPLE",
            "tags": tags,
            "workspace_url": doc.get("workspace_url", ""),
            "project_id": doc.get("project_id", ""),
            "owner": short_user(users, doc.get("project_owner")),
            "mlflow_metadata": {
                "experiment_id": doc.get("experiment_id", ""),
                "run_id": doc.get("run_id", ""),
                **empty,
            },
            "simple_metadata": {"git_url": "", "commit_id": "", **empty},
        },
        "tags": tags,
        "error_message": "",
    }
