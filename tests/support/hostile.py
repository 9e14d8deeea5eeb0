"""Helpers for the hostile-input tests: one user's raw HTTP calls to a local server, and the
rule every refusal must follow (a 4xx in CML's envelope, short, without server paths)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import requests

from cml_magic.local import LocalCML

# A refusal quotes at most ~100 characters of the input: with the rest of its sentence it
# stays well under this.
MESSAGE_MAX = 400


class User:
    """Plain HTTP calls to one server as one user; `send` takes any JSON text, even JSON
    Python would not write itself (lone surrogates arrive as `\\ud800` escapes)."""

    def __init__(self, server: LocalCML, name: str) -> None:
        self.server = server
        self.name = name
        self.base = server.url + "/api/v2"
        self.session = requests.Session()
        self.session.headers["authorization"] = "Bearer " + server.keys[name]

    def send(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        if body is not None:
            kw["data"] = body if isinstance(body, str | bytes | Iterator) else json.dumps(body)
            kw["headers"] = {"content-type": "application/json", **kw.get("headers", {})}
        url = path if path.startswith("http") else self.base + path
        return self.session.request(method, url, timeout=60, **kw)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        resp = self.send(method, path, body, **kw)
        assert resp.status_code == 200, (method, path, resp.status_code, resp.text[:500])
        return resp.json()

    def refused(
        self, method: str, path: str, body: Any = None, status: int | None = None, **kw: Any
    ) -> str:
        """Send what must be refused; check the refusal and return its message."""
        resp = self.send(method, path, body, **kw)
        return check_refusal(self.server, resp, status, f"{method} {path[:80]}")

    def project(self, name: str) -> dict[str, Any]:
        found = self.ok("GET", "/projects", params={"include_public_projects": "true",
                                                   "page_size": 1000})["projects"]  # fmt: skip
        return next(p for p in found if p["name"] == name)

    def scratch(self, files: dict[str, str] | None = None) -> dict[str, Any]:
        """A fresh project of this user's, holding `files` (path -> text)."""
        project = self.ok("POST", "/projects", {"name": f"hostile-{time.monotonic_ns()}"})
        if files:
            upload = {
                path: (path.rsplit("/", 1)[-1], text.encode()) for path, text in files.items()
            }
            resp = self.session.post(
                f"{self.base}/projects/{project['id']}/files", files=upload, timeout=60
            )
            assert resp.status_code == 200, resp.text
        return project


def v1_auth(server: LocalCML, user: str) -> tuple[str, str]:
    """HTTP Basic for API v1: the user's legacy key where the server gives users one."""
    legacy: dict[str, str] = getattr(server, "legacy_keys", {})
    return (legacy.get(user) or server.keys[user], "")


def check_refusal(
    server: LocalCML, resp: requests.Response, status: int | None = None, what: str = ""
) -> str:
    assert 400 <= resp.status_code < 500, (what, resp.status_code, resp.text[:500])
    if status is not None:
        assert resp.status_code == status, (what, resp.status_code, resp.text[:500])
    assert str(server.data_dir) not in resp.text, (what, resp.text[:500])
    assert "/tmp/" not in resp.text and "Traceback" not in resp.text, (what, resp.text[:500])
    body = resp.json()
    message = body["message"] if "message" in body else str(body)
    assert len(message) <= MESSAGE_MAX, (what, len(message), message[:500])
    return str(message)


def listings_work(server: LocalCML, *users: User) -> None:
    """Every listing answers 200 for every user (one stored bad value would break them)."""
    for user in users:
        projects = user.ok("GET", "/projects", params={"include_public_projects": "true",
                                                      "page_size": 1000})["projects"]  # fmt: skip
        user.ok("GET", "/projects", params={"search_filter": '{"name": "a"}'})
        user.ok("GET", "/jobs", params={"page_size": 1000})
        user.ok("GET", "/models", params={"page_size": 1000})
        for project in projects:
            pid = project["id"]
            user.ok("GET", f"/projects/{pid}")
            user.ok("GET", f"/projects/{pid}/jobs", params={"page_size": 1000})
            user.ok("GET", f"/projects/{pid}/models", params={"page_size": 1000})
            user.ok("GET", f"/projects/{pid}/applications", params={"page_size": 1000})
            user.ok("GET", f"/projects/{pid}/files/%2F")
            owner = project["owner"]["username"]
            v1 = f"{server.url}/api/v1/projects/{owner}/{project['slug']}/jobs"
            resp = requests.get(v1, auth=v1_auth(server, user.name), timeout=60)
            assert resp.status_code == 200, (v1, resp.status_code, resp.text[:300])
