"""The FastAPI application: routers, CML's error envelope for every failure, bodies read as
JSON whatever their Content-Type, the server's own OpenAPI description at
`/api/v2/local/openapi.json`, the workspace spec at `/api/v2/swagger.json` (from `--spec`),
and the server's life (recovery, cron schedules, clean shutdown).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from cml_magic.local import errors
from cml_magic.local.scheduler import Scheduler
from cml_magic.local.store import Store
from cml_magic.local.supervisor import Supervisor
from cml_magic.local.workloads.base import Settings


@dataclass
class ServerState:
    store: Store
    sup: Supervisor


def _error_response(request: Request, code: int, message: str, status: int) -> JSONResponse:
    if request.url.path.startswith("/api/v1/"):
        return JSONResponse({"message": message}, status_code=status)
    return JSONResponse(errors.envelope(code, message), status_code=status)


# HTTP status -> the gRPC code grpc-gateway would have sent with it.
_CODE_OF_STATUS = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 429: 8, 501: 12, 503: 14}
_STATUS_TEXT = {404: "Not Found", 405: "Method Not Allowed"}
OWN_OPENAPI = "/api/v2/local/openapi.json"


class JsonBodies:
    """grpc-gateway decodes an API v2 body as JSON whatever its Content-Type says (`curl -d`
    sends form encoding, `requests.post(data=...)` none): so does this server, multipart
    uploads apart."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("POST", "PUT", "PATCH")
            and scope["path"].startswith("/api/v2/")
        ):
            headers = list(scope["headers"])
            given = next((v for k, v in headers if k == b"content-type"), b"").lower()
            kind = given.split(b";")[0].strip()
            if not (kind.startswith(b"multipart/") or kind.endswith((b"/json", b"+json"))):
                headers = [(k, v) for k, v in headers if k != b"content-type"]
                headers.append((b"content-type", b"application/json"))
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def read_spec(path: str) -> bytes:
    """The workspace spec given with `--spec`, checked to be JSON; ValueError says why not."""
    try:
        data = Path(path).read_bytes()
        json.loads(data)
    except OSError as exc:
        raise ValueError(f"--spec {path}: cannot read it ({exc.strerror})") from None
    except ValueError:
        raise ValueError(f"--spec {path}: not a JSON file") from None
    return data


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]  # where the field came from is no part of CML's wording
        where = ".".join(str(p) for p in loc)
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            parts.append("request body is not valid JSON")
        elif not where and err.get("type") in ("dict_type", "model_attributes_type"):
            parts.append("request body must be a JSON object")
        elif where:
            parts.append(f"Problem with field {where}: {msg}")
        else:
            parts.append(msg)
    return "; ".join(parts) or "invalid request"


def create_app(data_dir: str, settings: Settings, spec: bytes | None = None) -> FastAPI:
    """Build the application over the state in `data_dir`; `spec` is the workspace Swagger
    document served at `/api/v2/swagger.json` (404 without one)."""
    store = Store(data_dir)  # type: ignore[arg-type]
    sup = Supervisor(store, settings)
    # A scheduled run is started as the job's creator, like one started from the job's page.
    cron = Scheduler(store, lambda job: sup.create_run(job, job["creator"]))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sup.recover()
        cron.start()
        yield
        cron.stop()
        sup.shutdown()
        store.close()

    app = FastAPI(
        title="cml-local: a local Cloudera Machine Learning API v2",
        version="2",
        openapi_url=OWN_OPENAPI,
        docs_url="/api/v2/local/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.cml = ServerState(store, sup)
    app.add_middleware(JsonBodies)

    @app.get("/api/v2/swagger.json", include_in_schema=False)
    def workspace_spec() -> Response:
        if spec is None:
            raise errors.not_found("no workspace spec here: start the server with --spec FILE")
        return Response(spec, media_type="application/json")

    @app.exception_handler(errors.ApiError)
    async def api_error(request: Request, exc: errors.ApiError) -> JSONResponse:
        return _error_response(request, exc.code, exc.message, exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error_response(request, errors.INVALID_ARGUMENT, _validation_message(exc), 400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _CODE_OF_STATUS.get(exc.status_code, 2)
        message = _STATUS_TEXT.get(exc.status_code, str(exc.detail))
        return _error_response(request, code, message, exc.status_code)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        print(f"cml-local: internal error on {request.url.path}: {exc!r}", file=sys.stderr)
        return _error_response(request, errors.INTERNAL, f"internal error: {exc}", 500)

    from cml_magic.local import (
        routes_applications,
        routes_files,
        routes_jobs,
        routes_misc,
        routes_models,
        routes_projects,
        routes_v1,
    )

    for module in (
        routes_projects,
        routes_files,
        routes_jobs,
        routes_models,
        routes_applications,
        routes_misc,
        routes_v1,
    ):
        app.include_router(module.router)
    app.include_router(routes_models.serving)
    return app
