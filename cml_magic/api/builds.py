"""`cml.builds`: the builds of a model: list, get, create, delete."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.convert import set_fields
from cml_magic.api.objects import Listing
from cml_magic.api.paging import as_received, iterate
from cml_magic.api.serving_objects import ModelBuild

if TYPE_CHECKING:
    from cml_magic.api.client import CML


class Builds:
    """Model builds; CML sends no project id with a build, so the client adds `project_id`."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def _ids(self, model: str, project: str | None) -> tuple[str, str]:
        project_id = self._cml.projects.resolve(project)
        return project_id, self._cml.models.resolve(model, project_id)

    def iter(
        self,
        model: str,
        project: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[ModelBuild]:
        """Every build of `model` (lazily)."""
        project_id, found = self._json(model, project, search_filter, sort, page_size, limit)
        return (ModelBuild.from_json(data, project_id=project_id) for data in found)

    def _json(
        self,
        model: str,
        project: str | None,
        search_filter: Mapping[str, Any] | str | None,
        sort: str | None,
        page_size: int | None,
        limit: int | None,
    ) -> tuple[str, Iterator[dict[str, Any]]]:
        """The project id, and the builds' JSON page by page."""
        project_id, model_id = self._ids(model, project)
        found = iterate(
            self._cml.transport,
            f"{paths.model(project_id, model_id)}/builds",
            "model_builds",
            as_received,
            page_size=page_size,
            search_filter=search_filter,
            sort=sort,
            limit=limit,
        )
        return project_id, found

    def list(
        self,
        model: str,
        project: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[ModelBuild]:
        """Every build of `model`, as a list."""
        project_id, found = self._json(model, project, search_filter, sort, page_size, limit)
        return Listing(ModelBuild, found, extra={"project_id": project_id})

    def get(self, build: str, model: str, project: str | None = None) -> ModelBuild:
        """One build of `model`."""
        project_id, model_id = self._ids(model, project)
        answer = self._cml.transport.request("GET", paths.build(project_id, model_id, build))
        return ModelBuild.from_json(answer, project_id=project_id)

    def refresh(self, build: ModelBuild) -> ModelBuild:
        """The build as it is now (needs `build.project_id`, set by this client)."""
        return self.get(build.id, build.model_id, build.project_id or None)

    def create(
        self,
        model: str,
        file_path: str,
        function_name: str,
        project: str | None = None,
        **fields: Any,
    ) -> ModelBuild:
        """Build `model` from `function_name` in `file_path` (`runtime_identifier=` or
        `kernel=`, `comment=`, ... as keywords). Sent once, never retried."""
        project_id, model_id = self._ids(model, project)
        body = {
            "project_id": project_id,
            "model_id": model_id,
            "file_path": file_path,
            "function_name": function_name,
            **fields,
        }
        answer = self._cml.transport.request(
            "POST", f"{paths.model(project_id, model_id)}/builds", json_body=set_fields(body)
        )
        return ModelBuild.from_json(answer, project_id=project_id)

    def delete(self, build: str, model: str, project: str | None = None) -> None:
        """Delete a build."""
        project_id, model_id = self._ids(model, project)
        self._cml.transport.request("DELETE", paths.build(project_id, model_id, build))
