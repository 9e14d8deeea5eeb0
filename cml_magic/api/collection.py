"""What every resource of the client shares: where its items live, how a reference becomes an
id, and the list/iter/get/create/update/delete shapes, written once.

A resource declares its JSON list key, its path segment and its parents (the collections
above it, outermost first: `("projects", "jobs")` for runs). Paths, parent resolution and
`refresh` follow from that declaration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypedDict, TypeVar

from cml_magic.api import paths
from cml_magic.api.convert import environment_text, set_fields
from cml_magic.api.listing import merged_filter
from cml_magic.api.names import exactly_one, is_id
from cml_magic.api.objects import Listing, Resource
from cml_magic.api.paging import as_received, iterate

if TYPE_CHECKING:
    from typing import Unpack

    from cml_magic.api.client import CML

R = TypeVar("R", bound=Resource)

# The field of an item that holds the id of each parent (`run.job_id`).
ID_FIELD = {"projects": "project_id", "jobs": "job_id", "models": "model_id", "builds": "build_id"}


class Filters(TypedDict, total=False):
    """What narrows a listing: `search` matches part of the name, `search_filter` is CML's
    filter (a dict, or text sent as is), `page_size` and `limit` bound the pages."""

    search: str | None
    search_filter: Mapping[str, Any] | str | None
    page_size: int | None
    limit: int | None


class ListOptions(Filters, total=False):
    """The keywords of every `list`/`iter`: the filters and `sort` (e.g. `"-created_at"`)."""

    sort: str | None


class Collection(Generic[R]):
    """The items of one kind, under their parents."""

    _item: type[R]
    key: ClassVar[str]  # the JSON key of a listing's items, e.g. "job_runs"
    segment: ClassVar[str]  # the path segment, e.g. "runs"
    parents: ClassVar[tuple[str, ...]] = ("projects",)  # accessors on the client, outermost first
    named: ClassVar[bool] = True  # referred to by name as well as by id
    searched: ClassVar[str | None] = "name"  # the field `search=` matches (None: no search)
    sort: ClassVar[str | None] = None  # the order of a listing when none is asked for
    fills_project_id: ClassVar[bool] = False  # CML omits the project id from these items: add it

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    # -- references ----------------------------------------------------------------------

    def _resolve(self, ref: str | int, *parent_ids: str) -> str:
        """The id of `ref` under the parents `parent_ids`: an id as it is, a name looked up.

        The one resolver: every reference the client takes goes through it."""
        text = str(ref)
        if not self.named or self._is_id(text):
            return text
        return str(getattr(self._find(text, *parent_ids), "id", ""))

    def _lookup(self, ref: str | int, *parent_ids: str) -> R:
        """The item `ref` names: one GET for an id; for a name, the listing that finds it."""
        text = str(ref)
        if self.named and not self._is_id(text):
            return self._find(text, *parent_ids)
        return self._call("GET", parent_ids, text)

    def _find(self, name: str, *parent_ids: str) -> R:
        """The one item named exactly `name` (`NotFoundError`, `AmbiguousNameError`)."""
        found = self._pages(parent_ids, {"search_filter": {"name": name}})
        where = f" in project {parent_ids[0]}" if parent_ids else ""
        project_id = parent_ids[0] if parent_ids else None
        return exactly_one(
            self._item.kind, name, found, self._describe, where, project_id=project_id
        )

    def _is_id(self, ref: str) -> bool:
        return is_id(ref)

    def _describe(self, item: R) -> dict[str, str]:
        """What tells apart items of the same name (for `AmbiguousNameError`)."""
        creator = getattr(item, "creator", None)
        return {"id": getattr(item, "id", ""), "creator": getattr(creator, "username", "")}

    def _scope(self, refs: Sequence[str | int], project: str | None) -> tuple[str, ...]:
        """The ids of the parents: the project's, then each of `refs` resolved under those
        before it (`refs` name the parents below the project, outermost first)."""
        if not self.parents:
            return ()
        ids = [self._cml.projects.resolve(project)]
        for name, ref in zip(self.parents[1:], refs, strict=True):
            ids.append(self._above(name)._resolve(ref, *ids))
        return tuple(ids)

    def _above(self, name: str) -> Collection[Any]:
        found = getattr(self._cml, name)
        assert isinstance(found, Collection)
        return found

    def _ids_of(self, item: R, project: str | None = None) -> tuple[str, ...]:
        """The parent ids an item carries (`project` where it carries no project id)."""
        ids = [str(getattr(item, ID_FIELD[name], "") or "") for name in self.parents]
        if ids and not ids[0]:
            ids[0] = self._cml.projects.resolve(project)
        return tuple(ids)

    # -- requests ------------------------------------------------------------------------

    def _path(self, parent_ids: Sequence[str], item_id: str | None = None, verb: str = "") -> str:
        """`/api/v2/<parent>/<id>/.../<segment>[/<item_id>][<verb>]`, every id quoted."""
        parts = [paths.V2]
        for name, parent_id in zip(self.parents, parent_ids, strict=True):
            parts += [name, paths.seg(parent_id)]
        parts.append(self.segment)
        if item_id is not None:
            parts.append(paths.seg(item_id))
        return "/".join(parts) + verb

    def _extra(self, parent_ids: Sequence[str]) -> dict[str, Any]:
        """What each item gets that CML does not send."""
        return {"project_id": parent_ids[0]} if self.fills_project_id else {}

    def _made(self, data: Any, parent_ids: Sequence[str]) -> R:
        return self._item.from_json(data, **self._extra(parent_ids))

    def _call(
        self,
        method: str,
        parent_ids: Sequence[str],
        item_id: str | None = None,
        verb: str = "",
        body: Mapping[str, Any] | None = None,
    ) -> R:
        """One request whose answer is one item."""
        path = self._path(parent_ids, item_id, verb)
        if body is None:
            answer = self._cml.transport.request(method, path)
        else:
            answer = self._cml.transport.request(method, path, json_body=body)
        return self._made(answer, parent_ids)

    def _pages(
        self,
        parent_ids: Sequence[str],
        options: ListOptions,
        path: str | None = None,
        params: Mapping[str, Any] | None = None,
        **keys: Any,
    ) -> Iterator[R]:
        """The items of a listing, page by page (see `_json_pages`)."""
        found = self._json_pages(parent_ids, options, path, params, **keys)
        extra = self._extra(parent_ids)
        return (self._item.from_json(data, **extra) for data in found)

    def _json_pages(
        self,
        parent_ids: Sequence[str],
        options: ListOptions,
        path: str | None = None,
        params: Mapping[str, Any] | None = None,
        **keys: Any,
    ) -> Iterator[dict[str, Any]]:
        """The items' JSON of a listing, page by page; `keys` go into the filter (`status=`)."""
        search = options.get("search")
        if search:
            if self.searched is None:
                raise TypeError(f"{self.segment} are not searched by name; use search_filter=")
            keys[self.searched] = search
        return iterate(
            self._cml.transport,
            path or self._path(parent_ids),
            self.key,
            as_received,
            page_size=options.get("page_size"),
            search_filter=merged_filter(options.get("search_filter"), **keys),
            sort=options.get("sort") or self.sort,
            limit=options.get("limit"),
            params=params,
        )

    def _listing(
        self,
        items: Iterable[Mapping[str, Any]],
        parent_ids: Sequence[str] = (),
        across_projects: bool = False,
    ) -> Listing[R]:
        """A listing of the items' JSON (`_json_pages`), its objects built on first access."""
        extra = self._extra(parent_ids)
        return Listing(self._item, items, across_projects=across_projects, extra=extra)

    def _create(self, parent_ids: Sequence[str], body: Mapping[str, Any]) -> R:
        return self._call("POST", parent_ids, body=set_fields(self._runtime_of(dict(body))))

    def _update(self, parent_ids: Sequence[str], item_id: str, fields: dict[str, Any]) -> R:
        if "environment" in fields:  # CML's update takes the map as JSON text
            fields["environment"] = environment_text(fields["environment"])
        fields = self._runtime_of(fields)
        return self._call("PATCH", parent_ids, item_id, body=set_fields(fields))

    def _runtime_of(self, body: dict[str, Any]) -> dict[str, Any]:
        """`body` with a runtime's short name (`runtime_identifier=`) as its image identifier."""
        from cml_magic.api.runtimes import is_short_name

        ref = body.get("runtime_identifier")
        if isinstance(ref, str) and is_short_name(ref):
            body["runtime_identifier"] = self._cml.runtimes.identifier(ref)
        return body

    def _delete(self, parent_ids: Sequence[str], item_id: str) -> None:
        self._cml.transport.request("DELETE", self._path(parent_ids, item_id))

    # -- any item ------------------------------------------------------------------------

    def _refresh(self, item: R, project: str | None = None) -> R:
        """The item as it is now (`project`: where an item that does not say lives)."""
        return self._call("GET", self._ids_of(item, project), str(getattr(item, "id", "")))

    def _stop(self, item: R, project: str | None = None) -> R:
        item_id = str(getattr(item, "id", ""))
        return self._call("POST", self._ids_of(item, project), item_id, ":stop")


