"""The body of `%%cml_job_env`: dotenv lines or a JSON object, checked line by line.

python-dotenv skips lines it cannot read with only a logged warning, so every line
is checked here first and a bad one is reported with its line number.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from typing import Any

from cml_magic.magics.errors import usage_error

_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)\Z")
_BARE_KEY = re.compile(r"\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*\Z")
# {name} or {name.attr} from the notebook; {{ and }} stand for literal braces.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(rf"\{{\{{|\}}\}}|(?<!\$)\{{({_NAME}(?:\.{_NAME})*)\}}")


def parse_body(body: str, namespace: Mapping[str, Any]) -> dict[str, str]:
    """The environment a cell body describes.

    A body that starts with ``{`` is a JSON object of strings, numbers or booleans.
    Anything else is dotenv: ``KEY=VALUE`` lines, ``export``, quotes, ``#`` comments,
    blank lines and ``${VAR}`` from the kernel's environment; ``{name}`` in a value is
    the notebook variable ``name`` (``{{`` for a literal brace).
    """
    whole = _REFERENCE.fullmatch(body.strip())
    if whole and whole[1]:
        return _from_variable(whole[1], namespace)
    if body.lstrip().startswith("{"):
        return _parse_json(body)
    return _parse_dotenv(body, namespace)


def _from_variable(name: str, namespace: Mapping[str, Any]) -> dict[str, str]:
    """A body that is just ``{name}``: the notebook's dict `name` is the environment."""
    try:
        value = _lookup(name, namespace)
    except (KeyError, AttributeError):
        message = f"line 1: {{{name}}} is not defined in the notebook"
        raise usage_error(message, "bad_body") from None
    if not isinstance(value, Mapping):
        raise usage_error(
            f"{{{name}}} alone must name a dict of variables, not a {type(value).__name__}",
            "bad_body",
        )
    return _checked(dict(value))


def _parse_json(body: str) -> dict[str, str]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise usage_error(
            f"line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno})", "bad_body"
        ) from None
    if not isinstance(data, dict):
        raise usage_error("the JSON body must be an object of NAME: value", "bad_body")
    return _checked(data)


def _checked(data: dict[Any, Any]) -> dict[str, str]:
    """Variables from JSON or a dict: names checked, scalar values turned into text."""
    environment = {}
    for key, value in data.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise usage_error(f"bad variable name {key!r}: use letters, digits and _", "bad_body")
        if isinstance(value, bool):
            environment[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            environment[key] = str(value)
        else:
            raise usage_error(
                f"{key}: a value must be a string, number or boolean, not {type(value).__name__}",
                "bad_body",
            )
    return environment


def _parse_dotenv(body: str, namespace: Mapping[str, Any]) -> dict[str, str]:
    from dotenv import dotenv_values

    lines = body.splitlines()
    quote: str | None = None  # the quote a multi-line value is still open with
    opened = 0  # and the line it was opened on
    for number, line in enumerate(lines, start=1):
        if quote:
            # A line inside a multi-line quoted value is part of that value: its {name}s too.
            _check_references(line, number, namespace)
            if _closes(line, quote):
                quote = None
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if not match:
            if _BARE_KEY.match(line):
                raise usage_error(
                    f"line {number}: {stripped!r} has no value; write {stripped}= for an empty one",
                    "bad_body",
                )
            raise usage_error(
                f"line {number}: expected KEY=VALUE (dotenv syntax), got {stripped!r}", "bad_body"
            )
        value = match["value"]
        if value[:1] in "'\"" and value and not _closes(value[1:], value[0]):
            quote, opened = value[0], number
        _check_references(value, number, namespace)
    if quote:
        raise usage_error(f"line {opened}: the {quote} quote is never closed", "bad_body")
    parsed = dotenv_values(stream=io.StringIO(body), interpolate=True)
    return {key: _substitute(value or "", namespace) for key, value in parsed.items()}


def _closes(text: str, quote: str) -> bool:
    """Whether `text` holds the unescaped `quote` that ends a value."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return True
    return False


def _check_references(value: str, number: int, namespace: Mapping[str, Any]) -> None:
    for match in _REFERENCE.finditer(value):
        if match[1]:
            try:
                _lookup(match[1], namespace)
            except (KeyError, AttributeError):
                raise usage_error(
                    f"line {number}: {{{match[1]}}} is not defined in the notebook"
                    " (write {{ and }} for literal braces)",
                    "bad_body",
                ) from None


def _lookup(dotted: str, namespace: Mapping[str, Any]) -> Any:
    head, *rest = dotted.split(".")
    value = namespace[head]
    for attribute in rest:
        value = getattr(value, attribute)
    return value


def _substitute(value: str, namespace: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match[1] is None:
            return match[0][0]
        return str(_lookup(match[1], namespace))

    return _REFERENCE.sub(replace, value)
