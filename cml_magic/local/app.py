"""The FastAPI application: routers, CML's error envelope for every failure, the OpenAPI
description at `/api/v2/swagger.json`, and the server's life (recovery, cron schedules, clean
shutdown).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cml_magic.local import errors, validate
from cml_magic.local.scheduler import Scheduler
from cml_magic.local.store import Store
from cml_magic.local.supervisor import Settings, Supervisor


@dataclass
class ServerState:
    store: Store
    sup: Supervisor
    max_upload_bytes: int = validate.DEFAULT_MAX_UPLOAD_MB * 1024 * 1024


def _error_response(request: Request, code: int, message: str, status: int) -> JSONResponse:
    if request.url.path.startswith("/api/v1/"):
        return JSONResponse({"message": message}, status_code=status)
    return JSONResponse(errors.envelope(code, message), status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            parts.append("request body is not valid JSON")
        elif where:
            parts.append(f"Problem with field {where}: {msg}")
        else:
            parts.append(msg)
    return "; ".join(parts) or "invalid request"


def create_app(
    data_dir: str, settings: Settings, max_upload_mb: int = validate.DEFAULT_MAX_UPLOAD_MB
) -> FastAPI:
    """Build the application over the state in `data_dir`; uploads over `max_upload_mb` MiB
    are refused."""
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
        openapi_url="/api/v2/swagger.json",
        docs_url="/api/v2/swagger.html",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.cml = ServerState(store, sup, max_upload_mb * 1024 * 1024)

    @app.exception_handler(errors.ApiError)
    async def api_error(request: Request, exc: errors.ApiError) -> JSONResponse:
        return _error_response(request, exc.code, exc.message, exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error_response(request, errors.INVALID_ARGUMENT, _validation_message(exc), 400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: errors.NOT_FOUND, 405: errors.UNIMPLEMENTED}.get(exc.status_code, 2)
        message = {404: "Not Found", 405: "Method Not Allowed"}.get(
            exc.status_code, str(exc.detail)
        )
        return _error_response(request, code, message, exc.status_code)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        # A last resort: the details (and any server path in them) go to the server's log only.
        print(f"cml-local: internal error on {request.url.path}: {exc!r}", file=sys.stderr)
        message = f"internal error ({type(exc).__name__}); the server's log has the details"
        return _error_response(request, errors.INTERNAL, message, 500)

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
