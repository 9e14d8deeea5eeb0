"""`cml.builds`: the builds of a model: list, get, create, delete, and the build's log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cml_magic.api.collection import ChildCollection
from cml_magic.api.errors import NotFoundError
from cml_magic.api.serving_objects import ModelBuild

if TYPE_CHECKING:
    from cml_magic.api.registry_objects import RegisteredModelVersion


def log_path(build_id: str) -> str:
    """Where the local server writes a build's log in the project (CML keeps its own
    elsewhere, out of the API's reach)."""
    return f".cml/builds/{build_id}.log"


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
        file_path: str | None = None,
        function_name: str | None = None,
        project: str | None = None,
        *,
        registered_model_version: RegisteredModelVersion | str | None = None,
        **fields: Any,
    ) -> ModelBuild:
        """Build `model` from `function_name` in `file_path` (`runtime_identifier=` or
        `kernel=`, `comment=`, ... as keywords). Sent once, never retried.

        `registered_model_version` (a `RegisteredModelVersion` or its id) builds a version of
        the registry instead (`registered_model_version_id`): the file and function are the
        version's, `file_path` and `function_name` may then be left out."""
        if registered_model_version is None and not (file_path and function_name):
            raise TypeError("a build needs file_path and function_name (or a registry version)")
        ids = self._scope((model,), project)
        if registered_model_version is not None:
            fields["registered_model_version_id"] = str(
                getattr(registered_model_version, "model_version_id", registered_model_version)
            )
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

    def log(self, build: ModelBuild, project: str | None = None) -> str | None:
        """The build's log file (`.cml/builds/<id>.log` in the project), or None if absent.
        `project`: where a build that does not say its project lives."""
        try:
            data = self._cml.files.download(log_path(build.id), project=build.project_id or project)
        except NotFoundError:
            return None
        return data.decode("utf-8", errors="replace")
