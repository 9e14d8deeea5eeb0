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


def job(project_id: str, job_id: str) -> str:
    return f"{project(project_id)}/jobs/{seg(job_id)}"


def model(project_id: str, model_id: str) -> str:
    return f"{project(project_id)}/models/{seg(model_id)}"


def build(project_id: str, model_id: str, build_id: str) -> str:
    return f"{model(project_id, model_id)}/builds/{seg(build_id)}"


def application(project_id: str, application_id: str) -> str:
    return f"{project(project_id)}/applications/{seg(application_id)}"


def v1_project(owner: str, slug: str) -> str:
    return f"{V1}/projects/{seg(owner)}/{seg(slug)}"
