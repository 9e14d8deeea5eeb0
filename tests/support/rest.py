"""Plain HTTP calls to the local server as one user (a thin `requests` wrapper), scratch
projects, jobs and runs, and the wait for a run to end."""

from __future__ import annotations

import time
from typing import Any

import requests

from cml_magic.local import LocalCML
from cml_magic.local.store import run_console_path

from .waits import RUN_FINAL, wait_status

ZERO_TIME = "0001-01-01T00:00:00Z"


class Api:
    """Plain HTTP calls to one server as one user (Bearer key for v2)."""

    def __init__(self, server: LocalCML, user: str = "alice") -> None:
        self.server = server
        self.base = server.url + "/api/v2"
        self.session = requests.Session()
        self.session.headers["authorization"] = "Bearer " + server.keys[user]

    def call(self, method: str, path: str, expect: int | None = 200, **kw: Any) -> Any:
        resp = self.session.request(method, self.base + path, timeout=30, **kw)
        if expect is not None:
            assert resp.status_code == expect, (resp.status_code, resp.text)
        try:
            return resp.json()
        except ValueError:
            return resp

    def get(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.call("GET", path, expect, **kw)

    def post(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.call("POST", path, expect, **kw)

    def patch(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.call("PATCH", path, expect, **kw)

    def delete(self, path: str, expect: int | None = 200, **kw: Any) -> Any:
        return self.call("DELETE", path, expect, **kw)

    def project(self, name: str) -> dict[str, Any]:
        found = self.get(
            "/projects",
            params={
                "search_filter": f'{{"name":"{name}"}}',
                "include_public_projects": "true",
                "page_size": 100,
            },
        )["projects"]
        return next(p for p in found if p["name"] == name)

    def job(self, project_id: str, name: str) -> dict[str, Any]:
        jobs = self.get(f"/projects/{project_id}/jobs", params={"page_size": 100})["jobs"]
        return next(j for j in jobs if j["name"] == name)

    def download(self, project_id: str, path: str) -> requests.Response:
        return self.session.post(
            f"{self.base}/projects/{project_id}/files/{path}:download", timeout=30
        )


def wait_run(api: Api, run: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    path = f"/projects/{run['project_id']}/jobs/{run['job_id']}/runs/{run['id']}"
    return wait_status(lambda: api.get(path), lambda r: r["status"] in RUN_FINAL)


def make_project(api: Api, files: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A fresh project (unique name) holding `files` (path -> text), uploaded over HTTP."""
    name = f"t-{time.monotonic_ns()}"
    project = api.post("/projects", json={"name": name, **fields})
    if files:
        api.post(
            f"/projects/{project['id']}/files",
            files={path: (path.rsplit("/", 1)[-1], text.encode()) for path, text in files.items()},
        )
    return project


def make_job(api: Api, project: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"name": f"job-{time.monotonic_ns()}", **fields}
    return api.post(f"/projects/{project['id']}/jobs", json=body)


def start_run(api: Api, job: dict[str, Any], **body: Any) -> dict[str, Any]:
    return api.post(
        f"/projects/{job['project']['public_identifier']}/jobs/{job['id']}/runs", json=body
    )


def run_log(api: Api, run: dict[str, Any]) -> str:
    """The run's console as the server keeps it (outside the project, as CML does)."""
    return console_text(api.server, run["id"])


def console_text(server: LocalCML, run_id: str) -> str:
    """The console of run `run_id` so far ("" before it wrote anything)."""
    path = run_console_path(server.data_dir, run_id)
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
