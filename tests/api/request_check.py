"""Check every request the client sends against CML's Swagger spec (plus the v1 job paths).

A response hook on the client's session records each request: its path must be one of the
spec's paths with that method, its query parameters ones the operation declares, and the
fields of a JSON body ones the body's definition has.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

SPEC_PATH = Path(__file__).resolve().parents[2] / ".." / "shared" / "cml_swagger.json"

V1_PATHS = (
    ("GET", re.compile(r"/api/v1/projects/[^/]+/[^/]+/jobs\Z")),
    ("POST", re.compile(r"/api/v1/projects/[^/]+/[^/]+/jobs/\d+/start\Z")),
)


@cache
def spec() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        pytest.skip(f"CML's Swagger file is not at {SPEC_PATH.resolve()}")
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    for template in spec()["paths"]:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        compiled.append((re.compile(pattern + r"\Z"), template))
    # Literal paths first: `/projects/batch` is not `/projects/{project_id}`.
    compiled.sort(key=lambda item: item[1].count("{"))
    return compiled


def _definition(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        found: dict[str, Any] = spec()["definitions"][ref.rsplit("/", 1)[-1]]
        return found
    return schema


def problems(request: requests.PreparedRequest) -> list[str]:
    """Ways in which one sent request is not an operation of the spec."""
    method = (request.method or "").upper()
    parts = urlsplit(request.url or "")
    path = parts.path
    label = f"{method} {path}"
    if path.startswith("/api/v1/"):
        if any(m == method and p.match(path) for m, p in V1_PATHS):
            return []
        return [f"{label}: not a known v1 path"]
    operation = None
    for pattern, template in _templates():
        if pattern.match(path) and method.lower() in spec()["paths"][template]:
            operation = spec()["paths"][template][method.lower()]
            break
    if operation is None:
        return [f"{label}: no such operation in the spec"]
    found = []
    declared = {p["name"]: p for p in operation.get("parameters", [])}
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if declared.get(name, {}).get("in") != "query":
            found.append(f"{label}: query parameter {name!r} is not declared")
    content_type = request.headers.get("Content-Type", "")
    body = request.body
    if content_type.startswith("application/json") and body:
        params = [p for p in declared.values() if p.get("in") == "body"]
        if not params:
            found.append(f"{label}: sends a JSON body the operation does not take")
        else:
            schema = _definition(params[0]["schema"])
            allowed = schema.get("properties")
            data = json.loads(body)
            if allowed is not None:
                found += [
                    f"{label}: body field {k!r} not in the spec" for k in data if k not in allowed
                ]
    if content_type.startswith("multipart/") and "multipart/form-data" not in operation.get(
        "consumes", []
    ):
        found.append(f"{label}: multipart body not accepted here")
    return found


class Recorder:
    """Collects every request a session sends, and what is wrong with it."""

    def __init__(self) -> None:
        self.requests: list[requests.PreparedRequest] = []
        self.problems: list[str] = []

    def watch(self, session: requests.Session) -> None:
        session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.requests.append(response.request)
        self.problems += problems(response.request)

    def seen(self) -> list[str]:
        return [f"{r.method} {urlsplit(r.url or '').path}" for r in self.requests]
