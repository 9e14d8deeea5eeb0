"""`cml.runs`: the runs of a job: list, get, start (with environment overrides), stop, output."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cml_magic.api.collection import ChildCollection, ListOptions
from cml_magic.api.errors import NotFoundError
from cml_magic.api.names import is_numeric
from cml_magic.api.objects import Listing
from cml_magic.api.run_objects import JobRun
from cml_magic.api.statuses import run_filter

if TYPE_CHECKING:
    from typing import Unpack

    from cml_magic.api.client import CML

NEWEST_FIRST = "-created_at"


class RunListOptions(ListOptions, total=False):
    """The list keywords, and `status` ("failed", "ENGINE_FAILED", ...)."""

    status: str | None


def output_path(run_id: str) -> str:
    """Where a run's script saves its output in the project (`cml_magic.runlog`): CML keeps
    a run's console in its UI only, out of the API's reach."""
    return f".cml/runs/{run_id}.log"


class Runs(ChildCollection[JobRun]):
    """The runs of one job (a run is addressed by id under its job and project)."""

    _item = JobRun
    key = "job_runs"
    segment = "runs"
    parents = ("projects", "jobs")
    named = False
    searched = None
    sort = NEWEST_FIRST

    def __init__(self, cml: CML) -> None:
        super().__init__(cml)
        # Job id -> the name this client resolved it from: its runs name their job, with no
        # request of their own (CML's run carries only the id).
        self._job_names: dict[str, str] = {}

    def _scope(self, refs: Sequence[str | int], project: str | None) -> tuple[str, ...]:
        ids = super()._scope(refs, project)
        ref = str(refs[0]) if refs else ""
        if len(ids) > 1 and ref and ref != ids[1] and not is_numeric(ref):
            self._job_names[ids[1]] = ref  # resolved by exact name: the job's name
        return ids

    def _extra(self, parent_ids: Sequence[str]) -> dict[str, Any]:
        name = self._job_names.get(parent_ids[1], "") if len(parent_ids) > 1 else ""
        return {"job_name": name} if name else {}

    def iter(
        self, job: str | int, /, project: str | None = None, **options: Unpack[RunListOptions]
    ) -> Iterator[JobRun]:
        """The runs of `job`, newest first by default; `status` e.g. "failed"."""
        status = run_filter(options.pop("status", None))
        return self._pages(self._scope((job,), project), options, status=status)

    def list(
        self, job: str | int, /, project: str | None = None, **options: Unpack[RunListOptions]
    ) -> Listing[JobRun]:
        """The runs of `job`, as a list (see `iter`)."""
        status = run_filter(options.pop("status", None))
        ids = self._scope((job,), project)
        return self._listing(self._json_pages(ids, options, status=status), ids)

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
        body: dict[str, Any] = {}
        if environment:
            body["environment"] = {str(k): str(v) for k, v in environment.items()}
        if arguments is not None:
            body["arguments"] = arguments
        return self._call("POST", self._scope((job,), project), body=body)

    def stop(self, run_id: str, job: str | int, /, project: str | None = None) -> JobRun:
        """Ask CML to stop a run (`:stop`); answers the run, typically `ENGINE_STOPPING`."""
        return self._call("POST", self._scope((job,), project), run_id, ":stop")

    def output(self, run: JobRun) -> str | None:
        """The run's output file (`.cml/runs/<id>.log` in the project), or None if absent."""
        try:
            data = self._cml.files.download(output_path(run.id), project=run.project_id)
        except NotFoundError:
            return None
        return data.decode("utf-8", errors="replace")
