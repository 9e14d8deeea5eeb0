"""URL paths of API v2 and the legacy API v1, with every id quoted as one path segment."""

from __future__ import annotations

from urllib.parse import quote

V2 = "/api/v2"
V1 = "/api/v1"


def seg(value: str | int) -> str:
    """One path segment: slashes and other reserved characters are percent-encoded."""
    return quote(str(value), safe="")


def project(project_id: str) -> str:
    return f"{V2}/projects/{seg(project_id)}"


def v1_project(owner: str, slug: str) -> str:
    return f"{V1}/projects/{seg(owner)}/{seg(slug)}"
