"""One iterator over every item of any CML list endpoint, following `next_page_token`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from cml_magic.api.errors import CMLError
from cml_magic.api.transport import Transport

T = TypeVar("T")
# Without a limit, ask for pages as large as CML takes: one request instead of one per 100 items.
MAX_PAGE_SIZE = 100_000


def filter_text(search_filter: Mapping[str, Any] | str | None) -> str | None:
    """`{"name": "demo"}` -> the JSON text CML takes in `search_filter`."""
    if search_filter is None or search_filter == {} or search_filter == "":
        return None
    if isinstance(search_filter, str):
        return search_filter
    values = {
        k: ("true" if v else "false") if isinstance(v, bool) else v
        for k, v in search_filter.items()
        if v is not None
    }
    return json.dumps(values, separators=(",", ":")) if values else None


def as_received(item: dict[str, Any]) -> dict[str, Any]:
    """The `parse` of `iterate` that yields each item's JSON itself (for a `Listing`)."""
    return item


def iterate(
    transport: Transport,
    path: str,
    key: str,
    parse: Callable[[dict[str, Any]], T],
    *,
    page_size: int | None = None,
    search_filter: Mapping[str, Any] | str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> Iterator[T]:
    """Yield the items under `key` of every page of `GET path`, at most `limit` of them.

    Pages hold `page_size` items, else `limit` (at most 100,000), else 100,000.

    The same parameters go with every page (CML asks for that), plus the page token of
    the previous answer; iteration ends on an empty token. An item (by `id`) that comes again
    on a later page, because items were added while paging, is yielded once. A token that
    comes back a second time raises `CMLError` instead of looping for ever.
    """
    if limit is not None and limit <= 0:
        return
    size = page_size or min(limit or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    base = {
        **(params or {}),
        "search_filter": filter_text(search_filter),
        "sort": sort,
        "page_size": size,
    }
    seen: set[str] = set()
    yielded: set[str] = set()
    token = ""
    count = 0
    while True:
        answer = transport.request("GET", path, params={**base, "page_token": token or None})
        if not isinstance(answer, dict):
            raise CMLError(f"expected a JSON object with {key!r}", method="GET", path=path)
        for item in answer.get(key) or ():
            # Tokens are offsets: items added before the cursor push seen ones onto the next page.
            item_id = item.get("id") if isinstance(item, dict) else None
            if item_id:
                if item_id in yielded:
                    continue
                yielded.add(item_id)
            yield parse(item)
            count += 1
            if limit is not None and count >= limit:
                return
        token = str(answer.get("next_page_token") or "")
        if not token:
            return
        if token in seen:
            raise CMLError(
                "CML sent the same page token twice; stopped listing", method="GET", path=path
            )
        seen.add(token)
