"""`cml.runtimes`: the runtime images of the workspace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.objects import Listing, Runtime
from cml_magic.api.paging import iterate

if TYPE_CHECKING:
    from cml_magic.api.client import CML

_SEARCHED = ("image_identifier", "editor", "kernel", "edition", "description", "full_version")


class Runtimes:
    """Runtime images (their `image_identifier` goes in `runtime_identifier=` elsewhere)."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def iter(
        self,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[Runtime]:
        """Every runtime; `search` keeps those where any text field contains it (any case),
        `search_filter` is CML's own (keys: kernel, editor, edition, ...)."""
        found = iterate(
            self._cml.transport,
            f"{paths.V2}/runtimes",
            "runtimes",
            Runtime.from_json,
            page_size=page_size,
            search_filter=search_filter,
            sort=sort,
            limit=None if search else limit,
        )
        if not search:
            return found
        return _first(_matching(found, search.lower()), limit)

    def list(
        self,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[Runtime]:
        """Every runtime, as a list (see `iter`)."""
        # `search` is matched on the client, against the objects: a short catalogue.
        found = self.iter(search, search_filter, sort, page_size, limit)
        return Listing(Runtime, (runtime.raw for runtime in found))


def _matching(runtimes: Iterator[Runtime], needle: str) -> Iterator[Runtime]:
    for runtime in runtimes:
        if any(needle in str(getattr(runtime, name)).lower() for name in _SEARCHED):
            yield runtime


def _first(items: Iterator[Runtime], limit: int | None) -> Iterator[Runtime]:
    for count, item in enumerate(items):
        if limit is not None and count >= limit:
            return
        yield item