class ProjectCollection(Collection[R]):
    """Items directly under a project (`project=None`: the client's default project)."""

    def iter(self, project: str | None = None, **options: Unpack[ListOptions]) -> Iterator[R]:
        """Every item of the project, lazily, page by page (see `ListOptions`)."""
        return self._pages(self._scope((), project), options)

    def list(self, project: str | None = None, **options: Unpack[ListOptions]) -> Listing[R]:
        """Every item of the project, as a list (see `iter`)."""
        ids = self._scope((), project)
        return self._listing(self._json_pages(ids, options), ids)

    def get(self, ref: str | int, project: str | None = None) -> R:
        """One item, by id or name."""
        return self._lookup(ref, *self._scope((), project))

    def update(self, ref: str | int, project: str | None = None, **fields: Any) -> R:
        """Change the given fields; `environment` replaces the whole map."""
        ids = self._scope((), project)
        return self._update(ids, self._resolve(ref, *ids), fields)

    def delete(self, ref: str | int, project: str | None = None) -> None:
        """Delete an item."""
        ids = self._scope((), project)
        self._delete(ids, self._resolve(ref, *ids))

    def resolve(self, ref: str | int, project_id: str) -> str:
        """The id of `ref` (an id or a name) in the project `project_id`."""
        return self._resolve(ref, project_id)


