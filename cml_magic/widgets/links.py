"""Links into the CML web UI for the items a widget shows.

CML's UI lives at the workbench's host; a project's page is `<host>/<owner>/<project slug>`
(the v1 `CDSW_PROJECT_URL` minus `/api/v1/projects`). A job run is an engine, and its page is
`<project page>/engines/<run id>`; a job's page is `<project page>/jobs/<legacy numeric id>`, but
API v2 does not give that number, so widgets link runs, not jobs. A model's page is
`<project page>/models/<model id>`, an application's `<project page>/applications/<id>`.
"""

from __future__ import annotations

from urllib.parse import quote


def project_url(host: str, owner: str, slug: str) -> str:
    """The project's page in the CML web UI."""
    return f"{host.rstrip('/')}/{quote(owner)}/{quote(slug)}"


def run_url(host: str, owner: str, slug: str, run_id: str) -> str:
    """The page of one job run (CML calls the run's container an engine)."""
    return f"{project_url(host, owner, slug)}/engines/{quote(run_id)}"


def model_url(host: str, owner: str, slug: str, model_id: str) -> str:
    """A model's page, with its builds and deployments."""
    return f"{project_url(host, owner, slug)}/models/{quote(model_id)}"


def application_url(host: str, owner: str, slug: str, app_id: str) -> str:
    """An application's settings page."""
    return f"{project_url(host, owner, slug)}/applications/{quote(app_id)}"
