"""CML's own Swagger 2.0 description of API v2 as a judge of requests and answers.

The spec is `<repo>/../shared/cml_swagger.json` (CI lays shared/ beside the clone), or the file
named by `$CML_SWAGGER`; without it every check skips, saying where it looked. A skip is decided
where the spec is first needed: in a fixture or at a test's start (`Recorder()` needs it when
made), never inside a request hook, where a client or a cell could swallow it.

* `operation(method, path)`: the spec operation a concrete URL path is (path templates such as
  `/projects/{project_id}/jobs/{job.id}` and custom methods such as `.../runs/{run_id}:stop`
  become matchers; `basePath` is honoured), or None.
* `problems(value, schema)`: every way a JSON value departs from a schema: fields the schema
  does not define (recursively, through arrays, nested objects and maps), fields it defines but
  the answer lacks (grpc-gateway emits zero values), and types: int64 travels as a string of
  digits, int32 as a JSON number, date-time as an RFC 3339 string, enums by value.
* `conforms(method, template, body, status)`: assert an answer is the operation's 200 (or
  `default` error, `runtimeError`) schema.
* `request_problems(request)`: ways a sent request is not an operation of the spec (method and
  path, query parameters, JSON body fields and types, multipart), or not a documented v1 call.
* `Recorder`: a response hook on a `requests.Session` that keeps every request with its answer
  and checks both; made only where the spec is (it skips the test otherwise).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]  # tests/support/swagger.py
DEFAULT_SPEC = REPO.parent / "shared" / "cml_swagger.json"

# A call of a deployed model: CML's model service (`modelservice.<domain>/model`, as its peers
# call it: cml_peers.md 4.3), beside API v2 and not in its spec.
MODEL_CALL = ("POST", "/model")
# The legacy API v1 routes CML documents or its peers use (cml_api_v2.md sections 1.1 and 9,
# cml_peers.md: cmlutils, cmlbootstrap); nothing else of v1.
V1_ROUTES = (
    ("POST", "/api/v1/users/{username}/apikey"),
    ("GET", "/api/v1/users/{username}"),
    ("GET", "/api/v1/runtimes"),
    ("GET", "/api/v1/projects/{owner}/{slug}"),
    ("GET", "/api/v1/projects/{owner}/{slug}/environment"),
    ("PUT", "/api/v1/projects/{owner}/{slug}/environment"),
    ("GET", "/api/v1/projects/{owner}/{slug}/jobs"),
    ("POST", "/api/v1/projects/{owner}/{slug}/jobs"),
    ("GET", "/api/v1/projects/{owner}/{slug}/jobs/{job_id}"),
    ("DELETE", "/api/v1/projects/{owner}/{slug}/jobs/{job_id}"),
    ("POST", "/api/v1/projects/{owner}/{slug}/jobs/{job_id}/start"),
    ("POST", "/api/v1/projects/{owner}/{slug}/jobs/{job_id}/stop"),
)

_DIGITS = re.compile(r"-?\d+\Z")
_UDIGITS = re.compile(r"\d+\Z")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
_INT32 = (-(2**31), 2**31 - 1)
_PLACEHOLDER = re.compile(r"\{[^}]+\}")


def spec_file() -> Path:
    """Where the spec is looked for: `$CML_SWAGGER`, else `<repo>/../shared/cml_swagger.json`."""
    return Path(os.environ.get("CML_SWAGGER") or DEFAULT_SPEC).resolve()


@cache
def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def spec() -> dict[str, Any]:
    """The parsed spec; skips the calling test when the file is absent."""
    path = spec_file()
    if not path.is_file():
        pytest.skip(f"CML's Swagger spec is not at {path} (set CML_SWAGGER to its location)")
    return _load(path)


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: `GET /api/v2/projects/{project_id}` and its description."""

    method: str  # upper case
    template: str  # with basePath
    body: dict[str, Any] = field(hash=False, compare=False)

    def parameters(self, where: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.body.get("parameters", []) if p.get("in") == where}

    def response_schema(self, status: int) -> dict[str, Any] | None:
        responses = self.body["responses"]
        answer = responses.get(str(status)) if 200 <= status < 300 else None
        if answer is None:
            answer = responses.get("default", {})
        schema: dict[str, Any] | None = answer.get("schema")
        return schema

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


