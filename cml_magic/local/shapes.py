"""Stored documents -> the JSON CML answers, field for field as its Swagger definitions say.

grpc-gateway emits every field with its zero value (`""`, `0`, `false`, `[]`, zero time) and
64-bit integers as strings; these functions do the same and emit no other field.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from cml_magic.local.store import Doc, Store
from cml_magic.local.timeutil import DEFAULT_TIMEZONE, ZERO_TIME


class Users(Protocol):
    """Where shapes look users up: the `Store`, or `RememberedUsers` over it."""

    def user(self, username: str) -> dict[str, str] | None: ...


class RememberedUsers:
    """The store's users, each looked up once: a listing names the same few users per item."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._found: dict[str, dict[str, str] | None] = {}

    def user(self, username: str) -> dict[str, str] | None:
        if username not in self._found:
            self._found[username] = self._store.user(username)
        return self._found[username]


def int64(value: Any) -> str:
    return str(int(value or 0))


def env_text(env: dict[str, str] | None) -> str:
    """`environment` in responses is JSON text; `"null"` when none was given."""
    return json.dumps(env) if env is not None else "null"


def job_env_text(env: dict[str, str] | None) -> str:
    """A job's `environment`: `""` when it has none, as saved real answers show (a run's
    is `"null"` then, see `env_text`)."""
    return json.dumps(env) if env else ""


def short_user(store: Users, username: str | None) -> dict[str, str]:
    user = store.user(username) if username else None
    if user is None:
        return {"username": username or "", "name": "", "email": ""}
    return {"username": user["username"], "name": user["name"], "email": user["email"]}


def short_project(project: Doc) -> dict[str, str]:
    return {
        "public_identifier": project["id"],
        "name": project["name"],
        "default_project_engine": project.get("default_engine_type", "ml_runtime"),
        "slug": project["slug"],
    }


def project(store: Users, doc: Doc, username: str) -> dict[str, Any]:
    owner = doc["owner"] == username
    return {
        "id": doc["id"],
        "name": doc["name"],
        "owner": short_user(store, doc["owner"]),
        "creator": short_user(store, doc.get("creator", doc["owner"])),
        "description": doc.get("description", ""),
        "visibility": doc.get("visibility", "private"),
        "default_engine_type": doc.get("default_engine_type", "ml_runtime"),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "creation_status": "success",
        "permissions": {
            "read": True,
            "write": owner,
            "admin": owner,
            "business_user": False,
            "operator": owner,
            "inherit": False,
        },
        "shared_memory_limit": int(doc.get("shared_memory_limit", 64)),
        "environment": env_text(doc.get("environment") or {}),
        "ephemeral_storage_request": 0,
        "ephemeral_storage_limit": 0,
        "slug": doc["slug"],
    }


def job(store: Users, doc: Doc, proj: Doc) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "cpu": float(doc.get("cpu", 1)),
        "created_at": doc["created_at"],
        "creator": short_user(store, doc.get("creator")),
        "engine_image_id": "0",
        "english_schedule": doc.get("english_schedule", ""),
        "arguments": doc.get("arguments", ""),
        "type": doc.get("type", "manual"),
        "kernel": doc.get("kernel", ""),
        "memory": float(doc.get("memory", 1)),
        "name": doc["name"],
        "parent_id": doc.get("parent_id", ""),
        "paused": bool(doc.get("paused", False)),
        "schedule": doc.get("schedule", ""),
        "script": doc["script"],
        "timeout": int64(doc.get("timeout", 0)),
        "timezone": doc.get("timezone", DEFAULT_TIMEZONE),
        "updated_at": doc["updated_at"],
        "environment": job_env_text(doc.get("environment")),
        "nvidia_gpu": int(doc.get("nvidia_gpu", 0)),
        "runtime_identifier": doc.get("runtime_identifier", ""),
        "runtime_addon_identifiers": list(doc.get("runtime_addon_identifiers", [])),
        "kill_on_timeout": bool(doc.get("kill_on_timeout", True)),
        "project": short_project(proj),
        "owner": short_user(store, doc.get("creator")),
        "run_as": int(doc.get("run_as", 0)),
        "accelerator_label_id": int64(doc.get("accelerator_label_id", 0)),
        "retry_enabled": bool(doc.get("retry_enabled", False)),
        "max_retry": int(doc.get("max_retry", 0)),
        "retry_delay": int(doc.get("retry_delay", 0)),
        "retry_for_script_failure": bool(doc.get("retry_for_script_failure", False)),
        "retry_for_system_failure": bool(doc.get("retry_for_system_failure", False)),
        "retry_for_timedout_runs": bool(doc.get("retry_for_timedout_runs", False)),
        "retry_for_skipped_runs": bool(doc.get("retry_for_skipped_runs", False)),
        "recipients": [recipient(r) for r in doc.get("recipients", [])],
        "attachments": list(doc.get("attachments", [])),
        "success_recipients": doc.get("success_recipients", ""),
        "failure_recipients": doc.get("failure_recipients", ""),
        "timeout_recipients": doc.get("timeout_recipients", ""),
        "stopped_recipients": doc.get("stopped_recipients", ""),
        "resource_group_id": int(doc.get("resource_group_id", 0)),
        "resource_profile_id": int(doc.get("resource_profile_id", 0)),
    }


