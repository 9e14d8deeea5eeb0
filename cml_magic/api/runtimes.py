"""`cml.runtimes`: the runtime images of the workspace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cml_magic.api.collection import Collection, ListOptions
from cml_magic.api.errors import AmbiguousNameError, NotFoundError
from cml_magic.api.objects import Listing
from cml_magic.api.run_objects import Runtime

if TYPE_CHECKING:
    from typing import Unpack

_PREFIX = "ml-runtime-"


def short_name(image_identifier: str) -> str:
    """A runtime's short name: the last part of its image identifier without `ml-runtime-`,
    e.g. `jupyterlab-python3.12-standard:2025.09.1-b5`. `runtime_identifier=` takes it, and
    the same without the `:version` when one version of it is offered."""
    return image_identifier.rpartition("/")[2].removeprefix(_PREFIX)


def is_short_name(ref: str) -> bool:
    """True for a runtime reference that is not a full image identifier (those have a `/`)."""
    return bool(ref) and "/" not in ref


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

    def identifier(self, ref: str) -> str:
        """The image identifier of `ref`: an identifier as it is; a short name (see
        `short_name`), with or without its `:version`, looked up (`NotFoundError`, or
        `AmbiguousNameError` when several versions match a name without one)."""
        if not is_short_name(ref):
            return ref
        every = [r.image_identifier for r in self.iter()]
        exact = [i for i in every if short_name(i) == ref]
        if exact:
            return exact[0]
        versions = [i for i in every if short_name(i).partition(":")[0] == ref]
        if len(versions) == 1:
            return versions[0]
        if versions:
            raise AmbiguousNameError("runtime", ref, [{"name": short_name(i)} for i in versions])
        raise NotFoundError(f"no runtime named {ref!r}", kind="runtime", name=ref)


def _matching(runtimes: Iterator[Runtime], needle: str) -> Iterator[Runtime]:
    for runtime in runtimes:
        if any(needle in str(getattr(runtime, name)).lower() for name in _SEARCHED):
            yield runtime


def _first(items: Iterator[Runtime], limit: int | None) -> Iterator[Runtime]:
    for count, item in enumerate(items):
        if limit is not None and count >= limit:
            return
        yield item
