"""The FastAPI application: routers, CML's error envelope for every failure, bodies read as
JSON whatever their Content-Type, the server's own OpenAPI description at
`/api/v2/local/openapi.json`, the workspace spec at `/api/v2/swagger.json` and its page at
`/api/v2/swagger.html` (from `--spec`), the workspace's Python client at `/api/v2/python.tar.gz`
and `/api/v2/python.html` (from `--python-client`), and the server's life (recovery, cron
schedules, clean shutdown).
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
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from cml_magic.local import errors, spec_page, validate, web_pages
from cml_magic.local.scheduler import Scheduler
from cml_magic.local.store import Store
from cml_magic.local.supervisor import Supervisor
from cml_magic.local.workloads.base import Settings
from cml_magic.local.workspace_client import Sdist, install_page


@dataclass
class ServerState:
    store: Store
    sup: Supervisor
    max_upload_bytes: int = validate.DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    max_page_size: int | None = None  # pages clipped to this many items (None: no cap)


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


def create_app(
    data_dir: str,
    settings: Settings,
    spec: bytes | None = None,
    max_upload_mb: int = validate.DEFAULT_MAX_UPLOAD_MB,
    python_client: Sdist | None = None,
    max_page_size: int | None = None,
) -> FastAPI:
    """Build the application over the state in `data_dir`; `spec` is the workspace Swagger
    document served at `/api/v2/swagger.json` and `/api/v2/swagger.html`, `python_client` the
    sdist served at `/api/v2/python.tar.gz` and `/api/v2/python.html` (each 404 without);
    uploads over `max_upload_mb` MiB are refused; listing pages hold at most `max_page_size`
    items (None: as many as asked for)."""
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
    app.state.cml = ServerState(store, sup, max_upload_mb * 1024 * 1024, max_page_size)
    app.add_middleware(JsonBodies)

    @app.get("/api/v2/swagger.json", include_in_schema=False)
    def workspace_spec() -> Response:
        if spec is None:
            raise errors.not_found("no workspace spec here: start the server with --spec FILE")
        return Response(spec, media_type="application/json")

    spec_html = spec_page.render(spec) if spec is not None else None

    @app.get("/api/v2/swagger.html", include_in_schema=False)
    def workspace_spec_page() -> HTMLResponse:
        if spec_html is None:
            raise errors.not_found("no workspace spec here: start the server with --spec FILE")
        return HTMLResponse(spec_html)

    no_client = "no workspace client here: start the server with --python-client FILE"

    @app.get("/api/v2/python.tar.gz", include_in_schema=False)
    def workspace_client() -> Response:
        if python_client is None:
            raise errors.not_found(no_client)
        disposition = f'attachment; filename="{python_client.filename}"'
        return Response(
            python_client.data,
            media_type="application/gzip",
            headers={"content-disposition": disposition},
        )

    @app.get("/api/v2/python.html", include_in_schema=False)
    def workspace_client_page(request: Request) -> HTMLResponse:
        if python_client is None:
            raise errors.not_found(no_client)
        tarball = str(request.base_url).rstrip("/") + "/api/v2/python.tar.gz"
        return HTMLResponse(install_page(tarball, python_client))

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

    @app.exception_handler(web_pages.NotShown)
    async def not_shown(request: Request, exc: web_pages.NotShown) -> HTMLResponse:
        return web_pages.not_shown_page(exc)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        # A last resort: the details (and any server path in them) go to the server's log only.
        print(f"cml-local: internal error on {request.url.path}: {exc!r}", file=sys.stderr)
        message = f"internal error ({type(exc).__name__}); the server's log has the details"
        return _error_response(request, errors.INTERNAL, message, 500)

    from cml_magic.local import (
        routes_applications,
        routes_experiments,
        routes_files,
        routes_jobs,
        routes_misc,
        routes_models,
        routes_projects,
        routes_registry,
        routes_users,
        routes_v1,
        routes_workloads,
    )

    for module in (
        routes_projects,
        routes_files,
        routes_jobs,
        routes_models,
        routes_applications,
        routes_misc,
        routes_v1,
        routes_experiments,
        routes_registry,
        routes_users,
        routes_workloads,
    ):
        app.include_router(module.router)
    app.include_router(routes_models.serving)
    app.include_router(web_pages.router)  # last: its `/<owner>/<slug>` must not shadow the API
    return app
