"""`cml.projects`: list, get, create, update and delete projects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.convert import environment_text, set_fields
from cml_magic.api.listing import merged_filter
from cml_magic.api.names import exactly_one, is_dashed_id
from cml_magic.api.objects import Listing, Project
from cml_magic.api.paging import as_received, iterate

if TYPE_CHECKING:
    from cml_magic.api.client import CML


def _describe(project: Project) -> dict[str, str]:
    return {"id": project.id, "owner": project.owner.username if project.owner else ""}


class Projects:
    """The projects the caller can see."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def iter(
        self,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        include_public: bool = False,
    ) -> Iterator[Project]:
        """Every project (lazily, page by page); `search` matches part of the name."""
        found = self._json(search, search_filter, sort, page_size, limit, include_public)
        return (Project.from_json(data) for data in found)

    def _json(
        self,
        search: str | None,
        search_filter: Mapping[str, Any] | str | None,
        sort: str | None,
        page_size: int | None,
        limit: int | None,
        include_public: bool,
    ) -> Iterator[dict[str, Any]]:
        return iterate(
            self._cml.transport,
            f"{paths.V2}/projects",
            "projects",
            as_received,
            page_size=page_size,
            search_filter=merged_filter(search_filter, name=search),
            sort=sort,
            limit=limit,
            params={"include_public_projects": True} if include_public else None,
        )

    def list(
        self,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        include_public: bool = False,
    ) -> Listing[Project]:
        """Every project, as a list (see `iter`)."""
        return Listing(
            Project, self._json(search, search_filter, sort, page_size, limit, include_public)
        )

    def resolve(self, project: str | None = None) -> str:
        """The id of `project` (an id, a name, or `owner/name`); None: the default project."""
        ref = self._cml.default_project_ref(project)
        if is_dashed_id(ref):
            return ref
        return self._by_name(ref).id

    def _by_name(self, ref: str) -> Project:
        owner, _, name = ref.rpartition("/")
        wanted: dict[str, str] = {"name": name}
        if owner:
            wanted["owner.username"] = owner
        own = [] if owner else list(self.iter(search_filter=wanted))
        if not any(p.name == name for p in own):
            own = list(self.iter(search_filter=wanted, include_public=True))
            if owner:
                own = [p for p in own if p.owner and p.owner.username == owner]
        return exactly_one("project", name, own, _describe)

    def get(self, project: str | None = None) -> Project:
        """One project, by id or name (None: the default project)."""
        ref = self._cml.default_project_ref(project)
        if not is_dashed_id(ref):
            return self._by_name(ref)
        return Project.from_json(self._cml.transport.request("GET", paths.project(ref)))

    def create(
        self,
        name: str,
        description: str | None = None,
        visibility: str | None = None,
        template: str | None = None,
        environment: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Project:
        """Create a project (`CreateProjectRequest`; extra fields go in as given)."""
        body = {
            "name": name,
            "description": description,
            "visibility": visibility,
            "template": template,
            "environment": dict(environment) if environment is not None else None,
            **fields,
        }
        answer = self._cml.transport.request(
            "POST", f"{paths.V2}/projects", json_body=set_fields(body)
        )
        return Project.from_json(answer)

    def update(self, project: str | None, **fields: Any) -> Project:
        """Change the given fields of a project (e.g. `description=`, `environment={...}`)."""
        project_id = self.resolve(project)
        if "environment" in fields:
            fields["environment"] = environment_text(fields["environment"])
        answer = self._cml.transport.request(
            "PATCH", paths.project(project_id), json_body=set_fields(fields)
        )
        return Project.from_json(answer)

    def delete(self, project: str) -> None:
        """Delete a project with its jobs, models, applications and files."""
        self._cml.transport.request("DELETE", paths.project(self.resolve(project)))
