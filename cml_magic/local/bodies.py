"""Request bodies CML accepts (snake_case proto names); unknown fields are ignored as
grpc-gateway does, wrong types are a 400. `environment` is a map in create requests and
JSON text in update (PATCH) bodies.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from cml_magic.local.runtimes import check_identifier


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _env_map(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        # PATCH bodies carry the resource's own type: environment as JSON text.
        if value in ("", "null"):
            return {}
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("environment must be a JSON object of strings") from None
    if not isinstance(value, dict):
        raise ValueError("environment must be an object mapping names to string values")
    # map<string, string> in CML's protos: a typed server refuses other values.
    for name, item in value.items():
        if not isinstance(item, str):
            raise ValueError(
                f"environment value of {name} must be a string, not {json.dumps(item)}"
            )
    return {str(k): v for k, v in value.items()}


class WithEnv(Body):
    environment: dict[str, str] | None = None

    @field_validator("environment", mode="before")
    @classmethod
    def _env(cls, value: Any) -> dict[str, str] | None:
        return _env_map(value)


def _arguments(value: Any) -> Any:
    """Arguments reach the script shlex-split, so they must split."""
    if isinstance(value, str):
        try:
            shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"arguments cannot be split like a shell line: {exc}") from None
    return value


class CreateProject(WithEnv):
    name: str = ""
    description: str = ""
    visibility: str = ""
    template: str = ""
    default_project_engine_type: str = ""
    shared_memory_limit: int = 0
    parent_project: str = ""
    git_url: str = ""


class UpdateProject(WithEnv):
    name: str | None = None
    description: str | None = None
    visibility: str | None = None
    default_engine_type: str | None = None
    shared_memory_limit: int | None = None


class JobFields(WithEnv):
    name: str | None = None
    script: str | None = None
    cpu: float | None = None
    memory: float | None = None
    nvidia_gpu: int | None = None
    arguments: str | None = None
    timeout: int | None = None
    schedule: str | None = None
    kernel: str | None = None
    runtime_identifier: str | None = None
    runtime_addon_identifiers: list[str] | None = None
    kill_on_timeout: bool | None = None
    timezone: str | None = None
    paused: bool | None = None
    parent_id: str | None = None
    parent_job_id: str | None = None
    attachments: list[str] | None = None
    recipients: list[dict[str, Any]] | None = None
    success_recipients: str | None = None
    failure_recipients: str | None = None
    timeout_recipients: str | None = None
    stopped_recipients: str | None = None
    retry_enabled: bool | None = None
    max_retry: int | None = None
    retry_delay: int | None = None

    _split = field_validator("arguments")(_arguments)
    _runtime = field_validator("runtime_identifier")(check_identifier)


class CreateJobRun(WithEnv):
    arguments: str | None = None

    _split = field_validator("arguments")(_arguments)


class CreateModel(Body):
    name: str = ""
    description: str = ""
    disable_authentication: bool = False
    visibility: str = ""
    auto_build_model: bool = False
    auto_deploy_model: bool = False
    auto_build_config: dict[str, Any] | None = None
    auto_deployment_config: dict[str, Any] | None = None


class UpdateModel(Body):
    name: str | None = None
    description: str | None = None
    visibility: str | None = None


class CreateBuild(Body):
    comment: str = ""
    file_path: str = ""
    function_name: str = ""
    kernel: str = ""
    runtime_identifier: str = ""
    runtime_addon_identifiers: list[str] = []
    model_root_dir: str = ""
    build_script_path: str = ""
    auto_deploy_model: bool = False
    auto_deployment_config: dict[str, Any] | None = None

    _runtime = field_validator("runtime_identifier")(check_identifier)


class CreateDeployment(WithEnv):
    cpu: float = 0
    memory: float = 0
    nvidia_gpus: int = 0
    replicas: int = 0
    deployment_secrets: dict[str, str] | None = None


class ApplicationFields(WithEnv):
    name: str | None = None
    subdomain: str | None = None
    description: str | None = None
    script: str | None = None
    cpu: float | None = None
    memory: float | None = None
    nvidia_gpu: int | None = None
    kernel: str | None = None
    bypass_authentication: bool | None = None
    runtime_identifier: str | None = None
    runtime_addon_identifiers: list[str] | None = None

    _runtime = field_validator("runtime_identifier")(check_identifier)


class ValidateKey(Body):
    audience: str = ""


class V1Start(WithEnv):
    pass
