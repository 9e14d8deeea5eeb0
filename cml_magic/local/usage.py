"""What ran and what runs, from the store: one record per run, application and model
deployment the caller started, shaped as ListUsage's `UsageResponse` and ListWorkloadExecutions'
`WorkloadDetails` / `ExecutionDetails`.

A workload is what is started again and again (a job, an application, a model); an execution is
one start of it (a run, the application's life, a deployment). The ids CML gives them as CRNs
are made here from the items' own ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cml_magic.local import shapes_v1
from cml_magic.local.store import Doc, Store
from cml_magic.local.supervisor import Supervisor
from cml_magic.local.timeutil import ZERO_TIME, now

CRN = "crn:cdp:ml:local:cml-local"
WORKLOAD_TYPES = ("job", "application", "model")


@dataclass(frozen=True)
class Execution:
    """One run, application or deployment, with its workload and project."""

    type: str  # one of WORKLOAD_TYPES
    doc: Doc  # the run, application or deployment
    workload: Doc  # the job, application or model
    project: Doc
    active: bool  # not ended yet (a running application or a serving deployment included)

    @property
    def start(self) -> str:
        started = self.doc.get("running_at") or ZERO_TIME
        return started if started != ZERO_TIME else str(self.doc["created_at"])

    @property
    def end(self) -> str:
        if self.active:
            return ZERO_TIME
        return str(self.doc.get("finished_at") or self.doc.get("stopped_at") or ZERO_TIME)

    def seconds(self) -> int:
        """How long it ran: until now while it runs."""
        end = now() if self.active or self.end == ZERO_TIME else self.end
        return max(0, int((_time(end) - _time(self.start)).total_seconds()))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def executions(store: Store, sup: Supervisor, username: str) -> list[Execution]:
    """Every execution `username` started, oldest first."""
    projects = {p["id"]: p for p in store.find("project")}
    found: list[Execution] = []
    for run in store.find("run", None, creator=username):
        job, project = store.get("job", run["job_id"]), projects.get(run["project_id"])
        if job is not None and project is not None:
            active = run["status"] in sup.runs.active
            found.append(Execution("job", run, job, project, active))
    for app in store.find("application", None, creator=username):
        if (project := projects.get(app["project_id"])) is not None:
            found.append(Execution("application", app, app, project,
                                   app["status"] in sup.applications.active))  # fmt: skip
    for dep in store.find("deployment", None, creator=username):
        model, project = store.get("model", dep["model_id"]), projects.get(dep["project_id"])
        if model is not None and project is not None:
            active = dep["status"] in sup.deployments.active
            found.append(Execution("model", dep, model, project, active))
    found.sort(key=lambda e: (str(e.doc["created_at"]), str(e.doc["id"])))
    return found


def usage(store: Store, base_url: str, item: Execution) -> dict[str, Any]:
    """`UsageResponse`."""
    creator = str(item.doc.get("creator") or "")
    user = store.user(creator) or {"name": ""}
    owner = str(item.project.get("owner") or "")
    project_path = f"{owner}/{item.project['slug']}"
    return {
        "name": str(item.workload.get("name") or item.workload["id"]),
        "creator": creator,
        "group": "",
        "project_name": item.project["name"],
        "cpu": float(item.doc.get("cpu", 1)),
        "memory": float(item.doc.get("memory", 1)),
        "nvidia_gpu": float(item.doc.get("nvidia_gpu", 0)),
        "workload_type": item.type,
        "created_at": item.doc["created_at"],
        "duration": str(item.seconds()),
        "status": item.doc["status"],
        "creator_info": {
            "id": shapes_v1.user_number(store, creator),
            "html_url": f"{base_url}/{creator}",
            "url": f"{base_url}/api/v1/users/{creator}",
            "name": user["name"],
            "user_name": creator,
        },
        "group_info": {"id": 0, "html_url": "", "url": "", "name": "", "user_name": ""},
        "project_info": {
            "id": int(item.project.get("legacy_id") or 0),
            "slug": item.project["slug"],
            "html_url": f"{base_url}/{project_path}",
            "url": f"{base_url}/api/v1/projects/{project_path}",
        },
        "id": item.doc["id"],
        "workload_url": f"{base_url}/{project_path}/{_page(item)}",
        "message": "",
        "oom_killed": False,
        "k8s_info": {"k8s_exit_code": 0, "k8s_signal": "", "k8s_reason": "", "k8s_message": ""},
    }


def _page(item: Execution) -> str:
    """Where the web pages show the execution (`web_pages`)."""
    if item.type == "job":
        return f"engines/{item.doc['id']}"
    if item.type == "application":
        return f"applications/{item.doc['id']}"
    return f"models/{item.workload['id']}"


def workload_crn(item: Execution) -> str:
    return f"{CRN}:workload:{item.type}/{item.workload['id']}"


def workload(store: Store, item: Execution) -> dict[str, Any]:
    """`WorkloadDetails`."""
    creator = str(item.workload.get("creator") or item.doc.get("creator") or "")
    owner = str(item.project.get("owner") or "")
    return {
        "workload_crn": workload_crn(item),
        "workload_name": str(item.workload.get("name") or item.workload["id"]),
        "workload_type": item.type,
        "create_time": item.workload["created_at"],
        "creator_user_crn": f"{CRN}:user:{creator}",
        "creator_user_name": creator,
        "project": {
            "id": int(item.project.get("legacy_id") or 0),
            "crn": f"{CRN}:project:{item.project['id']}",
            "name": item.project["name"],
            "created_by_crn": f"{CRN}:user:{owner}",
            "created_by_name": owner,
            "owner": {
                "id": shapes_v1.user_number(store, owner),
                "crn": f"{CRN}:user:{owner}",
                "name": owner,
                "is_team": False,
            },
        },
        "deleted": False,
    }


def execution(item: Execution) -> dict[str, Any]:
    """`ExecutionDetails`."""
    user = str(item.doc.get("creator") or "")
    return {
        "workload_crn": workload_crn(item),
        "workload_execution_crn": f"{CRN}:execution:{item.type}/{item.doc['id']}",
        "parent_workload_execution_crn": "",
        "pod_name": f"{item.type}-{item.doc['id']}"[:63],
        "start_time": item.start,
        "end_time": item.end,
        "allocated_cpu_cores": float(item.doc.get("cpu", 1)),
        "allocated_memory_gb": float(item.doc.get("memory", 1)),
        "allocated_gpu_cores": float(item.doc.get("nvidia_gpu", 0)),
        "status": item.doc["status"],
        "failure_reason": "",
        "run_as_user_crn": f"{CRN}:user:{user}",
        "run_as_user_name": user,
        "runtime": {
            "description": "",
            "editor": "",
            "edition": "",
            "kernel": str(item.doc.get("kernel") or ""),
            "full_version": "",
        },
        "spark_event_log_dir": "",
        "requested_replicas": int(item.doc.get("replicas", 1)),
    }
