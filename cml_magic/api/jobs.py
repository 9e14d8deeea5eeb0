"""`cml.jobs`: list, get, create, update and delete the jobs of a project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cml_magic.api import paths
from cml_magic.api.collection import CrossProjectCollection
from cml_magic.api.convert import environment_text, set_fields
from cml_magic.api.names import is_dashed_id, is_numeric
from cml_magic.api.objects import Job


class Jobs(CrossProjectCollection[Job]):
    """The jobs of a project (`project=None`: the client's default project), or of every
    project (`list_in_all_projects`)."""

    _item = Job
    _segment = "jobs"

    def _describe(self, item: Job) -> dict[str, str]:
        return {"script": item.script, **super()._describe(item)}

    def resolve(self, job: str | int, project_id: str) -> str:
        """The id of `job`: an id, a name, or the number in the job's web address."""
        if isinstance(job, str) and is_dashed_id(job):
            return job
        if is_numeric(job):
            return self._cml.legacy.job_id(project_id, int(job))
        return self._by_name(str(job), project_id).id

    def get(self, job: str | int, project: str | None = None) -> Job:
        """One job, by id, name or web-address number."""
        project_id = self._cml.projects.resolve(project)
        if isinstance(job, str) and not is_dashed_id(job) and not is_numeric(job):
            return self._by_name(job, project_id)
        job_id = self.resolve(job, project_id)
        return Job.from_json(self._cml.transport.request("GET", paths.job(project_id, job_id)))

    def create(
        self,
        name: str,
        script: str,
        project: str | None = None,
        *,
        environment: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> Job:
        """Create a job running `script` (`CreateJobRequest` fields as keywords)."""
        project_id = self._cml.projects.resolve(project)
        body = {
            "name": name,
            "script": script,
            "environment": dict(environment) if environment is not None else None,
            **fields,
        }
        answer = self._cml.transport.request(
            "POST", f"{paths.project(project_id)}/jobs", json_body=set_fields(body)
        )
        return Job.from_json(answer)

    def update(self, job: str | int, project: str | None = None, **fields: Any) -> Job:
        """Change the given fields of a job; `environment` replaces the whole map."""
        project_id = self._cml.projects.resolve(project)
        job_id = self.resolve(job, project_id)
        if "environment" in fields:
            fields["environment"] = environment_text(fields["environment"])
        answer = self._cml.transport.request(
            "PATCH", paths.job(project_id, job_id), json_body=set_fields(fields)
        )
        return Job.from_json(answer)

    def delete(self, job: str | int, project: str | None = None) -> None:
        """Delete a job (its dependent jobs stay)."""
        project_id = self._cml.projects.resolve(project)
        self._cml.transport.request("DELETE", paths.job(project_id, self.resolve(job, project_id)))
