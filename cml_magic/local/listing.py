"""List parameters as CML takes them: `search_filter` (JSON or a bare word), `sort`,
`page_size`, `page_token`.

JSON filters are case-sensitive substring matches, several keys ANDed, nested keys dotted
(`creator.username`); booleans are written `"t"`/`"f"` or `"true"`/`"false"`. A key the
endpoint does not support is a 400 naming the supported keys. A bare word (`demo`, as
Cloudera's docs write it) is a case-insensitive substring match on the name (on the name or
the description, for projects); a list whose items have no name takes JSON only.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from cml_magic.local.errors import bad_request
from cml_magic.local.validate import quote

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100_000  # public clients ask for up to 100 000 and expect everything

T = TypeVar("T")

NOT_FLAT = "search_filter values must be text, numbers or booleans, not objects or lists"


@dataclass(frozen=True)
class ListParams:
    """The four list query parameters, as received."""

    search_filter: str | None = None
    sort: str | None = None
    page_size: int | None = None
    page_token: str | None = None


def _lookup(item: dict[str, Any], dotted: str) -> Any:
    value: Any = item
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _matches(value: Any, wanted: str, key: str, status_prefix: str | None) -> bool:
    if isinstance(value, bool):
        truthy = {"t", "true", "1"}
        falsy = {"f", "false", "0"}
        if wanted.lower() in truthy:
            return value
        if wanted.lower() in falsy:
            return not value
        raise bad_request(f"search_filter: {key} takes true/false or t/f, not {quote(wanted)}")
    if key == "status" and status_prefix is not None:
        # Run and application statuses are filtered by their lower-case short names.
        return str(value) == status_prefix + wanted.upper()
    if value is None:
        return False
    return wanted in str(value)


def parse_filter(text: str | None, keys: Sequence[str]) -> dict[str, str]:
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except RecursionError:  # nesting deeper than the parser's stack
        raise bad_request(NOT_FLAT) from None
    except ValueError:
        raise bad_request(
            f'search_filter must be a JSON object such as {{"name": "demo"}}, got {quote(text)}'
        ) from None
    if not isinstance(parsed, dict):
        raise bad_request('search_filter must be a JSON object such as {"name": "demo"}')
    for key, value in parsed.items():
        if key not in keys:
            raise bad_request(
                f"search_filter key {quote(key)} is not supported here;"
                f" supported: {', '.join(keys)}"
            )
        if isinstance(value, dict | list):
            raise bad_request(NOT_FLAT)
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()}


def bare_word(text: str | None) -> str | None:
    """The word of a `search_filter` that is not a JSON object (`demo`, `"demo"`), else None."""
    if text is None or not text.strip():
        return None
    stripped = text.strip()
    if stripped[0] in "{[":
        return None  # JSON meant as a filter: parse_filter judges it
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return stripped
    return parsed if isinstance(parsed, str) else stripped


def _has_word(item: dict[str, Any], word: str, keys: Sequence[str]) -> bool:
    folded = word.casefold()
    return any(folded in str(_lookup(item, key) or "").casefold() for key in keys)


def parse_sort(text: str | None, keys: Sequence[str]) -> list[tuple[str, bool]]:
    """`-created_at,+name` -> [("created_at", descending=True), ("name", False)]."""
    if not text:
        return []
    order = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        descending = part.startswith("-")
        # A bare `+` in a query string arrives as a space; accept both.
        name = part.lstrip("+- ")
        if name not in keys:
            raise bad_request(
                f"sort key {quote(name)} is not supported here; supported: {', '.join(keys)}"
            )
        order.append((name, descending))
    return order


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise bad_request(f"invalid page_token {quote(token)}")


def paginate(
    items: Sequence[T],
    params: ListParams,
    filter_keys: Sequence[str],
    sort_keys: Sequence[str],
    status_prefix: str | None = None,
    shape: Callable[[T], dict[str, Any]] | None = None,
    word_keys: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Filter, sort and cut one page; returns (page, next_page_token).

    `shape` turns a stored item into its JSON; given, only the page's items are shaped when
    the request neither filters nor sorts (filters and sort keys look at the JSON).
    `word_keys` are the fields a bare-word filter looks in (default: `name`, where the
    endpoint filters on it).
    """
    word = bare_word(params.search_filter)
    if word_keys is None:
        word_keys = ("name",) if "name" in filter_keys else ()
    if word is not None and not word_keys:
        supported = ", ".join(filter_keys) or "none"
        raise bad_request(
            f"search_filter {word!r}: a bare word matches names, and these items have none;"
            f" send a JSON object instead (supported keys: {supported})"
        )
    wanted = parse_filter(params.search_filter, filter_keys) if word is None else {}
    order = parse_sort(params.sort, sort_keys)
    size = params.page_size
    if size is None or size == 0:
        size = DEFAULT_PAGE_SIZE
    if size < 0 or size > MAX_PAGE_SIZE:
        raise bad_request(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {size}")
    start = decode_token(params.page_token) if params.page_token else 0
    if shape is not None and not wanted and not order and word is None:
        token = encode_token(start + size) if start + size < len(items) else ""
        return [shape(item) for item in items[start : start + size]], token

    shaped: list[dict[str, Any]] = (
        [shape(item) for item in items] if shape is not None else list(items)  # type: ignore[arg-type]
    )
    selected = [
        item
        for item in shaped
        if all(
            _matches(_lookup(item, key), value, key, status_prefix) for key, value in wanted.items()
        )
        and (word is None or _has_word(item, word, word_keys))
    ]
    for key, descending in reversed(order):  # stable sorts, last key first
        selected.sort(key=partial(_sort_key, key), reverse=descending)
    page = selected[start : start + size]
    more = start + size < len(selected)
    return page, encode_token(start + size) if more else ""


def _sort_key(key: str, item: dict[str, Any]) -> tuple[int, Any]:
    return _sort_value(_lookup(item, key))


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value))
