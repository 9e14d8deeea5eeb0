"""`cml.applications`: list, get, create (which starts), update, restart, stop, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cml_magic.api import paths
from cml_magic.api.collection import ProjectCollection
from cml_magic.api.convert import environment_text, set_fields
from cml_magic.api.names import is_id
from cml_magic.api.serving_objects import Application


class Applications(ProjectCollection[Application]):
    """The applications of a project; CML sends no project id, so the client adds `project_id`."""

    _item = Application
    _segment = "applications"
    _fills_project_id = True

    def _describe(self, item: Application) -> dict[str, str]:
        return {"subdomain": item.subdomain, **super()._describe(item)}

    def _ids(self, app: str, project: str | None) -> tuple[str, str]:
        project_id = self._cml.projects.resolve(project)
        if is_id(app):
            return project_id, app
        return project_id, self._by_name(app, project_id).id

    def _call(self, method: str, app: str, project: str | None, suffix: str = "") -> Application:
        project_id, app_id = self._ids(app, project)
        answer = self._cml.transport.request(method, paths.application(project_id, app_id) + suffix)
        return Application.from_json(answer, project_id=project_id)

    def get(self, app: str, project: str | None = None) -> Application:
        """One application, by id or name."""
        return self._call("GET", app, project)

    def create(
        self,
        name: str,
        script: str,
        subdomain: str,
        project: str | None = None,
        *,
        environment: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Application:
        """Create an application, which CML starts at once (`runtime_identifier=`, `cpu=`, ...).
        Sent once, never retried."""
        project_id = self._cml.projects.resolve(project)
        body = {
            "project_id": project_id,
            "name": name,
            "script": script,
            "subdomain": subdomain,
            "environment": dict(environment) if environment is not None else None,
            **fields,
        }
        answer = self._cml.transport.request(
            "POST", f"{paths.project(project_id)}/applications", json_body=set_fields(body)
        )
        return Application.from_json(answer, project_id=project_id)

    def update(self, app: str, project: str | None = None, **fields: Any) -> Application:
        """Change the given fields; `environment` replaces the whole map."""
        project_id, app_id = self._ids(app, project)
        if "environment" in fields:
            fields["environment"] = environment_text(fields["environment"])
        answer = self._cml.transport.request(
            "PATCH", paths.application(project_id, app_id), json_body=set_fields(fields)
        )
        return Application.from_json(answer, project_id=project_id)

    def restart(self, app: str, project: str | None = None) -> Application:
        """Restart an application, or start a stopped one (`:restart`)."""
        return self._call("POST", app, project, ":restart")

    def stop(self, app: str, project: str | None = None) -> Application:
        """Stop an application (`:stop`)."""
        return self._call("POST", app, project, ":stop")

    def delete(self, app: str, project: str | None = None) -> None:
        """Delete an application."""
        project_id, app_id = self._ids(app, project)
        self._cml.transport.request("DELETE", paths.application(project_id, app_id))
