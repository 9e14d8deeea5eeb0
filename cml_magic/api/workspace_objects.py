"""The result objects of the workspace and its users: API keys (`ApiKey`, and `NewApiKey`, the
one answer that holds a key; `KeyCheck`, a key checked), usage records, workloads and their
executions.

Field names are CML's JSON names (`V2KeyDetails`, `CreateV2KeyResponse`, `UsageResponse`,
`WorkloadDetails`, `ExecutionDetails`); `cml_magic.api.objects` has the machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from cml_magic.api import statuses
from cml_magic.api.objects import Resource


@dataclass(frozen=True, slots=True, repr=False)
class ApiKey(Resource):
    """`V2KeyDetails`: one of a user's v2 keys, without the key (`key_id` names it)."""

    kind: ClassVar[str] = "api_key"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "key_id",
        "comments",
        "audiences",
        "created_at",
        "expiry_date",
    )
    key_id: str = ""
    created_at: datetime | None = None
    expiry_date: datetime | None = None  # None: it never expires
    comments: str = ""
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, repr=False)
class NewApiKey(ApiKey):
    """`CreateV2KeyResponse`: a key just made. `api_key` is the key itself, the one time CML
    sends it; no display shows it (nor any piece of it: the client's masking knows it)."""

    kind: ClassVar[str] = "new_api_key"
    api_key: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True, repr=False)
class UsageRecord(Resource):
    """`UsageResponse`: one workload run (a job run, an application, a deployment, a session)
    and what it used; `duration` in seconds."""

    kind: ClassVar[str] = "usage"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "workload_type",
        "status",
        "project_name",
        "creator",
        "cpu",
        "memory",
        "duration",
    )
    id: str = ""
    name: str = ""
    creator: str = ""
    group: str = ""
    project_name: str = ""
    cpu: float = 0.0
    memory: float = 0.0
    nvidia_gpu: float = 0.0
    workload_type: str = ""
    created_at: datetime | None = None
    duration: int = 0
    status: str = ""
    workload_url: str = ""
    message: str = ""
    oom_killed: bool = False


@dataclass(frozen=True, slots=True, repr=False)
class WorkloadProject(Resource):
    """`ProjectDetails`: the project of a workload."""

    kind: ClassVar[str] = "workload_project"
    SUMMARY: ClassVar[tuple[str, ...]] = ("name",)
    id: int = 0
    crn: str = ""
    name: str = ""
    created_by_name: str = ""


@dataclass(frozen=True, slots=True, repr=False)
class Workload(Resource):
    """`WorkloadDetails`: what is started again and again (a job, an application, a model)."""

    kind: ClassVar[str] = "workload"
    SUMMARY: ClassVar[tuple[str, ...]] = ("workload_name", "workload_type", "creator_user_name")
    workload_crn: str = ""
    workload_name: str = ""
    workload_type: str = ""
    create_time: datetime | None = None
    creator_user_name: str = ""
    project: WorkloadProject | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True, repr=False)
class WorkloadExecution(Resource):
    """`ExecutionDetails`: one start of a workload (a run, an application's life, a
    deployment), with its `workload` (from the same answer; the client joins them by CRN)."""

    kind: ClassVar[str] = "workload_execution"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "status",
        "start_time",
        "end_time",
        "allocated_cpu_cores",
        "allocated_memory_gb",
    )
    workload_crn: str = ""
    workload_execution_crn: str = ""
    parent_workload_execution_crn: str = ""
    pod_name: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None  # None while it runs
    allocated_cpu_cores: float = 0.0
    allocated_memory_gb: float = 0.0
    allocated_gpu_cores: float = 0.0
    status: str = ""
    failure_reason: str = ""
    run_as_user_name: str = ""
    requested_replicas: int = 0
    workload: Workload | None = None

    @property
    def name(self) -> str:
        """The workload's name (its CRN when the answer did not describe it)."""
        return self.workload.workload_name if self.workload else self.workload_crn

    @property
    def active(self) -> bool:
        """Whether it runs now: not ended (a running application or a serving deployment is)."""
        return self.end_time is None and not statuses.ended(self.status)


@dataclass(frozen=True, slots=True, repr=False)
class KeyCheck(Resource):
    """The answer of `POST /api/v2/auth/validate_key`."""

    kind: ClassVar[str] = "key"
    SUMMARY: ClassVar[tuple[str, ...]] = ("valid", "username", "message")
    valid: bool = False
    username: str = ""
    message: str = ""
