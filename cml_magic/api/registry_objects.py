"""The result objects of the model registry: registered models and their versions
(`cml_magic.api.objects` has the base, `Resource`, and the machinery they share).

CML names a registered model's id `model_id` and a version's `model_version_id`; both objects
also answer `.id`, as every other result object does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from cml_magic.api.objects import Resource, User

# The tags a version registered from a model build carries: where it came from, so that a
# build of the version calls the same function (`cml.registry.register_build`).
ORIGIN_MODEL = "cml.model_id"
ORIGIN_BUILD = "cml.build_id"
ORIGIN_FUNCTION = "cml.function_name"


@dataclass(frozen=True, slots=True, repr=False)
class ModelVersionMetadata(Resource):
    """Where a version came from: `mlops_type` `MLFLOW` (an experiment run: `mlflow_metadata`
    has its `experiment_id` and `run_id`) or `SIMPLE` (a project's file: `simple_metadata`)."""

    kind: ClassVar[str] = "model version metadata"
    SUMMARY: ClassVar[tuple[str, ...]] = ("mlops_type", "project_id", "owner")
    mlops_type: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    workspace_url: str = ""
    project_id: str = ""
    owner: User | None = None
    mlflow_metadata: dict[str, Any] = field(default_factory=dict)
    simple_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, repr=False)
class RegisteredModelVersion(Resource):
    """One version of a registered model (`number` counts from 1)."""

    kind: ClassVar[str] = "model version"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "model_version_id",
        "number",
        "model_id",
        "status",
        "notes",
        "tags",
        "user",
        "created_at",
    )
    model_id: str = ""
    model_version_id: str = ""
    version_name: str = ""
    number: int = 0
    notes: str = ""
    user: User | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status: str = ""
    model_version_metadata: ModelVersionMetadata | None = None
    tags: dict[str, str] = field(default_factory=dict)  # CML's `Tag` list, as a dict
    error_message: str = ""

    @property
    def id(self) -> str:
        """The version's id (`model_version_id`)."""
        return self.model_version_id

    @property
    def project_id(self) -> str:
        """The project the version was registered from."""
        meta = self.model_version_metadata
        return meta.project_id if meta else ""

    @property
    def run_id(self) -> str:
        """The experiment run the version was registered from ("" for none)."""
        meta = self.model_version_metadata
        return str(meta.mlflow_metadata.get("run_id") or "") if meta else ""

    @property
    def build_id(self) -> str:
        """The model build the version was registered from ("" for none)."""
        return self.tags.get(ORIGIN_BUILD, "")


@dataclass(frozen=True, slots=True, repr=False)
class RegisteredModel(Resource):
    """A model of the registry: a name, an owner, a visibility and numbered versions.

    A listing's models carry no versions (CML's `RegisteredModelDetails`); `get` gives them
    (`versions`), `count` says how many there are."""

    kind: ClassVar[str] = "registered model"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "model_id",
        "owner",
        "visibility",
        "count",
        "description",
        "created_at",
    )
    model_id: str = ""
    name: str = ""
    description: str = ""
    owner: User | None = None
    permission: str = ""
    visibility: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    count: int = 0
    model_versions: tuple[dict[str, Any], ...] = ()

    @property
    def id(self) -> str:
        """The registered model's id (`model_id`)."""
        return self.model_id

    @property
    def versions(self) -> tuple[RegisteredModelVersion, ...]:
        """The versions this answer holds, as objects (oldest first)."""
        found = (RegisteredModelVersion.from_json(v) for v in self.model_versions)
        return tuple(sorted(found, key=lambda v: v.number))

    @property
    def latest(self) -> RegisteredModelVersion | None:
        """The version with the highest number this answer holds (None: none)."""
        versions = self.versions
        return versions[-1] if versions else None
