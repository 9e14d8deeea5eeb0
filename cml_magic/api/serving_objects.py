"""The result objects of what serves requests: models, their builds and deployments, and
applications (`cml_magic.api.objects` has the others and their base, `Resource`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from cml_magic.api import statuses
from cml_magic.api.objects import Resource, ShortProject, User


@dataclass(frozen=True, slots=True, repr=False)
class Model(Resource):
    """A model (served by its deployments)."""

    kind: ClassVar[str] = "model"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "id",
        "project",
        "description",
        "auth_enabled",
        "created_at",
    )
    id: str = ""
    name: str = ""
    description: str = ""
    creator: User | None = None
    access_key: str = ""
    deletion_status: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    crn: str = ""
    auth_enabled: bool = False
    project: ShortProject | None = None
    registered_model_id: str = ""
    visibility: str = ""
    default_resources: dict[str, Any] = field(default_factory=dict)
    default_replication_policy: dict[str, Any] = field(default_factory=dict)
    run_as: int = 0
    accelerator_label_id: int = 0
    resource_group_id: int = 0
    resource_profile_id: int = 0

    @property
    def project_id(self) -> str:
        """The id of the model's project."""
        return self.project.public_identifier if self.project else ""


@dataclass(frozen=True, slots=True, repr=False)
class ModelBuild(Resource):
    """A build of a model. `project_id` is filled by the client (CML does not send it)."""

    kind: ClassVar[str] = "build"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "id",
        "status",
        "model_id",
        "file_path",
        "function_name",
        "created_at",
        "built_at",
    )
    id: str = ""
    model_id: str = ""
    project_id: str = field(default="", metadata={"json": False})
    creator: User | None = None
    comment: str = ""
    file_path: str = ""
    function_name: str = ""
    engine_image: str = ""
    kernel: str = ""
    runtime_identifier: str = ""
    runtime_addon_identifiers: tuple[str, ...] = ()
    status: str = ""
    deletion_status: str = ""
    crn: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    built_at: datetime | None = None
    registered_model_version_id: str = ""
    model_root_dir: str = ""
    build_script_path: str = ""

    @property
    def finished(self) -> bool:
        """True once the build ended (built or failed)."""
        return statuses.BUILD.is_finished(self.status)

    @property
    def succeeded(self) -> bool:
        """True when the build produced an image."""
        return statuses.BUILD.is_succeeded(self.status)


@dataclass(frozen=True, slots=True, repr=False)
class ModelDeployment(Resource):
    """A deployment of a model build."""

    kind: ClassVar[str] = "deployment"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "id",
        "status",
        "model_id",
        "build_id",
        "replicas",
        "environment",
        "created_at",
    )
    id: str = ""
    project_id: str = ""
    model_id: str = ""
    build_id: str = ""
    status: str = ""
    cpu: float = 0.0
    memory: float = 0.0
    nvidia_gpu: int = 0
    replicas: int = 0
    environment: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    stopped_at: datetime | None = None
    crn: str = ""
    deployer: User | None = None
    accelerator_label_id: int = 0
    resource_group_id: int = 0
    resource_profile_id: int = 0

    @property
    def finished(self) -> bool:
        """True once the deployment settled: deployed, failed or stopped."""
        return statuses.DEPLOYMENT.is_finished(self.status)

    @property
    def succeeded(self) -> bool:
        """True when the deployment serves requests."""
        return statuses.DEPLOYMENT.is_succeeded(self.status)


@dataclass(frozen=True, slots=True, repr=False)
class Application(Resource):
    """An application. `project_id` is filled by the client (CML does not send it)."""

    kind: ClassVar[str] = "application"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "id",
        "status",
        "subdomain",
        "script",
        "environment",
        "created_at",
    )
    id: str = ""
    project_id: str = field(default="", metadata={"json": False})
    name: str = ""
    description: str = ""
    creator: User | None = None
    script: str = ""
    subdomain: str = ""
    status: str = ""
    kernel: str = ""
    cpu: float = 0.0
    memory: float = 0.0
    nvidia_gpu: int = 0
    bypass_authentication: bool = False
    environment: dict[str, str] = field(default_factory=dict)
    runtime_identifier: str = ""
    runtime_addon_identifiers: tuple[str, ...] = ()
    run_as: int = 0
    cdv_app: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    starting_at: datetime | None = None
    running_at: datetime | None = None
    stopped_at: datetime | None = None
    accelerator_label_id: int = 0
    resource_group_id: int = 0
    resource_profile_id: int = 0

    @property
    def finished(self) -> bool:
        """True once the application is running, stopped or failed (no longer changing)."""
        return statuses.APPLICATION.is_finished(self.status)

    @property
    def succeeded(self) -> bool:
        """True when the application is running."""
        return statuses.APPLICATION.is_succeeded(self.status)
