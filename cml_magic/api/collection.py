"""What jobs, models and applications share: a list endpoint under a project, with the same
list parameters, and look-up by exact name; jobs and models are also listed across projects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from cml_magic.api import paths
from cml_magic.api.listing import merged_filter
from cml_magic.api.names import exactly_one
from cml_magic.api.objects import Listing, Resource
from cml_magic.api.paging import as_received, iterate

if TYPE_CHECKING:
    from cml_magic.api.client import CML

R = TypeVar("R", bound=Resource)


class ProjectCollection(Generic[R]):
    """The objects of one kind in a project (`project=None`: the client's default project)."""

    _item: type[R]
    _segment: str  # the path segment and the JSON key of the list, e.g. "jobs"
    _fills_project_id = False  # CML omits the project id from some objects; add it

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def _extra(self, project_id: str) -> dict[str, Any]:
        """What each object gets that CML does not send."""
        return {"project_id": project_id} if self._fills_project_id else {}

    def _describe(self, item: R) -> dict[str, str]:
        """What tells apart objects of the same name (for `AmbiguousNameError`)."""
        creator = getattr(item, "creator", None)
        return {"id": getattr(item, "id", ""), "creator": getattr(creator, "username", "")}

    def iter(
        self,
        project: str | None = None,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[R]:
        """Every object of the project, lazily, page by page; `search` matches part of the
        name, `search_filter` is CML's filter (a dict), `sort` e.g. `"-created_at"`."""
        project_id = self._cml.projects.resolve(project)
        extra = self._extra(project_id)
        found = self._json(project_id, search, search_filter, sort, page_size, limit)
        return (self._item.from_json(data, **extra) for data in found)

    def _json(
        self,
        project_id: str,
        search: str | None,
        search_filter: Mapping[str, Any] | str | None,
        sort: str | None,
        page_size: int | None,
        limit: int | None,
    ) -> Iterator[dict[str, Any]]:
        """The items' JSON, page by page."""
        return iterate(
            self._cml.transport,
            f"{paths.project(project_id)}/{self._segment}",
            self._segment,
            as_received,
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
    ) -> Listing[R]:
        """Every object of the project, as a list (see `iter`)."""
        project_id = self._cml.projects.resolve(project)
        found = self._json(project_id, search, search_filter, sort, page_size, limit)
        return Listing(self._item, found, extra=self._extra(project_id))

    def _by_name(self, name: str, project_id: str) -> R:
        found = self.iter(project_id, search_filter={"name": name})
        kind = self._item.kind
        return exactly_one(kind, name, found, self._describe, f" in project {project_id}")


class CrossProjectCollection(ProjectCollection[R]):
    """A kind CML also lists across every project the caller can see (`GET /api/v2/<kind>`:
    `ListAllJobs`, `ListAllModels`). That listing takes no `sort`."""

    def iter_in_all_projects(
        self,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[R]:
        """Every object of every project the caller can see (own and public ones), lazily,
        page by page; `search` matches part of the name, `search_filter` is CML's filter.
        Each item's `project` says which project it belongs to."""
        found = self._json_in_all_projects(search, search_filter, page_size, limit)
        return (self._item.from_json(data) for data in found)

    def _json_in_all_projects(
        self,
        search: str | None,
        search_filter: Mapping[str, Any] | str | None,
        page_size: int | None,
        limit: int | None,
    ) -> Iterator[dict[str, Any]]:
        return iterate(
            self._cml.transport,
            f"{paths.V2}/{self._segment}",
            self._segment,
            as_received,
            page_size=page_size,
            search_filter=merged_filter(search_filter, name=search),
            limit=limit,
        )

    def list_in_all_projects(
        self,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[R]:
        """Every object of every project the caller can see, as a list (see
        `iter_in_all_projects`); its frame has a `project` column."""
        found = self._json_in_all_projects(search, search_filter, page_size, limit)
        return Listing(self._item, found, across_projects=True)
