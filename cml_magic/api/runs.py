"""`cml.runs`: the runs of a job: list, get, start (with environment overrides), stop, output."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.errors import NotFoundError
from cml_magic.api.listing import merged_filter
from cml_magic.api.objects import JobRun, Listing
from cml_magic.api.paging import as_received, iterate

if TYPE_CHECKING:
    from cml_magic.api.client import CML

NEWEST_FIRST = "-created_at"


def status_filter(status: str | None) -> str | None:
    """`ENGINE_FAILED` or `failed` -> `failed`, the form CML's run filter takes."""
    if not status:
        return None
    return status.strip().lower().removeprefix("engine_")


def output_path(run_id: str) -> str:
    """Where the local server (and a job script that wants to) writes a run's output."""
    return f".cml/runs/{run_id}.log"


class Runs:
    """The runs of one job (a run is addressed under its job and project)."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def _ids(self, job: str | int, project: str | None) -> tuple[str, str]:
        project_id = self._cml.projects.resolve(project)
        return project_id, self._cml.jobs.resolve(job, project_id)

    def iter(
        self,
        job: str | int,
        project: str | None = None,
        status: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = NEWEST_FIRST,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[JobRun]:
        """The runs of `job`, newest first by default; `status` e.g. "failed"."""
        found = self._json(job, project, status, search_filter, sort, page_size, limit)
        return (JobRun.from_json(data) for data in found)

    def _json(
        self,
        job: str | int,
        project: str | None,
        status: str | None,
        search_filter: Mapping[str, Any] | str | None,
        sort: str | None,
        page_size: int | None,
        limit: int | None,
    ) -> Iterator[dict[str, Any]]:
        project_id, job_id = self._ids(job, project)
        return iterate(
            self._cml.transport,
            f"{paths.job(project_id, job_id)}/runs",
            "job_runs",
            as_received,
            page_size=page_size,
            search_filter=merged_filter(search_filter, status=status_filter(status)),
            sort=sort or NEWEST_FIRST,
            limit=limit,
        )

    def list(
        self,
        job: str | int,
        project: str | None = None,
        status: str | None = None,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = NEWEST_FIRST,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[JobRun]:
        """The runs of `job`, as a list (see `iter`)."""
        return Listing(
            JobRun, self._json(job, project, status, search_filter, sort, page_size, limit)
        )

    def get(self, run_id: str, job: str | int, project: str | None = None) -> JobRun:
        """One run of `job`."""
        project_id, job_id = self._ids(job, project)
        path = f"{paths.job(project_id, job_id)}/runs/{paths.seg(run_id)}"
        return JobRun.from_json(self._cml.transport.request("GET", path))

    def refresh(self, run: JobRun) -> JobRun:
        """The run as it is now."""
        return self.get(run.id, run.job_id, run.project_id)

    def create(
        self,
        job: str | int,
        project: str | None = None,
        environment: Mapping[str, str] | None = None,
        arguments: str | None = None,
    ) -> JobRun:
        """Start a run of `job`; `environment` and `arguments` apply to this run only.

        Sent once: a run is never started twice by a retry.
        """
        project_id, job_id = self._ids(job, project)
        body: dict[str, Any] = {}
        if environment:
            body["environment"] = {str(k): str(v) for k, v in environment.items()}
        if arguments is not None:
            body["arguments"] = arguments
        answer = self._cml.transport.request(
            "POST", f"{paths.job(project_id, job_id)}/runs", json_body=body
        )
        return JobRun.from_json(answer)

    def stop(self, run_id: str, job: str | int, project: str | None = None) -> JobRun:
        """Ask CML to stop a run (`:stop`); answers the run, typically `ENGINE_STOPPING`."""
        project_id, job_id = self._ids(job, project)
        path = f"{paths.job(project_id, job_id)}/runs/{paths.seg(run_id)}:stop"
        return JobRun.from_json(self._cml.transport.request("POST", path))

    def output(self, run: JobRun) -> str | None:
        """The run's output file (`.cml/runs/<id>.log` in the project), or None if absent."""
        try:
            data = self._cml.files.download(output_path(run.id), project=run.project_id)
        except NotFoundError:
            return None
        return data.decode("utf-8", errors="replace")
