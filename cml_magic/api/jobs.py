"""`cml.jobs`: list, get, create, update and delete the jobs of a project."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.convert import environment_text, set_fields
from cml_magic.api.listing import merged_filter
from cml_magic.api.names import exactly_one, is_dashed_id, is_numeric
from cml_magic.api.objects import Job, Listing
from cml_magic.api.paging import iterate

if TYPE_CHECKING:
    from cml_magic.api.client import CML


def _describe(job: Job) -> dict[str, str]:
    return {
        "id": job.id,
        "script": job.script,
        "creator": job.creator.username if job.creator else "",
    }


class Jobs:
    """The jobs of a project (`project=None`: the client's default project)."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def iter(
        self,
        project: str | None = None,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[Job]:
        """Every job of the project (lazily); `search` matches part of the name."""
        project_id = self._cml.projects.resolve(project)
        return iterate(
            self._cml.transport,
            f"{paths.project(project_id)}/jobs",
            "jobs",
            Job.from_json,
            page_size=page_size,
            search_filter=merged_filter(search_filter, name=search),
            sort=sort,
            limit=limit,
        )

    def list(
        self,
        project: str | None = None,
        search: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[Job]:
        """Every job of the project, as a list (see `iter`)."""
        return Listing(self.iter(project, search, search_filter, sort, page_size, limit), Job.kind)

    def resolve(self, job: str | int, project_id: str) -> str:
        """The id of `job`: an id, a name, or the number in the job's web address."""
        if isinstance(job, str) and is_dashed_id(job):
            return job
        if is_numeric(job):
            return self._cml.legacy.job_id(project_id, int(job))
        return self._by_name(str(job), project_id).id

    def _by_name(self, name: str, project_id: str) -> Job:
        found = self.iter(project_id, search_filter={"name": name})
        return exactly_one("job", name, found, _describe, f" in project {project_id}")

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
