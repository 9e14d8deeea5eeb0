"""`cml.runtimes`: the runtime images of the workspace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cml_magic.api.collection import Collection, ListOptions
from cml_magic.api.objects import Listing, Runtime

if TYPE_CHECKING:
    from typing import Unpack

_SEARCHED = ("image_identifier", "editor", "kernel", "edition", "description", "full_version")


class Runtimes(Collection[Runtime]):
    """Runtime images (their `image_identifier` goes in `runtime_identifier=` elsewhere)."""

    _item = Runtime
    key = segment = "runtimes"
    parents = ()
    named = False
    searched = None  # `search` is matched here, against every text field

    def iter(self, **options: Unpack[ListOptions]) -> Iterator[Runtime]:
        """Every runtime; `search` keeps those where any text field contains it (any case),
        `search_filter` is CML's own (keys: kernel, editor, edition, ...)."""
        search = options.pop("search", None)
        if not search:
            return self._pages((), options)
        limit = options.pop("limit", None)
        return _first(_matching(self._pages((), options), search.lower()), limit)

    def list(self, **options: Unpack[ListOptions]) -> Listing[Runtime]:
        """Every runtime, as a list (see `iter`)."""
        # `search` is matched on the client, against the objects: a short catalogue.
        return self._listing(runtime.raw for runtime in self.iter(**options))


def _matching(runtimes: Iterator[Runtime], needle: str) -> Iterator[Runtime]:
    for runtime in runtimes:
        if any(needle in str(getattr(runtime, name)).lower() for name in _SEARCHED):
            yield runtime


def _first(items: Iterator[Runtime], limit: int | None) -> Iterator[Runtime]:
    for count, item in enumerate(items):
        if limit is not None and count >= limit:
            return
        yield item
