"""Request bodies CML accepts (snake_case proto names); unknown fields are ignored as
grpc-gateway does, wrong types are a 400. `environment` is a map in create requests and
JSON text in update (PATCH) bodies.

Every text anywhere in a body is checked before a route sees it (no NUL, no lone surrogate,
length limits: see `validate`), and numbers are finite and in range, so nothing a route stores
can later break an answer.
"""

from __future__ import annotations

import json
import shlex
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from cml_magic.local import validate
from cml_magic.local.runtimes import check_identifier


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        problem = validate.strings_problem(data)
        if problem:
            raise ValueError(problem)
        return data


def _path(value: str) -> str:
    problem = validate.path_problem(value)
    if problem:
        raise ValueError(f"path {validate.quote(value)} {problem}")
    return value


def _timezone(value: str) -> str:
    problem = validate.timezone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Name = Annotated[str, Field(max_length=validate.NAME_MAX)]
ProjectPath = Annotated[str, AfterValidator(_path)]
Timezone = Annotated[str, AfterValidator(_timezone)]
Cpu = Annotated[float, Field(ge=0, le=validate.MAX_CPU, allow_inf_nan=False)]
Memory = Annotated[float, Field(ge=0, le=validate.MAX_MEMORY_GIB, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=validate.MAX_COUNT)]
Seconds = Annotated[int, Field(le=validate.INT64_MAX, ge=-validate.INT64_MAX)]
Amount = Annotated[int, Field(ge=0, le=validate.INT64_MAX)]


def _env_map(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        # PATCH bodies carry the resource's own type: environment as JSON text.
        if value in ("", "null"):
            return {}
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise ValueError("environment must be a JSON object of strings") from None
    if not isinstance(value, dict):
        raise ValueError("environment must be an object mapping names to string values")
    # map<string, string> in CML's protos: a typed server refuses other values.
    for name, item in value.items():
        if problem := validate.env_name_problem(str(name)):
            raise ValueError(problem)
        if not isinstance(item, str):
            shown = validate.quote(json.dumps(item))
            raise ValueError(f"environment value of {name} must be a string, not {shown}")
    # JSON text was not seen by the body's own check: its escapes can hold NUL or surrogates.
    if problem := validate.strings_problem(value, "environment"):
        raise ValueError(problem)
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
    name: Name = ""
    description: str = ""
    visibility: str = ""
    template: str = ""
    default_project_engine_type: str = ""
    shared_memory_limit: Amount = 0
    parent_project: str = ""
    git_url: str = ""


class UpdateProject(WithEnv):
    name: Name | None = None
    description: str | None = None
    visibility: str | None = None
    default_engine_type: str | None = None
    shared_memory_limit: Amount | None = None


class JobFields(WithEnv):
    name: Name | None = None
    script: ProjectPath | None = None
    cpu: Cpu | None = None
    memory: Memory | None = None
    nvidia_gpu: Count | None = None
    arguments: str | None = None
    timeout: Seconds | None = None
    schedule: Name | None = None
    kernel: Name | None = None
    runtime_identifier: str | None = None
    runtime_addon_identifiers: list[str] | None = None
    kill_on_timeout: bool | None = None
    timezone: Timezone | None = None
    paused: bool | None = None
    parent_id: Name | None = None
    parent_job_id: Name | None = None
    attachments: list[str] | None = None
    recipients: list[dict[str, Any]] | None = None
    success_recipients: str | None = None
    failure_recipients: str | None = None
    timeout_recipients: str | None = None
    stopped_recipients: str | None = None
    retry_enabled: bool | None = None
    max_retry: Amount | None = None
    retry_delay: Amount | None = None

    _split = field_validator("arguments")(_arguments)
    _runtime = field_validator("runtime_identifier")(check_identifier)


class CreateJobRun(WithEnv):
    arguments: str | None = None

    _split = field_validator("arguments")(_arguments)


def _config(model: type[Body], value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A nested configuration is checked with the request, before anything is stored."""
    if value is not None:
        model.model_validate(value)
    return value


class CreateModel(Body):
    name: Name = ""
    description: str = ""
    disable_authentication: bool = False
    visibility: str = ""
    registered_model_id: Name = ""
    auto_build_model: bool = False
    auto_deploy_model: bool = False
    auto_build_config: dict[str, Any] | None = None
    auto_deployment_config: dict[str, Any] | None = None

    @field_validator("auto_build_config")
    @classmethod
    def _build(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _config(CreateBuild, value)

    @field_validator("auto_deployment_config")
    @classmethod
    def _deployment(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _config(CreateDeployment, value)


class UpdateModel(Body):
    name: Name | None = None
    description: str | None = None
    visibility: str | None = None


class CreateBuild(Body):
    comment: str = ""
    file_path: ProjectPath = ""
    function_name: Name = ""
    kernel: Name = ""
    runtime_identifier: str = ""
    runtime_addon_identifiers: list[str] = []
    model_root_dir: ProjectPath = ""
    build_script_path: ProjectPath = ""
    registered_model_version_id: Name = ""
    auto_deploy_model: bool = False
    auto_deployment_config: dict[str, Any] | None = None

    _runtime = field_validator("runtime_identifier")(check_identifier)

    @field_validator("auto_deployment_config")
    @classmethod
    def _deployment(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _config(CreateDeployment, value)


class CreateDeployment(WithEnv):
    cpu: Cpu = 0
    memory: Memory = 0
    nvidia_gpus: Count = 0
    replicas: Count = 0
    deployment_secrets: dict[str, str] | None = None


class ApplicationFields(WithEnv):
    name: Name | None = None
    subdomain: Name | None = None
    description: str | None = None
    script: ProjectPath | None = None
    cpu: Cpu | None = None
    memory: Memory | None = None
    nvidia_gpu: Count | None = None
    kernel: Name | None = None
    bypass_authentication: bool | None = None
    runtime_identifier: str | None = None
    runtime_addon_identifiers: list[str] | None = None

    _runtime = field_validator("runtime_identifier")(check_identifier)


class ValidateKey(Body):
    audience: str = ""


class V1Start(WithEnv):
    pass
