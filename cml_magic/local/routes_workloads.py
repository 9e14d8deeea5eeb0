"""API v2: usage and workloads (ListUsage, ListWorkloadStatus, ListWorkloadExecutions), from
the runs, applications and deployments the caller started (`usage`).

On CML the last needs an observability role; here every user sees their own.
`multi_column_search_filter` and `time_range_search_filter` are taken and not applied.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter

from cml_magic.local import usage
from cml_magic.local.context import V2, Listing
from cml_magic.local.listing import MAX_PAGE_SIZE, ListParams, paginate
from cml_magic.local.workloads.applications import APP_ACTIVE
from cml_magic.local.workloads.deployments import DEPLOYMENT_ACTIVE
from cml_magic.local.workloads.runs import RUN_ACTIVE

router = APIRouter(prefix="/api/v2", tags=["workloads"])

USAGE_FILTER = ("name", "creator", "project_name", "workload_type", "status", "id")
USAGE_SORT = ("created_at", "name", "project_name", "workload_type", "status", "cpu", "memory")
EXECUTION_FILTER = ("status", "workload_crn", "run_as_user_name")
EXECUTION_SORT = ("start_time", "end_time", "status")
# Every status a workload of this server can have, as its items write them.
STATUSES = (
    *RUN_ACTIVE,
    "ENGINE_SUCCEEDED",
    "ENGINE_FAILED",
    "ENGINE_TIMEDOUT",
    "ENGINE_STOPPED",
    *APP_ACTIVE,
    "APPLICATION_STOPPED",
    "APPLICATION_FAILED",
    *DEPLOYMENT_ACTIVE,
    "stopped",
    "failed",
)


@router.get("/usage", summary="List the caller's workloads and what they used")
def list_usage(
    ctx: V2,
    params: Listing,
    multi_column_search_filter: str | None = None,
    time_range_search_filter: str | None = None,
) -> dict[str, Any]:
    base = ctx.sup.settings.base_url
    items = usage.executions(ctx.store, ctx.sup, ctx.username)
    found = [usage.usage(ctx.store, base, e) for e in items]
    chosen, token = paginate(found, params, USAGE_FILTER, USAGE_SORT)
    # total_count: every item the filter kept, across pages.
    every = paginate(found, _whole(params), USAGE_FILTER, USAGE_SORT)[0]
    return {"usage_response": chosen, "total_count": str(len(every)), "next_page_token": token}


def _whole(params: ListParams) -> ListParams:
    """`params` asking for every item at once (the filter kept)."""
    return replace(params, page_size=MAX_PAGE_SIZE, page_token=None, sort=None, max_page_size=None)


@router.get("/workloadstatus", summary="List the status words of workloads")
def list_workload_status(ctx: V2) -> dict[str, Any]:
    return {"workload_status": list(dict.fromkeys(STATUSES))}


@router.get("/workloads/executions", summary="List the caller's workloads and their executions")
def list_workload_executions(
    ctx: V2,
    params: Listing,
    multi_column_search_filter: str | None = None,
    time_range_search_filter: str | None = None,
) -> dict[str, Any]:
    items = usage.executions(ctx.store, ctx.sup, ctx.username)
    by_crn = {usage.workload_crn(e): e for e in items}
    chosen, token = paginate([usage.execution(e) for e in items], params, EXECUTION_FILTER,
                             EXECUTION_SORT)  # fmt: skip
    crns = dict.fromkeys(e["workload_crn"] for e in chosen)
    workloads = [usage.workload(ctx.store, by_crn[crn]) for crn in crns]
    return {"workloads": workloads, "executions": chosen, "next_page_token": token}
