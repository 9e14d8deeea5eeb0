"""The list parameters every `list`/`iter` method takes, merged into one filter."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cml_magic.api.errors import BadRequestError


def merged_filter(
    search_filter: Mapping[str, Any] | str | None, **keys: Any
) -> Mapping[str, Any] | str | None:
    """`search_filter` with the convenience keys (`search` -> name, `status`) added."""
    extra = {k: v for k, v in keys.items() if v not in (None, "")}
    if not extra:
        return search_filter
    if isinstance(search_filter, str):
        try:
            parsed = json.loads(search_filter)
        except ValueError:
            raise BadRequestError(
                f'search_filter must be a JSON object such as {{"name": "x"}}: {search_filter!r}'
            ) from None
        if not isinstance(parsed, dict):
            raise BadRequestError(f"search_filter must be a JSON object: {search_filter!r}")
        search_filter = parsed
    return {**(search_filter or {}), **extra}
