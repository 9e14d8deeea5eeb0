"""`cml.models`: list, get, create, update and delete the models of a project."""

from __future__ import annotations

from typing import Any

from cml_magic.api.collection import CrossProjectCollection
from cml_magic.api.serving_objects import Model


class Models(CrossProjectCollection[Model]):
    """The models of a project, or of every project (`list_in_all_projects`); build them with
    `cml.builds`, serve them with `cml.deployments`. A model is an id (a UUID) or a name."""

    _item = Model
    key = segment = "models"

    def create(
        self,
        name: str,
        project: str | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> Model:
        """Create a model (`CreateModelRequest` fields as keywords, e.g. `description=`)."""
        ids = self._scope((), project)
        body = {"project_id": ids[0], "name": name, "description": description, **fields}
        return self._create(ids, body)
