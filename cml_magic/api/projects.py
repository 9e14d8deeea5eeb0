"""`cml.projects`: list, get, create, update and delete projects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api.collection import Collection, ListOptions
from cml_magic.api.names import exactly_one, is_dashed_id
from cml_magic.api.objects import Listing, Project

if TYPE_CHECKING:
    from typing import Unpack


class Projects(Collection[Project]):
    """The projects the caller can see: an id, a name, or `owner/name` for another user's
    public project; None is the client's default project."""

    _item = Project
    key = segment = "projects"
    parents = ()

    def _is_id(self, ref: str) -> bool:
        return is_dashed_id(ref)

    def _describe(self, item: Project) -> dict[str, str]:
        return {"id": item.id, "owner": item.owner.username if item.owner else ""}

    def iter(
        self, *, include_public: bool = False, **options: Unpack[ListOptions]
    ) -> Iterator[Project]:
        """Every project (lazily, page by page); `include_public`: others' public ones too."""
        params = {"include_public_projects": True} if include_public else None
        return self._pages((), options, params=params)

    def list(
        self, *, include_public: bool = False, **options: Unpack[ListOptions]
    ) -> Listing[Project]:
        """Every project, as a list (see `iter`)."""
        params = {"include_public_projects": True} if include_public else None
        return self._listing(self._json_pages((), options, params=params))

    def resolve(self, ref: str | None = None) -> str:
        """The id of project `ref` (None: the default project)."""
        return self._resolve(self._cml.default_project_ref(ref))

    def _find(self, name: str, *parent_ids: str) -> Project:
        """The project named `name` (`owner/name`: that user's): the caller's own first, else
        the public ones."""
        ref = name
        owner, _, name = name.rpartition("/")
        wanted: dict[str, str] = {"name": name}
        if owner:
            wanted["owner.username"] = owner
        own = [] if owner else list(self.iter(search_filter=wanted))
        if not any(p.name == name for p in own):
            own = list(self.iter(search_filter=wanted, include_public=True))
            if owner:
                own = [p for p in own if p.owner and p.owner.username == owner]
        return exactly_one("project", name, own, self._describe, ref=ref)

    def get(self, project: str | None = None) -> Project:
        """One project, by id or name (None: the default project)."""
        return self._lookup(self._cml.default_project_ref(project))

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
        return self._create((), body)

    def update(self, project: str | None, **fields: Any) -> Project:
        """Change the given fields of a project (e.g. `description=`, `environment={...}`)."""
        return self._update((), self.resolve(project), fields)

    def delete(self, project: str) -> None:
        """Delete a project with its jobs, models, applications and files."""
        self._delete((), self.resolve(project))
