"""The list parameters every `list`/`iter` method takes, merged into one filter."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cml_magic.api.errors import BadRequestError


def merged_filter(
    search_filter: Mapping[str, Any] | str | None, **keys: Any
) -> Mapping[str, Any] | str | None:
    """`search_filter` with the convenience keys (`search` -> name, `status`) added.

    Text goes to CML unchanged when nothing is added: JSON, or a bare word (`"production"`),
    which CML matches against names."""
    extra = {k: v for k, v in keys.items() if v not in (None, "")}
    if not extra:
        return search_filter
    if isinstance(search_filter, str):
        try:
            parsed = json.loads(search_filter)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise BadRequestError(
                f"search_filter {search_filter!r} is not a JSON object, so it cannot be combined"
                f" with {', '.join(sorted(extra))}; pass a JSON object such as"
                ' {"name": "x"} instead'
            )
        search_filter = parsed
    return {**(search_filter or {}), **extra}
