"""What the local server accepts as text before anything is stored: the limits, and the checks
every request body, path and query goes through. A refusal names the problem and quotes at
most `QUOTE_CHARS` characters of the input.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NAME_MAX = 255  # characters of a name (project, job, model, application, build comment...)
TEXT_MAX = 65_536  # characters of any other text field (descriptions, arguments, env values)
PATH_PART_MAX_BYTES = 255  # what Linux file systems allow for one path component
PATH_MAX_BYTES = 4096
QUOTE_CHARS = 100
DEFAULT_MAX_UPLOAD_MB = 1024
MAX_CPU = 1024.0  # generous bounds: finite, and far above any workspace's
MAX_MEMORY_GIB = 65_536.0
MAX_COUNT = 1024  # GPUs, replicas
INT64_MAX = 2**63 - 1

# One environment variable name rule, as a POSIX shell (and CML's own forms) take them.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def quote(value: Any) -> str:
    """`value` for a message: its repr, cut to about QUOTE_CHARS characters."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > QUOTE_CHARS:
        return repr(text[:QUOTE_CHARS]) + "..."
    return repr(text)


def text_problem(value: str, limit: int = TEXT_MAX) -> str | None:
    """Why `value` cannot be stored as text (NUL, a lone surrogate, too long), or None."""
    if "\x00" in value:
        return "must not contain a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # What Python makes of bytes that are not UTF-8; no JSON answer could carry it.
        return "must be valid Unicode (it holds a lone surrogate)"
    if len(value) > limit:
        return f"is longer than {limit} characters"
    return None


def strings_problem(value: Any, where: str = "") -> str | None:
    """The first text problem anywhere inside a JSON value (keys included), with its place.
    Walked with a list, not recursion: nesting as deep as the JSON parser allows is fine."""
    # Each entry's place is (parent place, key), rendered only for the message.
    pending: list[tuple[Any, Any]] = [((None, where), value)]
    while pending:
        place, item = pending.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                return f"{_render(place) or 'value'} {problem}"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and (problem := text_problem(key, NAME_MAX)):
                    return f"the name of field {_render((place, key))} {problem}"
                pending.append(((place, key), inner))
        elif isinstance(item, list):
            pending.extend(((place, n), inner) for n, inner in enumerate(item))
    return None


def _render(place: Any) -> str:
    parts: list[str] = []
    while place is not None and len(parts) < 20:  # a message names at most 20 levels
        place, key = place
        parts.append(f"[{key}]" if isinstance(key, int) else str(key))
    if place is not None:
        parts.append("...")
    text = ".".join(p for p in reversed(parts) if p).replace(".[", "[")
    return quote(text) if text else ""


def path_problem(path: str) -> str | None:
    """Why `path` cannot name a file in a project folder, or None."""
    problem = text_problem(path, PATH_MAX_BYTES)
    if problem:
        return problem
    if len(path.encode()) > PATH_MAX_BYTES:
        return f"is longer than {PATH_MAX_BYTES} bytes"
    if any(len(part.encode()) > PATH_PART_MAX_BYTES for part in path.split("/")):
        return f"has a name longer than {PATH_PART_MAX_BYTES} bytes"
    return None


def env_name_problem(name: str) -> str | None:
    if ENV_NAME.match(name):
        return None
    return (
        f"environment variable name {quote(name)} must be letters, digits and _,"
        " not starting with a digit"
    )


def timezone_problem(name: str) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return f"timezone {quote(name)} is not a known IANA timezone such as Europe/Paris"
    return None


# Experiment run metrics, params and tags: MLflow's limits (its REST API's "Request limits"
# and its key rule), which CML's experiments are built on.
KEY_MAX = 250
PARAM_VALUE_MAX = 6000
TAG_VALUE_MAX = 8000
_KEY = re.compile(r"[\w\-./ ]+\Z")


def key_problem(key: str) -> str | None:
    """Why `key` cannot name a metric, param or tag, or None."""
    if not key.strip():
        return "must not be empty"
    if len(key) > KEY_MAX:
        return f"is longer than {KEY_MAX} characters"
    if not _KEY.match(key):
        return "may hold only letters, digits, underscores, dashes, periods, slashes and spaces"
    return None
