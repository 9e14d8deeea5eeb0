"""`cml.jobs`: list, get, create, update and delete the jobs of a project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cml_magic.api.collection import CrossProjectCollection
from cml_magic.api.names import is_dashed_id, is_numeric
from cml_magic.api.objects import Job


class Jobs(CrossProjectCollection[Job]):
    """The jobs of a project (`project=None`: the client's default project), or of every
    project (`list_in_all_projects`). A job is an id, a name, or the number in its web
    address (`208`)."""

    _item = Job
    key = segment = "jobs"

    def _is_id(self, ref: str) -> bool:
        return is_dashed_id(ref)

    def _describe(self, item: Job) -> dict[str, str]:
        return {"script": item.script, **super()._describe(item)}

    def _resolve(self, ref: str | int, *parent_ids: str) -> str:
        if is_numeric(ref):
            return self._cml.legacy.job_id(parent_ids[0], int(ref))
        return super()._resolve(ref, *parent_ids)

    def _lookup(self, ref: str | int, *parent_ids: str) -> Job:
        if is_numeric(ref):
            return self._call("GET", parent_ids, self._resolve(ref, *parent_ids))
        return super()._lookup(ref, *parent_ids)

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
        body = {
            "name": name,
            "script": script,
            "environment": dict(environment) if environment is not None else None,
            **fields,
        }
        return self._create(self._scope((), project), body)
