"""`cml.models`: list, get, create, update and delete the models of a project."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.convert import set_fields
from cml_magic.api.listing import merged_filter
from cml_magic.api.names import exactly_one, is_id
from cml_magic.api.objects import Listing, Model
from cml_magic.api.paging import iterate

if TYPE_CHECKING:
    from cml_magic.api.client import CML


def _describe(model: Model) -> dict[str, str]:
    return {"id": model.id, "creator": model.creator.username if model.creator else ""}


class Models:
    """The models of a project (build them with `cml.builds`, serve with `cml.deployments`)."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def iter(
        self,
        project: str | None = None,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[Model]:
        """Every model of the project (lazily); `search` matches part of the name."""
        project_id = self._cml.projects.resolve(project)
        return iterate(
            self._cml.transport,
            f"{paths.project(project_id)}/models",
            "models",
            Model.from_json,
            page_size=page_size,
            search_filter=merged_filter(search_filter, name=search),
            sort=sort,
            limit=limit,
        )

    def list(
        self,
        project: str | None = None,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[Model]:
        """Every model of the project, as a list (see `iter`)."""
        return Listing(
            self.iter(project, search, search_filter, sort, page_size, limit), Model.kind
        )

    def resolve(self, model: str, project_id: str) -> str:
        """The id of `model` (an id or a name) in the project."""
        if is_id(model):
            return model
        return self._by_name(model, project_id).id

    def _by_name(self, name: str, project_id: str) -> Model:
        found = self.iter(project_id, search_filter={"name": name})
        return exactly_one("model", name, found, _describe, f" in project {project_id}")

    def get(self, model: str, project: str | None = None) -> Model:
        """One model, by id or name."""
        project_id = self._cml.projects.resolve(project)
        if not is_id(model):
            return self._by_name(model, project_id)
        answer = self._cml.transport.request("GET", paths.model(project_id, model))
        return Model.from_json(answer)

    def create(
        self,
        name: str,
        project: str | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> Model:
        """Create a model (`CreateModelRequest` fields as keywords, e.g. `description=`)."""
        project_id = self._cml.projects.resolve(project)
        body = {"project_id": project_id, "name": name, "description": description, **fields}
        answer = self._cml.transport.request(
            "POST", f"{paths.project(project_id)}/models", json_body=set_fields(body)
        )
        return Model.from_json(answer)

    def update(self, model: str, project: str | None = None, **fields: Any) -> Model:
        """Change the given fields of a model (`UpdateSingleModel`: name, description, ...)."""
        project_id = self._cml.projects.resolve(project)
        model_id = self.resolve(model, project_id)
        answer = self._cml.transport.request(
            "PATCH", paths.model(project_id, model_id), json_body=set_fields(fields)
        )
        return Model.from_json(answer)

    def delete(self, model: str, project: str | None = None) -> None:
        """Delete a model."""
        project_id = self._cml.projects.resolve(project)
        model_id = self.resolve(model, project_id)
        self._cml.transport.request("DELETE", paths.model(project_id, model_id))
