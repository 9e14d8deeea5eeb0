"""`cml.applications`: list, get, create (which starts), update, restart, stop, delete."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.convert import environment_text, set_fields
from cml_magic.api.listing import merged_filter
from cml_magic.api.names import exactly_one, is_id
from cml_magic.api.objects import Application, Listing
from cml_magic.api.paging import iterate

if TYPE_CHECKING:
    from cml_magic.api.client import CML


def _describe(app: Application) -> dict[str, str]:
    return {"id": app.id, "subdomain": app.subdomain}


class Applications:
    """The applications of a project; CML sends no project id, so the client adds `project_id`."""

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
    ) -> Iterator[Application]:
        """Every application of the project (lazily); `search` matches part of the name."""
        project_id = self._cml.projects.resolve(project)
        return iterate(
            self._cml.transport,
            f"{paths.project(project_id)}/applications",
            "applications",
            lambda item: Application.from_json(item, project_id=project_id),
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
    ) -> Listing[Application]:
        """Every application of the project, as a list (see `iter`)."""
        return Listing(
            self.iter(project, search, search_filter, sort, page_size, limit), Application.kind
        )

    def _ids(self, app: str, project: str | None) -> tuple[str, str]:
        project_id = self._cml.projects.resolve(project)
        if is_id(app):
            return project_id, app
        found = self.iter(project_id, search_filter={"name": app})
        named = exactly_one("application", app, found, _describe, f" in project {project_id}")
        return project_id, named.id

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
