"""`cml.builds`: the builds of a model: list, get, create, delete."""

from __future__ import annotations

from typing import Any

from cml_magic.api.collection import ChildCollection
from cml_magic.api.serving_objects import ModelBuild


class Builds(ChildCollection[ModelBuild]):
    """The builds of one model, by id; CML sends no project id with a build, so the client
    adds `project_id`."""

    _item = ModelBuild
    key = "model_builds"
    segment = "builds"
    parents = ("projects", "models")
    named = False
    searched = None
    fills_project_id = True

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
        ids = self._scope((model,), project)
        body = {
            "project_id": ids[0],
            "model_id": ids[1],
            "file_path": file_path,
            "function_name": function_name,
            **fields,
        }
        return self._create(ids, body)

    def delete(self, build: str, model: str, /, project: str | None = None) -> None:
        """Delete a build."""
        self._delete(self._scope((model,), project), build)