@cache
def _matchers(path: Path) -> list[tuple[re.Pattern[str], Operation]]:
    loaded = _load(path)
    base = (loaded.get("basePath") or "").rstrip("/")
    found = []
    for template, item in loaded["paths"].items():
        # A path value never holds `/` or `:` unescaped (a client quotes ids and file paths as
        # one segment), so `{run_id}` cannot swallow a custom method such as `:stop`.
        pattern = "".join(
            "[^/:]+" if _PLACEHOLDER.fullmatch(part) else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", base + template)
        )
        for method, body in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                op = Operation(method.upper(), base + template, body)
                found.append((re.compile(pattern + r"\Z"), op))
    # Literal segments first: `/projects/batch` is not `/projects/{project_id}`.
    found.sort(key=lambda item: item[1].template.count("{"))
    return found


def operations() -> list[Operation]:
    """Every operation of the spec."""
    spec()
    return [op for _, op in _matchers(spec_file())]


def operation(method: str, path: str) -> Operation | None:
    """The operation that `method path` (a concrete, still percent-encoded path) is."""
    spec()
    for pattern, op in _matchers(spec_file()):
        if op.method == method.upper() and pattern.match(path):
            return op
    return None


def v1_route(method: str, path: str) -> str | None:
    """The documented v1 route (a template) that `method path` is, or None."""
    for verb, template in V1_ROUTES:
        # The numeric job id of CML's web addresses; owner and project slug are names.
        pattern = _PLACEHOLDER.sub("[^/]+", template.replace("{job_id}", r"\d+"))
        if verb == method.upper() and re.fullmatch(pattern, path):
            return template
    return None


def shape(template: str) -> str:
    """A path template with its parameter names erased: `/a/{x}/b/{y:path}` -> `/a/{}/b/{}`."""
    return _PLACEHOLDER.sub("{}", template)


