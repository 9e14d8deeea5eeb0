"""Stored documents -> the JSON of the legacy API v1: plain JSON types (numbers as numbers,
`environment` as an object), numeric ids, lower-case run states, and the fields its callers
(cmlutils, cmlbootstrap, AMP scripts) read.
"""

from __future__ import annotations

from typing import Any

from cml_magic.local.store import Doc, Store
from cml_magic.local.timeutil import DEFAULT_TIMEZONE, ZERO_TIME


def user_number(store: Store, username: str) -> int:
    """A user's numeric id: their place in the order users were created (users stay)."""
    ordered = sorted(store.users(), key=lambda u: (u["created_at"], u["username"]))
    for number, row in enumerate(ordered, start=1):
        if row["username"] == username:
            return number
    return 0


def user(store: Store, base: str, username: str) -> dict[str, Any]:
    row = store.user(username) or {"username": username, "name": "", "email": ""}
    return {
        "id": user_number(store, username),
        "username": row["username"],
        "name": row["name"],
        "email": row["email"],
        "type": "user",
        "url": f"{base}/api/v1/users/{row['username']}",
        "html_url": f"{base}/{row['username']}",
    }


def project(store: Store, base: str, doc: Doc) -> dict[str, Any]:
    owner, slug = doc["owner"], doc["slug"]
    return {
        "id": int(doc.get("legacy_id", 0)),
        "public_identifier": doc["id"],
        "name": doc["name"],
        "slug": slug,
        "slug_raw": slug,
        "description": doc.get("description", ""),
        "project_visibility": doc.get("visibility", "private"),
        "default_project_engine_type": doc.get("default_engine_type", "ml_runtime"),
        "shared_memory_limit": int(doc.get("shared_memory_limit", 64)),
        "owner": user(store, base, owner),
        "creator": user(store, base, str(doc.get("creator") or owner)),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "url": f"{base}/api/v1/projects/{owner}/{slug}",
        "html_url": f"{base}/{owner}/{slug}",
    }


def runtime(number: int, rt: dict[str, Any]) -> dict[str, Any]:
    """A catalogue runtime as v1 lists it (camelCase, a numeric id)."""
    full = str(rt["full_version"])
    return {
        "id": number,
        "imageIdentifier": rt["image_identifier"],
        "editor": rt["editor"],
        "kernel": rt["kernel"],
        "edition": rt["edition"],
        "description": rt["description"],
        "shortVersion": full.split("-", 1)[0].rsplit(".", 1)[0],
        "fullVersion": full,
        "status": rt["status"],
        "deprecated": rt["status"] == "DEPRECATED",
    }


def run(doc: Doc | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    return {
        "id": doc["id"],
        "status": doc["status"].removeprefix("ENGINE_").lower(),
        "created_at": doc["created_at"],
        "scheduling_at": doc.get("scheduling_at", ZERO_TIME),
        "running_at": doc.get("running_at", ZERO_TIME),
        "finished_at": doc.get("finished_at", ZERO_TIME),
    }


def job(
    store: Store,
    base: str,
    proj: Doc,
    doc: Doc,
    runs: list[Doc],
    runtimes: list[dict[str, Any]],
) -> dict[str, Any]:
    """A v1 job; `runtimes` is the v1 catalogue (its numeric ids name the job's runtime)."""
    parent = store.get("job", doc["parent_id"]) if doc.get("parent_id") else None
    chosen = [r for r in runtimes if r["imageIdentifier"] == doc.get("runtime_identifier")]
    return {
        "id": doc["legacy_id"],
        "public_identifier": doc["id"],
        "name": doc["name"],
        "script": doc["script"],
        "type": doc.get("type", "manual"),
        "arguments": doc.get("arguments", ""),
        "kernel": doc.get("kernel", ""),
        "cpu": float(doc.get("cpu", 1)),
        "memory": float(doc.get("memory", 1)),
        "nvidia_gpu": int(doc.get("nvidia_gpu", 0)),
        "schedule": doc.get("schedule", ""),
        "timeout": int(doc.get("timeout", 0)),
        "timeout_kill": bool(doc.get("kill_on_timeout", True)),
        "timezone": doc.get("timezone", DEFAULT_TIMEZONE),
        "paused": bool(doc.get("paused", False)),
        "environment": dict(doc.get("environment") or {}),
        "report": {
            "attachments": list(doc.get("attachments", [])),
            "success_recipients": doc.get("success_recipients", ""),
            "failure_recipients": doc.get("failure_recipients", ""),
            "timeout_recipients": doc.get("timeout_recipients", ""),
            "stopped_recipients": doc.get("stopped_recipients", ""),
        },
        "parent": (
            {"id": parent["legacy_id"], "public_identifier": parent["id"], "name": parent["name"]}
            if parent
            else None
        ),
        "runtime": chosen[0] if chosen else None,
        "project": project(store, base, proj),
        "creator": user(store, base, str(doc.get("creator") or proj["owner"])),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "latest": run(runs[-1] if runs else None),
        "html_url": f"{base}/{proj['owner']}/{proj['slug']}/jobs/{doc['legacy_id']}",
        "url": f"{base}/api/v1/projects/{proj['owner']}/{proj['slug']}/jobs/{doc['legacy_id']}",
    }
