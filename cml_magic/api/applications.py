"""`cml.applications`: list, get, create (which starts), update, restart, stop, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cml_magic.api.collection import ProjectCollection
from cml_magic.api.serving_objects import Application


class Applications(ProjectCollection[Application]):
    """The applications of a project, by id or name; CML sends no project id, so the client
    adds `project_id`."""

    _item = Application
    key = segment = "applications"
    fills_project_id = True

    def _describe(self, item: Application) -> dict[str, str]:
        return {"subdomain": item.subdomain, **super()._describe(item)}

    def _act(self, verb: str, app: str, project: str | None) -> Application:
        ids = self._scope((), project)
        return self._call("POST", ids, self._resolve(app, *ids), verb)

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
        ids = self._scope((), project)
        body = {
            "project_id": ids[0],
            "name": name,
            "script": script,
            "subdomain": subdomain,
            "environment": dict(environment) if environment is not None else None,
            **fields,
        }
        return self._create(ids, body)

    def restart(self, app: str, project: str | None = None) -> Application:
        """Restart an application, or start a stopped one (`:restart`)."""
        return self._act(":restart", app, project)

    def stop(self, app: str, project: str | None = None) -> Application:
        """Stop an application (`:stop`)."""
        return self._act(":stop", app, project)
