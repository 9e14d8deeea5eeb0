"""`cml.registry`: the model registry of the workspace: list, get, create (register), update
and delete registered models; get, update and delete their versions; register a model build
or an experiment run's model as a new version.

How CML models it: one request registers (`POST /api/v2/registry/models`,
`CreateRegisteredModelRequest`). When no model of that `model_name` exists it is created with
version 1; when one does, the request adds the next version to it. A version is an artifact of
a project (`project_id`, `model_path`), taken from an experiment run (`experiment_id`,
`run_id`: an `MLFLOW` version) or from the project's files (a `SIMPLE` version); `notes` and
`tags` belong to the version, `description` and `visibility` to the model. Deploying from the
registry is a model whose `registered_model_id` names the registered model and a build whose
`registered_model_version_id` names the version (`cml.models.create(...,
registered_model=...)`, `cml.builds.create(..., registered_model_version=...)`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from cml_magic.api import paths
from cml_magic.api.collection import Collection, ListOptions
from cml_magic.api.convert import set_fields
from cml_magic.api.errors import NotFoundError
from cml_magic.api.names import exactly_one, is_numeric
from cml_magic.api.objects import Listing
from cml_magic.api.paging import MAX_PAGE_SIZE, as_received, iterate
from cml_magic.api.registry_objects import (
    ORIGIN_BUILD,
    ORIGIN_FUNCTION,
    ORIGIN_MODEL,
    RegisteredModel,
    RegisteredModelVersion,
)

if TYPE_CHECKING:
    from typing import Unpack

    from cml_magic.api.serving_objects import ModelBuild

Tags = Mapping[str, str] | Sequence[Mapping[str, str]]
ModelRef = RegisteredModel | str
VersionRef = RegisteredModelVersion | str | int
VISIBILITIES = ("PRIVATE", "PUBLIC")


def tag_list(tags: Tags | None) -> list[dict[str, str]] | None:
    """`{"k": "v"}` (or CML's own `[{"key": "k", "value": "v"}]`) -> CML's `Tag` list."""
    if tags is None:
        return None
    if isinstance(tags, Mapping):
        return [{"key": str(k), "value": str(v)} for k, v in tags.items()]
    return [{"key": str(t["key"]), "value": str(t.get("value", ""))} for t in tags]


def visibility_of(value: str | None) -> str | None:
    """`"public"` -> `"PUBLIC"`; ValueError (nothing sent) for anything but the spec's two."""
    if value is None:
        return None
    if value.upper() not in VISIBILITIES:
        raise ValueError(f"visibility must be PRIVATE or PUBLIC, not {value!r}")
    return value.upper()


def version_number(ref: str | int) -> int | None:
    """The version number `ref` names (`3`, `"3"`, `"v3"`), or None for an id."""
    text = str(ref)
    text = text[1:] if text[:1] in ("v", "V") and text[1:].isdigit() else text
    return int(text) if is_numeric(text) else None


class Registry(Collection[RegisteredModel]):
    """The registered models of the workspace (not of a project): by id or name. Each
    version is an id, or its number (`3`, `"v3"`) within its model."""

    _item = RegisteredModel
    key = "models"
    segment = "registry/models"
    parents = ()
    searched = "model_name"

    # -- models --------------------------------------------------------------------------

    def _find(self, name: str, *parent_ids: str) -> RegisteredModel:
        found = self._pages((), {"search_filter": {"model_name": name}})
        return exactly_one(self._item.kind, name, found, self._describe)

    def _describe(self, item: RegisteredModel) -> dict[str, str]:
        owner = item.owner.username if item.owner else ""
        return {"id": item.model_id, "owner": owner}

    def iter(self, **options: Unpack[ListOptions]) -> Iterator[RegisteredModel]:
        """Every registered model the caller can see (own and public ones), lazily, page by
        page (`search=` matches part of the name; `search_filter={"creator_id": "alice"}`)."""
        return self._pages((), options)

    def list(self, **options: Unpack[ListOptions]) -> Listing[RegisteredModel]:
        """Every registered model the caller can see, as a list (see `iter`); listed models
        carry no versions (`versions()` lists them)."""
        return self._listing(self._json_pages((), options))

    def get(self, ref: ModelRef) -> RegisteredModel:
        """One registered model, by id or name, with every version (`.versions`)."""
        model_id = self.resolve(ref)
        answer = self._cml.transport.request(
            "GET", self._path((), model_id), params={"page_size": MAX_PAGE_SIZE}
        )
        return self._made(answer, ())

    def _refresh(self, item: RegisteredModel, project: str | None = None) -> RegisteredModel:
        return self.get(item.model_id)

    def resolve(self, ref: ModelRef) -> str:
        """The id of a registered model (a `RegisteredModel`, an id or a name)."""
        if isinstance(ref, RegisteredModel):
            return ref.model_id
        return self._resolve(ref)

    def create(
        self,
        name: str,
        model_path: str,
        project: str | None = None,
        *,
        experiment_id: str | None = None,
        run_id: str | None = None,
        description: str | None = None,
        notes: str | None = None,
        tags: Tags | None = None,
        visibility: str | None = None,
    ) -> RegisteredModel:
        """Register `model_path` of `project` as model `name` (CML's
        `CreateRegisteredModelRequest`): a new model with version 1, or the next version of
        the model of that name. With `experiment_id` and `run_id`, `model_path` is the model's
        artifact of that experiment run. Sent once, never retried."""
        visibility = visibility_of(visibility)
        body = {
            "project_id": self._cml.projects.resolve(project),
            "model_name": name,
            "model_path": model_path,
            "experiment_id": experiment_id,
            "run_id": run_id,
            "description": description,
            "notes": notes,
            "tags": tag_list(tags),
            "visibility": visibility,
        }
        return self._call("POST", (), body=set_fields(body))

    def register_build(
        self,
        name: str,
        build: ModelBuild | str,
        model: str | None = None,
        project: str | None = None,
        *,
        description: str | None = None,
        notes: str | None = None,
        tags: Tags | None = None,
        visibility: str | None = None,
    ) -> RegisteredModelVersion:
        """Register a built model build (a `ModelBuild`, or its id with `model`) as a new
        version of `name`: its file (`model_path`), with tags naming the model, the build and
        its function (`cml.model_id`, `cml.build_id`, `cml.function_name`), so that a build of
        the version answers with the same function. Answers the new version."""
        if isinstance(build, str):
            if not model:
                raise TypeError("register_build needs model= with a build id")
            build = self._cml.builds.get(build, model, project=project)
        origin = {
            ORIGIN_MODEL: build.model_id,
            ORIGIN_BUILD: build.id,
            ORIGIN_FUNCTION: build.function_name,
        }
        registered = self.create(
            name,
            build.file_path,
            build.project_id or project,
            description=description,
            notes=notes,
            tags=[*(tag_list(tags) or ()), *(tag_list(origin) or ())],
            visibility=visibility,
        )
        return self.newest_version(registered)

    def register_run(
        self,
        name: str,
        experiment: str,
        run: str,
        model_path: str,
        project: str | None = None,
        *,
        description: str | None = None,
        notes: str | None = None,
        tags: Tags | None = None,
        visibility: str | None = None,
    ) -> RegisteredModelVersion:
        """Register the model `model_path` of an experiment run (ids, or objects with `.id`)
        as a new version of `name`; answers the new version."""
        registered = self.create(
            name,
            model_path,
            project,
            experiment_id=str(getattr(experiment, "id", experiment)),
            run_id=str(getattr(run, "id", run)),
            description=description,
            notes=notes,
            tags=tags,
            visibility=visibility,
        )
        return self.newest_version(registered)

    def newest_version(self, ref: ModelRef) -> RegisteredModelVersion:
        """The version with the highest number: after a registration, the one it added. A
        `RegisteredModel` holding all its versions is answered from; else they are listed."""
        versions: Sequence[RegisteredModelVersion] = ()
        if isinstance(ref, RegisteredModel):
            versions = ref.versions
        if not isinstance(ref, RegisteredModel) or len(versions) < ref.count:
            versions = self.versions(ref)
        found = max(versions, key=lambda v: v.number, default=None)
        if found is None:
            name = ref.name if isinstance(ref, RegisteredModel) else ref
            raise NotFoundError(f"registered model {name} has no version")
        return found

    def update(
        self, ref: ModelRef, *, description: str | None = None, visibility: str | None = None
    ) -> RegisteredModel:
        """Change a registered model's description or visibility (`PRIVATE`, `PUBLIC`)."""
        visibility = visibility_of(visibility)
        body = {
            "model_id": self.resolve(ref),
            "description": description,
            "visibility": visibility,
        }
        return self._call("PATCH", (), body=set_fields(body))

    def delete(self, ref: ModelRef) -> None:
        """Delete a registered model and every version of it (deployments made from it keep
        serving)."""
        self._delete((), self.resolve(ref))

    # -- versions ------------------------------------------------------------------------

    def _versions_path(self, model_id: str, version_id: str | None = None) -> str:
        path = f"{paths.V2}/registry/models/{paths.seg(model_id)}"
        return path if version_id is None else f"{path}/versions/{paths.seg(version_id)}"

    def versions(
        self, ref: ModelRef, **options: Unpack[ListOptions]
    ) -> Listing[RegisteredModelVersion]:
        """Every version of a registered model, page by page (`search_filter=
        {"version_number": "3"}` or `{"creator_id": "alice"}`, `sort="-created_at"`)."""
        found = iterate(
            self._cml.transport,
            self._versions_path(self.resolve(ref)),
            "model_versions",
            as_received,
            page_size=options.get("page_size"),
            search_filter=options.get("search_filter"),
            sort=options.get("sort"),
            limit=options.get("limit"),
        )
        return Listing(RegisteredModelVersion, found)

    def get_version(self, model: ModelRef, version: VersionRef) -> RegisteredModelVersion:
        """One version: a `RegisteredModelVersion`, its id, or its number (`3`, `"v3"`)."""
        model_id, version_id = self._version_ids(model, version)
        answer = self._cml.transport.request("GET", self._versions_path(model_id, version_id))
        return RegisteredModelVersion.from_json(answer)

    def update_version(
        self,
        model: ModelRef,
        version: VersionRef,
        *,
        notes: str | None = None,
        tags: Tags | None = None,
    ) -> RegisteredModelVersion:
        """Change a version's notes, or replace its tags."""
        model_id, version_id = self._version_ids(model, version)
        body = {
            "model_id": model_id,
            "model_version_id": version_id,
            "notes": notes,
            "tags": tag_list(tags),
        }
        answer = self._cml.transport.request(
            "PATCH", self._versions_path(model_id), json_body=set_fields(body)
        )
        return RegisteredModelVersion.from_json(answer)

    def delete_version(self, model: ModelRef, version: VersionRef) -> None:
        """Delete one version (the model stays, with its other versions)."""
        model_id, version_id = self._version_ids(model, version)
        self._cml.transport.request("DELETE", self._versions_path(model_id, version_id))

    def _version_ids(self, model: ModelRef, version: VersionRef) -> tuple[str, str]:
        """(model id, version id) of a version given as an object, an id or a number."""
        if isinstance(version, RegisteredModelVersion):
            return version.model_id or self.resolve(model), version.model_version_id
        model_id = self.resolve(model)
        number = version_number(version)
        if number is None:
            return model_id, str(version)
        found = self.versions(model_id, search_filter={"version_number": str(number)})
        matches = [v for v in found if v.number == number]
        if not matches:
            label = model.name if isinstance(model, RegisteredModel) else model
            raise NotFoundError(f"registered model {label} has no version {number}")
        return model_id, matches[0].model_version_id