class CrossProjectCollection(ProjectCollection[R]):
    """A kind CML also lists across every project the caller can see (`GET /api/v2/<kind>`:
    `ListAllJobs`, `ListAllModels`). That listing takes no `sort`."""

    def iter_in_all_projects(self, **filters: Unpack[Filters]) -> Iterator[R]:
        """Every item of every project the caller can see (own and public ones), lazily,
        page by page. Each item's `project` says which project it belongs to."""
        options: ListOptions = {**filters, "sort": None}
        return self._pages((), options, path=f"{paths.V2}/{self.segment}")

    def _json_in_all_projects(self, filters: Filters) -> Iterator[dict[str, Any]]:
        options: ListOptions = {**filters, "sort": None}
        return self._json_pages((), options, path=f"{paths.V2}/{self.segment}")

    def list_in_all_projects(self, **filters: Unpack[Filters]) -> Listing[R]:
        """Every item of every project the caller can see, as a list (see
        `iter_in_all_projects`); its frame has a `project` column."""
        return self._listing(self._json_in_all_projects(filters), across_projects=True)


class ChildCollection(Collection[R]):
    """Items under one parent inside a project (runs of a job, builds of a model), addressed
    by id; the parent (given by position: `cml.runs.get(run_id, "nightly")`) by id or name."""

    def iter(
        self, parent: str | int, /, project: str | None = None, **options: Unpack[ListOptions]
    ) -> Iterator[R]:
        """Every item of `parent`, lazily, page by page (see `ListOptions`)."""
        return self._pages(self._scope((parent,), project), options)

    def list(
        self, parent: str | int, /, project: str | None = None, **options: Unpack[ListOptions]
    ) -> Listing[R]:
        """Every item of `parent`, as a list (see `iter`)."""
        ids = self._scope((parent,), project)
        return self._listing(self._json_pages(ids, options), ids)

    def get(self, ref: str, parent: str | int, /, project: str | None = None) -> R:
        """One item of `parent`."""
        return self._call("GET", self._scope((parent,), project), ref)

    def refresh(self, item: R) -> R:
        """The item as it is now."""
        return self._refresh(item)