def recipient(doc: Doc) -> dict[str, Any]:
    return {
        "email": str(doc.get("email", "")),
        "notify_on_success": bool(doc.get("notify_on_success", False)),
        "notify_on_failure": bool(doc.get("notify_on_failure", False)),
        "notify_on_timeout": bool(doc.get("notify_on_timeout", False)),
        "notify_on_stop": bool(doc.get("notify_on_stop", False)),
    }


def job_run(store: Users, doc: Doc) -> dict[str, Any]:
    return {
        "project_id": doc["project_id"],
        "job_id": doc["job_id"],
        "status": doc["status"],
        "id": doc["id"],
        "created_at": doc["created_at"],
        "scheduling_at": doc.get("scheduling_at", ZERO_TIME),
        "starting_at": doc.get("starting_at", ZERO_TIME),
        "running_at": doc.get("running_at", ZERO_TIME),
        "finished_at": doc.get("finished_at", ZERO_TIME),
        "kernel": doc.get("kernel", ""),
        "cpu": float(doc.get("cpu", 1)),
        "memory": float(doc.get("memory", 1)),
        "nvidia_gpu": int(doc.get("nvidia_gpu", 0)),
        "arguments": doc.get("arguments", ""),
        "environment": env_text(doc.get("environment")),
        "creator": short_user(store, doc.get("creator")),
        "runtime_identifier": doc.get("runtime_identifier", ""),
        "resource_group_id": 0,
    }


def model(store: Users, doc: Doc, proj: Doc) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "name": doc["name"],
        "description": doc.get("description", ""),
        "creator": short_user(store, doc.get("creator")),
        "access_key": doc["access_key"],
        "deletion_status": "",
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "crn": doc["crn"],
        "auth_enabled": bool(doc.get("auth_enabled", True)),
        "project": short_project(proj),
        "registered_model_id": doc.get("registered_model_id", ""),
        "visibility": doc.get("visibility", ""),
        "default_resources": {
            "cpu_millicores": int64(doc.get("cpu_millicores", 1000)),
            "memory_mb": int64(doc.get("memory_mb", 2048)),
            "nvidia_gpus": int64(0),
        },
        "default_replication_policy": {
            "num_replicas": int64(doc.get("num_replicas", 1)),
            "type": "fixed",
        },
        "run_as": int(doc.get("run_as", 0)),
        "accelerator_label_id": int64(0),
        "resource_group_id": 0,
        "resource_profile_id": 0,
    }


def model_build(store: Users, doc: Doc) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "model_id": doc["model_id"],
        "creator": short_user(store, doc.get("creator")),
        "comment": doc.get("comment", ""),
        "file_path": doc["file_path"],
        "function_name": doc["function_name"],
        "engine_image": "",
        "kernel": doc.get("kernel", ""),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "status": doc["status"],
        "deletion_status": "",
        "crn": doc["crn"],
        "built_at": doc.get("built_at", ZERO_TIME),
        "runtime_identifier": doc.get("runtime_identifier", ""),
        "runtime_addon_identifiers": list(doc.get("runtime_addon_identifiers", [])),
        "registered_model_version_id": doc.get("registered_model_version_id", ""),
        "model_root_dir": doc.get("model_root_dir", ""),
        "build_script_path": doc.get("build_script_path", ""),
    }


def model_deployment(store: Users, doc: Doc) -> dict[str, Any]:
    return {
        "project_id": doc["project_id"],
        "model_id": doc["model_id"],
        "build_id": doc["build_id"],
        "id": doc["id"],
        "cpu": float(doc.get("cpu", 1)),
        "memory": float(doc.get("memory", 2)),
        "nvidia_gpu": int(doc.get("nvidia_gpu", 0)),
        "environment": env_text(doc.get("environment") or {}),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "stopped_at": doc.get("stopped_at", ZERO_TIME),
        "crn": doc["crn"],
        "deployer": short_user(store, doc.get("creator")),
        "status": doc["status"],
        "replicas": int(doc.get("replicas", 1)),
        "accelerator_label_id": int64(0),
        "resource_group_id": 0,
        "resource_profile_id": 0,
    }


def application(store: Users, doc: Doc) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "name": doc["name"],
        "description": doc.get("description", ""),
        "creator": short_user(store, doc.get("creator")),
        "script": doc["script"],
        "subdomain": doc.get("subdomain", ""),
        "status": doc["status"],
        "created_at": doc["created_at"],
        "stopped_at": doc.get("stopped_at", ZERO_TIME),
        "updated_at": doc["updated_at"],
        "starting_at": doc.get("starting_at", ZERO_TIME),
        "running_at": doc.get("running_at", ZERO_TIME),
        "kernel": doc.get("kernel", ""),
        "cpu": float(doc.get("cpu", 1)),
        "memory": float(doc.get("memory", 1)),
        "nvidia_gpu": int(doc.get("nvidia_gpu", 0)),
        "bypass_authentication": bool(doc.get("bypass_authentication", False)),
        "environment": env_text(doc.get("environment") or {}),
        "runtime_identifier": doc.get("runtime_identifier", ""),
        "runtime_addon_identifiers": list(doc.get("runtime_addon_identifiers", [])),
        "run_as": int(doc.get("run_as", 0)),
        "cdv_app": bool(doc.get("cdv_app", False)),
        "accelerator_label_id": int64(0),
        "resource_group_id": 0,
        "resource_profile_id": 0,
    }


def file_info(path: str, is_dir: bool, size: int) -> dict[str, Any]:
    return {"path": path, "is_dir": is_dir, "file_size": "0" if is_dir else int64(size)}
