"""`cml.workloads`: what runs and ran (ListWorkloadExecutions: each execution with its
workload) and the status words of workloads (ListWorkloadStatus).

CML sends a page's workloads and executions as two lists; the client joins them by CRN, so each
`WorkloadExecution` carries its `workload`. On CML listing executions needs an observability
role (a plain user's key gets 403).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.errors import CMLError
from cml_magic.api.objects import Listing
from cml_magic.api.paging import MAX_PAGE_SIZE, filter_text
from cml_magic.api.workspace_objects import WorkloadExecution

if TYPE_CHECKING:
    from cml_magic.api.client import CML


class Workloads:
    """Workload executions and statuses."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def iter(
        self,
        *,
        active: bool = False,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[WorkloadExecution]:
        """Every execution (`active`: only those running now), lazily, page by page."""
        found = self._json(search_filter, sort, page_size)
        count = 0
        for data in found:
            execution = WorkloadExecution.from_json(data)
            if active and not execution.active:
                continue
            if limit is not None and count >= limit:
                return
            count += 1
            yield execution

    def list(
        self,
        *,
        active: bool = False,
        search_filter: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Listing[WorkloadExecution]:
        """Every execution, as a list (see `iter`)."""
        chosen = self.iter(
            active=active, search_filter=search_filter, sort=sort, limit=limit,
            page_size=page_size,
        )  # fmt: skip
        return Listing(WorkloadExecution, [e.raw for e in chosen])

    def statuses(self) -> tuple[str, ...]:
        """The status words workloads have (ListWorkloadStatus)."""
        answer = self._cml.transport.request("GET", f"{paths.V2}/workloadstatus")
        return tuple(str(word) for word in answer.get("workload_status") or ())

    def _json(
        self, search_filter: Mapping[str, Any] | str | None, sort: str | None, size: int | None
    ) -> Iterator[dict[str, Any]]:
        """Each execution's JSON with its workload's under `workload`, page by page."""
        path = f"{paths.V2}/workloads/executions"
        base = {
            "search_filter": filter_text(search_filter),
            "sort": sort,
            "page_size": size or MAX_PAGE_SIZE,
        }
        token, seen = "", set()
        while True:
            answer = self._cml.transport.request(
                "GET", path, params={**base, "page_token": token or None}
            )
            workloads = {w.get("workload_crn"): w for w in answer.get("workloads") or ()}
            for item in answer.get("executions") or ():
                yield {**item, "workload": workloads.get(item.get("workload_crn"))}
            token = str(answer.get("next_page_token") or "")
            if not token:
                return
            if token in seen:
                raise CMLError("CML sent the same page token twice; stopped listing",
                               method="GET", path=path)  # fmt: skip
            seen.add(token)
