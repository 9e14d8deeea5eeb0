"""The result objects of runs: one run of a job (`JobRun`) and the runtime images runs use
(`Runtime`); `cml_magic.api.objects` has the machinery.

Field names are CML's JSON names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from cml_magic.api.objects import Resource, User


@dataclass(frozen=True, slots=True, repr=False)
class JobRun(Resource):
    """One run of a job (CML's engine). `job_name` is filled by the client where it knows the
    name (the job was given by name to this client); CML sends only `job_id`."""

    kind: ClassVar[str] = "run"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "id",
        "status",
        "job_id",
        "project_id",
        "arguments",
        "environment",
        "created_at",
        "finished_at",
    )
    id: str = ""
    project_id: str = ""
    job_id: str = ""
    status: str = ""
    created_at: datetime | None = None
    scheduling_at: datetime | None = None
    starting_at: datetime | None = None
    running_at: datetime | None = None
    finished_at: datetime | None = None
    kernel: str = ""
    cpu: float = 0.0
    memory: float = 0.0
    nvidia_gpu: int = 0
    arguments: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    creator: User | None = None
    runtime_identifier: str = ""
    resource_group_id: int = 0
    job_name: str = field(default="", compare=False, metadata={"json": False})

    @property
    def finished(self) -> bool:
        """True once the run stopped for good (succeeded, failed, timed out, stopped, skipped)."""
        from cml_magic.api import statuses  # loaded on first use: a listing never asks

        return statuses.RUN.is_finished(self.status)

    @property
    def succeeded(self) -> bool:
        """True when the run finished successfully."""
        from cml_magic.api import statuses

        return statuses.RUN.is_succeeded(self.status)


@dataclass(frozen=True, slots=True, repr=False)
class Runtime(Resource):
    """A runtime image; `image_identifier` is its id."""

    kind: ClassVar[str] = "runtime"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "image_identifier",
        "editor",
        "kernel",
        "edition",
        "full_version",
        "status",
    )
    image_identifier: str = ""
    editor: str = ""
    kernel: str = ""
    edition: str = ""
    description: str = ""
    full_version: str = ""
    status: str = ""
    register_user_id: int = 0