def _resolve(schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ref = schema.get("$ref")
    if not ref:
        return "", schema
    name = ref.rsplit("/", 1)[-1]
    return name, spec()["definitions"][name]


def problems(
    value: Any, schema: dict[str, Any], where: str = "$", complete: bool = True
) -> list[str]:
    """Every way `value` departs from `schema` (empty when it conforms).

    `complete`: every field the schema defines must be present (true of CML's answers, whose
    gateway emits zero values; a request body sends only the fields it sets).
    """
    name, schema = _resolve(schema)
    label = f"{where} ({name})" if name else where
    kind = schema.get("type", "object")
    if "enum" in schema:
        ok = value in schema["enum"]
        return [] if ok else [f"{label}: {value!r} is not one of {schema['enum']}"]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{label}: expected an object, got {type(value).__name__}"]
        props = schema.get("properties")
        if props is None:  # a map (additionalProperties) or an empty message: any keys
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                return [
                    p
                    for k, v in value.items()
                    for p in problems(v, extra, f"{where}.{k}", complete)
                ]
            return []
        found = [f"{label}: field {k!r} is not in the spec" for k in value if k not in props]
        if complete:
            found += [f"{label}: field {k!r} is missing" for k in props if k not in value]
        for key, sub in props.items():
            if key in value:
                found += problems(value[key], sub, f"{where}.{key}", complete)
        return found
    if kind == "array":
        if not isinstance(value, list):
            return [f"{label}: expected an array, got {type(value).__name__}"]
        items = schema.get("items", {})
        return [
            p for i, v in enumerate(value) for p in problems(v, items, f"{where}[{i}]", complete)
        ]
    return _scalar_problems(value, kind, schema.get("format"), label)


def _scalar_problems(value: Any, kind: str, fmt: str | None, label: str) -> list[str]:
    if kind == "string":
        if not isinstance(value, str):
            return [f"{label}: expected a string ({fmt or 'text'}), got {value!r}"]
        if fmt == "int64" and not _DIGITS.match(value):
            return [f"{label}: int64 travels as a string of digits, got {value!r}"]
        if fmt == "uint64" and not _UDIGITS.match(value):
            return [f"{label}: uint64 travels as a string of digits, got {value!r}"]
        if fmt == "date-time":
            try:
                ok = bool(_RFC3339.match(value)) and bool(
                    datetime.fromisoformat(value.replace("Z", "+00:00"))
                )
            except ValueError:
                ok = False
            if not ok:
                return [f"{label}: not an RFC 3339 time: {value!r}"]
        if fmt == "byte":
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                return [f"{label}: not base64: {value!r}"]
        return []
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{label}: expected an integer (a JSON number), got {value!r}"]
        if fmt == "int32" and not _INT32[0] <= value <= _INT32[1]:
            return [f"{label}: {value} does not fit an int32"]
        return []
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{label}: expected a number, got {value!r}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{label}: expected a boolean, got {value!r}"]
    return [f"{label}: unknown schema type {kind!r}"]


def _template_op(method: str, template: str) -> Operation:
    for op in operations():
        if op.method == method.upper() and op.template == template:
            return op
    raise AssertionError(f"the spec has no operation {method.upper()} {template}")


def response_schema(method: str, template: str, status: int = 200) -> dict[str, Any] | None:
    """The schema of the operation's answer with `status` (non-2xx: the `default` one)."""
    return _template_op(method, template).response_schema(status)


def conforms(method: str, template: str, body: Any, status: int = 200) -> None:
    """Assert that `body` is what the spec says `method template` answers with `status`."""
    schema = response_schema(method, template, status)
    assert schema is not None, f"the spec gives no schema for {method} {template}"
    found = problems(body, schema)
    assert not found, f"{method.upper()} {template} -> {status}:\n" + "\n".join(found)


def _query_value_problem(value: str, param: dict[str, Any]) -> str | None:
    kind = param.get("type")
    if kind == "integer" and not _DIGITS.match(value):
        return f"{value!r} is not an integer"
    if kind == "boolean" and value not in ("true", "false", "True", "False", "1", "0"):
        return f"{value!r} is not a boolean"
    if kind == "string" and param.get("format") == "int64" and not _DIGITS.match(value):
        return f"{value!r} is not an int64"
    if "enum" in param and value not in param["enum"]:
        return f"{value!r} is not one of {param['enum']}"
    return None


def request_problems(request: requests.PreparedRequest) -> list[str]:
    """Ways in which one sent request is not an operation of the spec (or documented v1)."""
    method = (request.method or "").upper()
    parts = urlsplit(request.url or "")
    path = parts.path
    label = f"{method} {unquote(path)}"
    if path.startswith("/api/v1/"):
        if v1_route(method, path) is not None:
            return []
        return [f"{label}: not a documented v1 route"]
    if (method, path) == MODEL_CALL:
        return []
    op = operation(method, path)
    if op is None:
        return [f"{label}: no such operation in the spec"]
    label = f"{label} ({op.template})"
    found = []
    declared = op.parameters("query")
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in declared:
            found.append(f"{label}: query parameter {name!r} is not declared")
        elif (wrong := _query_value_problem(value, declared[name])) is not None:
            found.append(f"{label}: query parameter {name}={wrong}")
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and request.body:
        bodies = list(op.parameters("body").values())
        if not bodies:
            found.append(f"{label}: sends a JSON body the operation does not take")
        else:
            data = json.loads(request.body)
            found += [
                f"{label}: body {p}" for p in problems(data, bodies[0]["schema"], complete=False)
            ]
    if content_type.startswith("multipart/") and "multipart/form-data" not in op.body.get(
        "consumes", []
    ):
        found.append(f"{label}: multipart body not accepted here")
    return found


def answer_problems(response: requests.Response) -> list[str]:
    """Ways in which a v2 JSON answer departs from its operation's response schema."""
    request = response.request
    method = (request.method or "").upper()
    path = urlsplit(request.url or "").path
    op = operation(method, path) if path.startswith("/api/v2/") else None
    if op is None or not response.headers.get("Content-Type", "").startswith("application/json"):
        return []
    status = response.status_code
    label = f"{op} -> {status}"
    try:
        body = response.json()
    except ValueError:
        return [f"{label}: answer is not JSON"]
    schema = op.response_schema(status)
    if schema is None and status >= 300:
        # Some operations leave their error answer undescribed; CML's gateway sends its one
        # error envelope for every operation.
        schema = {"$ref": "#/definitions/runtimeError"}
    if schema is None:  # the spec describes no answer: at most an empty message
        return [] if body == {} else [f"{label}: the spec gives no answer body, got {body!r}"]
    return [f"{label}: {p}" for p in problems(body, schema)]


@dataclass
class Exchange:
    """One request as sent and the answer it got."""

    method: str
    path: str  # percent-encoded, as sent
    status: int
    operation: Operation | None
    route: str | None  # the template, parameter names erased: `/api/v2/projects/{}`


class Recorder:
    """Collects every request a session sends and its answer, and what is wrong with them."""

    def __init__(self, check_answers: bool = False) -> None:
        spec()  # skips here, where the test is set up, never inside the hook
        self.check_answers = check_answers
        self.exchanges: list[Exchange] = []
        self.requests: list[requests.PreparedRequest] = []
        self.problems: list[str] = []

    def watch(self, session: requests.Session) -> None:
        session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        method = (request.method or "").upper()
        path = urlsplit(request.url or "").path
        self.requests.append(request)
        op = operation(method, path)
        template = op.template if op else v1_route(method, path)
        route = shape(template) if template else None
        self.exchanges.append(Exchange(method, path, response.status_code, op, route))
        self.problems += request_problems(request)
        if self.check_answers:
            self.problems += answer_problems(response)

    def seen(self) -> list[str]:
        return [f"{e.method} {e.path}" for e in self.exchanges]
