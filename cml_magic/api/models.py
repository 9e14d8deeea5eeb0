"""`cml.models`: list, get, create, update and delete the models of a project."""

from __future__ import annotations

from typing import Any

from cml_magic.api import paths
from cml_magic.api.collection import CrossProjectCollection
from cml_magic.api.convert import set_fields
from cml_magic.api.names import is_id
from cml_magic.api.serving_objects import Model


class Models(CrossProjectCollection[Model]):
    """The models of a project, or of every project (`list_in_all_projects`); build them with
    `cml.builds`, serve them with `cml.deployments`."""

    _item = Model
    _segment = "models"

    def resolve(self, model: str, project_id: str) -> str:
        """The id of `model` (an id or a name) in the project."""
        if is_id(model):
            return model
        return self._by_name(model, project_id).id

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
