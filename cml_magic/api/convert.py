"""CML's JSON quirks, undone: zero times, 64-bit integers as strings, environment as JSON text."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

ZERO_TIME_PREFIX = "0001-01-01"
_FRACTION = re.compile(r"(\.\d+)")
# The name of an environment variable, as CML and a shell take it.
ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_WHOLE_ENV_NAME = re.compile(rf"{ENV_NAME}\Z")


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 string -> an aware `datetime` (UTC); None for empty or CML's zero time."""
    if value in (None, "") or (isinstance(value, str) and value.startswith(ZERO_TIME_PREFIX)):
        return None
    if isinstance(value, str):
        # The common case, a string with its offset that Python reads as it is: no clean-up.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None and parsed.year > 1:
                return parsed
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # CML may send nanoseconds; datetime keeps at most microseconds.
    text = _FRACTION.sub(lambda m: m.group(1)[:7], text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.year <= 1:
        return None
    return parsed


def integer(value: Any) -> int:
    """int32 numbers and int64 strings alike -> int (0 for empty)."""
    if value.__class__ is int:  # the common case: an int32 number
        return value
    if value in (None, "", "0"):  # "0": an unset int64, the next most common
        return 0
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(float(value))


def number(value: Any) -> float:
    """A double (sometimes sent as a string) -> float."""
    if value.__class__ is float:
        return value
    if value in (None, ""):
        return 0.0
    return float(value)


def environment(value: Any) -> dict[str, str]:
    """`environment` as CML sends it (JSON text, `"null"`, or an object) -> a dict of strings."""
    if value in (None, "", "null", "{}"):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def is_env_name(text: object) -> bool:
    """True when `text` can name an environment variable (letters, digits, _; no digit first)."""
    return isinstance(text, str) and _WHOLE_ENV_NAME.match(text) is not None


def environment_text(value: dict[str, str] | str | None) -> str:
    """An environment for update bodies, where CML wants the JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(dict(value or {}))


def set_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that are set: CML changes only those (None means "leave as is")."""
    return {k: v for k, v in body.items() if v is not None}


def tags(value: Any) -> dict[str, str]:
    """CML's `Tag` list (`[{"key": k, "value": v}, ...]`) -> `{k: v}`."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    found = value if isinstance(value, list | tuple) else ()
    return {str(t.get("key", "")): str(t.get("value", "")) for t in found if isinstance(t, Mapping)}
