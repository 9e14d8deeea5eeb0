"""What every endpoint needs: the caller (from the API key), the store, the supervisor, and
look-ups that apply CML's visibility rule (own projects and public ones; 404 for the rest).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from cml_magic.local import ids
from cml_magic.local.errors import bad_request, forbidden, not_found, unauthenticated
from cml_magic.local.listing import ListParams
from cml_magic.local.store import LEGACY_KEY, V2_KEY, Doc, Store
from cml_magic.local.supervisor import Supervisor

BEARER_MISSING = 'missing "Bearer " prefix in "authorization" header'
VALIDATE_PATH = "/api/v2/auth/validate_key"


@dataclass
class Ctx:
    """The state of one authenticated request."""

    store: Store
    sup: Supervisor
    user: dict[str, str]
    audiences: tuple[str, ...] = ("API",)  # who accepts the caller's key

    @property
    def username(self) -> str:
        return self.user["username"]

    def project(self, project_id: str, write: bool = False) -> Doc:
        """A project the caller may see (and, with `write`, change)."""
        check_id("ProjectId", project_id)
        doc = self.store.get("project", project_id)
        if doc is None or not self.can_see(doc):
            raise not_found(f"project {project_id} not found")
        if write and doc["owner"] != self.username:
            raise forbidden(f"user {self.username} may not change project {project_id}")
        return doc

    def can_see(self, project: Doc) -> bool:
        return bool(project["owner"] == self.username or project.get("visibility") == "public")

    def visible(self, kind: str) -> list[tuple[Doc, Doc]]:
        """Every document of `kind` in a project the caller may see, with its project."""
        return [
            (doc, project)
            for project in self.store.find("project")
            if self.can_see(project)
            for doc in self.store.find(kind, project["id"])
        ]

    def job(self, project_id: str, job_id: str, write: bool = False) -> tuple[Doc, Doc]:
        project = self.project(project_id, write)
        check_id("JobId", job_id)
        job = self.store.get("job", job_id)
        if job is None or job["project_id"] != project_id:
            raise not_found(f"job {job_id} not found in project {project_id}")
        return project, job

    def child(self, kind: str, id_: str, project_id: str, **parents: str) -> Doc:
        """A document of `kind` that belongs to the project (and to the given parents)."""
        doc = self.store.get(kind, id_)
        if doc is None or doc.get("project_id") != project_id:
            raise not_found(f"{kind} {id_} not found")
        for key, value in parents.items():
            if doc.get(key) != value:
                raise not_found(f"{kind} {id_} not found")
        return doc


def check_id(field: str, value: str) -> None:
    """CML rejects a malformed id before looking anything up."""
    if not ids.is_dashed_id(value):
        if len(value) != 19:
            raise bad_request(f"Problem with field {field}: value length must be 19 runes")
        raise bad_request(f"Problem with field {field}: value must look like xxxx-xxxx-xxxx-xxxx")


def v2_context(request: Request) -> Ctx:
    """Authenticate `authorization: Bearer <key>` as CML API v2 does (v2 keys only)."""
    state = request.app.state.cml
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        raise unauthenticated(BEARER_MISSING)
    found = state.store.key_user(header[len("Bearer ") :].strip(), V2_KEY)
    if found is None:
        raise unauthenticated("invalid API key")
    user, audiences = found
    # A key made for applications only is refused by the API; ValidateAPIKey judges its own.
    if audiences and "API" not in audiences and request.url.path != VALIDATE_PATH:
        raise forbidden("audience mismatch")
    return Ctx(state.store, state.sup, user, audiences or ("API",))


def v1_context(request: Request) -> Ctx:
    """Authenticate HTTP Basic with the legacy key as user name (legacy API v1): a v2 key is
    another credential and gets 401, as on CML."""
    state = request.app.state.cml
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise unauthenticated("legacy API v1 needs Basic auth with the legacy API key as user name")
    try:
        key = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        raise unauthenticated("malformed Basic authorization header") from None
    user = state.store.user_by_key(key, LEGACY_KEY)
    if user is None:
        raise unauthenticated("invalid legacy API key")
    return Ctx(state.store, state.sup, user)


V2 = Annotated[Ctx, Depends(v2_context)]
V1 = Annotated[Ctx, Depends(v1_context)]


def list_params(
    request: Request,
    search_filter: str | None = None,
    sort: str | None = None,
    page_size: int | None = None,
    page_token: str | None = None,
    searchFilter: Annotated[str | None, Query(include_in_schema=False)] = None,  # noqa: N803
    pageSize: Annotated[int | None, Query(include_in_schema=False)] = None,  # noqa: N803
    pageToken: Annotated[str | None, Query(include_in_schema=False)] = None,  # noqa: N803
) -> ListParams:
    """The list parameters under their proto names or the lowerCamel names CML also takes."""
    return ListParams(
        search_filter=search_filter if search_filter is not None else searchFilter,
        sort=sort,
        page_size=page_size if page_size is not None else pageSize,
        page_token=page_token if page_token is not None else pageToken,
        max_page_size=request.app.state.cml.max_page_size,
    )


Listing = Annotated[ListParams, Depends(list_params)]


def page(plural: str, items: list[dict[str, Any]], token: str) -> dict[str, Any]:
    return {plural: items, "next_page_token": token}
