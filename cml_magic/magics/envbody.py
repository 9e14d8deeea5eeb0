"""The body of `%%cml_job_env`: dotenv lines or a JSON object, checked line by line.

python-dotenv skips a statement it cannot read with only a logged warning, so its
parser's statements are read here one by one and a bad one is reported with its line
number; nothing is sent unless the whole body is read.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from cml_magic.api.convert import ENV_NAME, is_env_name
from cml_magic.magics.errors import usage_error

# {name} or {name.attr} from the notebook (ASCII names: the same pattern as a variable's);
# {{ and }} stand for literal braces.
_DOTTED = rf"{ENV_NAME}(?:\.{ENV_NAME})*"
_REFERENCE = re.compile(rf"\{{\{{|\}}\}}|(?<!\$)\{{({_DOTTED})\}}")
# ${VAR} or ${VAR:-default} (python-dotenv's form), or a {name} reference.
_EXPANSION = re.compile(
    rf"\$\{{(?P<var>[^}}:]*)(?::-(?P<default>[^}}]*))?\}}"
    rf"|\{{\{{|\}}\}}|(?<!\$)\{{(?P<name>{_DOTTED})\}}"
)
# What python-dotenv reads before a value (its spaces are never line breaks).
_PREFIX = re.compile(rf"(?:export[^\S\r\n]+)?(?P<key>{ENV_NAME})[^\S\r\n]*=[^\S\r\n]*")
_BARE_KEY = re.compile(rf"\s*(?:export\s+)?{ENV_NAME}\s*\Z")
# python-dotenv's quoted values: a backslash escapes the next character in both.
_QUOTED = {
    "'": re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL),
    '"': re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL),
}
_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def parse_body(body: str, namespace: Mapping[str, Any]) -> dict[str, str]:
    """The environment a cell body describes.

    A body that starts with ``{`` is a JSON object of strings, numbers or booleans.
    Anything else is dotenv: ``KEY=VALUE`` lines, ``export``, quotes, ``#`` comments,
    blank lines and ``${VAR}`` from earlier lines or the kernel's environment; ``{name}``
    in a value is the notebook variable ``name`` (``{{`` for a literal brace). A
    single-quoted value is literal, as in a shell: nothing in it is expanded.
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
        if not is_env_name(key):
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
    """Dotenv lines, one statement at a time in a single pass (python-dotenv's own
    interpolation copies the whole environment once per line, quadratic in the body)."""
    from dotenv.parser import parse_stream

    environment: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(body)):
        text = binding.original.string
        # A statement starts with the blank lines before it: name the line its text is on.
        lead = len(text) - len(text.lstrip())
        number = binding.original.line + _line_breaks(text[:lead])
        text = text[lead:]
        if binding.error:
            raise usage_error(_what_is_wrong(text, number), "bad_body")
        if binding.key is None:
            continue  # a comment or the blank end of the body
        first = text.splitlines()[0].strip()
        if binding.value is None and _BARE_KEY.match(first):
            raise usage_error(
                f"line {number}: {first!r} has no value; write {first}= for an empty one",
                "bad_body",
            )
        prefix = _PREFIX.match(text)
        if binding.value is None or not prefix or prefix["key"] != binding.key:
            raise usage_error(
                f"line {number}: expected KEY=VALUE (dotenv syntax), got {first!r}", "bad_body"
            )
        if text[prefix.end() : prefix.end() + 1] == "'":
            environment[binding.key] = binding.value  # literal, as in a shell
            continue
        raw = text[prefix.end() :]
        environment[binding.key] = _expand(binding.value, raw, number, environment, namespace)
    return environment


def _line_breaks(text: str) -> int:
    return len(_LINE_BREAK.findall(text))


def _what_is_wrong(text: str, number: int) -> str:
    """The message for a statement python-dotenv cannot read (it would skip it)."""
    first = text.splitlines()[0].strip() if text.strip() else text
    prefix = _PREFIX.match(text)
    if prefix:
        quote = text[prefix.end() : prefix.end() + 1]
        if quote in _QUOTED:
            closed = _QUOTED[quote].match(text, prefix.end())
            if not closed:
                return f"line {number}: the {quote} quote is never closed"
            at = number + _line_breaks(closed[0])
            return (
                f"line {at}: text after the closing {quote} quote;"
                " put the whole value inside the quotes"
            )
    return f"line {number}: expected KEY=VALUE (dotenv syntax), got {first!r}"


def _expand(
    value: str,
    raw: str,
    number: int,
    environment: Mapping[str, str],
    namespace: Mapping[str, Any],
) -> str:
    """`value` with ${VAR} (earlier lines, then the kernel's environment) and {name} (the
    notebook) replaced, in one pass: replaced text is not read again. `raw`, the value as
    written, places an undefined {name} on its line of a multi-line value."""

    def replace(match: re.Match[str]) -> str:
        if match["var"] is not None:
            name, default = match["var"], match["default"] or ""
            found = environment.get(name, os.environ.get(name))
            return default if found is None else found
        if match["name"] is None:
            return match[0][0]  # {{ or }}
        try:
            return str(_lookup(match["name"], namespace))
        except (KeyError, AttributeError):
            at = number + _line_breaks(raw[: max(raw.find(match[0]), 0)])
            raise usage_error(
                f"line {at}: {match[0]} is not defined in the notebook"
                " (write {{ and }} for literal braces)",
                "bad_body",
            ) from None

    return _EXPANSION.sub(replace, value)


def _lookup(dotted: str, namespace: Mapping[str, Any]) -> Any:
    head, *rest = dotted.split(".")
    value = namespace[head]
    for attribute in rest:
        value = getattr(value, attribute)
    return value
