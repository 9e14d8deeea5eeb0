"""The legacy Jobs API v1 (HTTP Basic with the legacy key): start a job by its numeric id,
and map the numeric ids shown in CML web addresses to API v2 job ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.errors import CMLError, NotFoundError
from cml_magic.api.names import is_dashed_id

if TYPE_CHECKING:
    from cml_magic.api.client import CML


class Legacy:
    """Calls of API v1."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def start_job(
        self,
        username: str,
        project: str,
        job_id: int | str,
        environment: Mapping[str, str] | None = None,
    ) -> str:
        """Start a run; answers the engine id (the run's id). Sent once, never retried."""
        path = f"{paths.v1_project(username, project)}/jobs/{paths.seg(job_id)}/start"
        body: dict[str, Any] = {}
        if environment:
            body["environment"] = {str(k): str(v) for k, v in environment.items()}
        answer = self._cml.transport.request("POST", path, json_body=body, legacy=True)
        engine_id = answer.get("engine_id") if isinstance(answer, dict) else None
        if not engine_id:
            raise CMLError("CML did not answer an engine_id", method="POST", path=path)
        return str(engine_id)

    def jobs(self, username: str, project: str) -> list[dict[str, Any]]:
        """The v1 job list of a project (owner user name and project slug), as JSON."""
        path = f"{paths.v1_project(username, project)}/jobs"
        answer = self._cml.transport.request("GET", path, legacy=True)
        if not isinstance(answer, list):
            raise CMLError("expected a JSON list of jobs", method="GET", path=path)
        return [item for item in answer if isinstance(item, dict)]

    def job_id(self, project_id: str, number: int) -> str:
        """The API v2 id of the job whose web address ends in `/jobs/<number>`."""
        project = self._cml.projects.get(project_id)
        owner = project.owner.username if project.owner else ""
        slug = project.slug or str(project.raw.get("full_name") or "")
        for item in self.jobs(owner, slug):
            if str(item.get("id")) != str(number):
                continue
            public = str(item.get("public_identifier") or "")
            if is_dashed_id(public):
                return public
            # Older v1 answers lack the v2 id; the name leads to it.
            return self._cml.jobs._find(str(item.get("name") or ""), project_id).id
        raise NotFoundError(f"no job number {number} in project {owner}/{slug}")
