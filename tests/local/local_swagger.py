"""Check answers against CML's own Swagger 2.0 description (../shared/cml_swagger.json).

`conforms(method, spec_path, body)` finds the operation's 200 (or `default` error) schema in
the spec and checks the body strictly: every field the definition has is present (grpc-gateway
emits zero values), no other field, each with the spec's JSON type (int64 as a string of digits,
date-time as RFC 3339, enums by value).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / ".." / "shared" / "cml_swagger.json"

_INT64 = re.compile(r"^-?\d+$")


@cache
def spec() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        pytest.skip(f"CML's Swagger file is not at {SPEC_PATH.resolve()}")
    return json.loads(SPEC_PATH.read_text())


def _resolve(schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return name, spec()["definitions"][name]
    return "", schema


def problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way `value` departs from `schema` (empty when it conforms)."""
    name, schema = _resolve(schema)
    label = f"{where} ({name})" if name else where
    if "enum" in schema:
        return [] if value in schema["enum"] else [f"{label}: {value!r} not in {schema['enum']}"]
    kind = schema.get("type", "object")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{label}: expected an object, got {type(value).__name__}"]
        props = schema.get("properties")
        if props is None:  # a map (or an empty message): any keys
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                return [p for k, v in value.items() for p in problems(v, extra, f"{where}.{k}")]
            return []
        found = [f"{label}: unexpected field {k!r}" for k in value if k not in props]
        found += [f"{label}: missing field {k!r}" for k in props if k not in value]
        for key, sub in props.items():
            if key in value:
                found += problems(value[key], sub, f"{where}.{key}")
        return found
    if kind == "array":
        if not isinstance(value, list):
            return [f"{label}: expected an array, got {type(value).__name__}"]
        return [
            p for i, v in enumerate(value) for p in problems(v, schema["items"], f"{where}[{i}]")
        ]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{label}: expected a string, got {value!r}"]
        fmt = schema.get("format")
        if fmt in ("int64", "uint64") and not _INT64.match(value):
            return [f"{label}: int64 must be a string of digits, got {value!r}"]
        if fmt == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return [f"{label}: not an RFC 3339 time: {value!r}"]
            if not value.endswith("Z"):
                return [f"{label}: time not in UTC: {value!r}"]
        return []
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{label}: expected an integer (JSON number), got {value!r}"]
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{label}: expected a number, got {value!r}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{label}: expected a boolean, got {value!r}"]
    return [f"{label}: unknown schema type {kind!r}"]


def response_schema(method: str, spec_path: str, status: int = 200) -> dict[str, Any] | None:
    operation = spec()["paths"][spec_path][method.lower()]
    answer = operation["responses"].get(str(status)) if status == 200 else None
    if answer is None:
        answer = operation["responses"]["default"]
    return answer.get("schema")


def conforms(method: str, spec_path: str, body: Any, status: int = 200) -> None:
    """Assert that `body` is what the spec says `method spec_path` answers with `status`."""
    schema = response_schema(method, spec_path, status)
    assert schema is not None, f"the spec gives no schema for {method} {spec_path}"
    found = problems(body, schema)
    assert not found, f"{method} {spec_path}:\n" + "\n".join(found)
