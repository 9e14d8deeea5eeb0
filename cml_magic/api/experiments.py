"""`cml.experiments` and `cml.experiment_runs`: the experiments of a project (list, also across
projects, get, create, update, delete) and their runs (list, get, create, update, delete,
delete-batch), logging metrics, params and tags to a run (`:logbatch`, split into batches the
server takes) and a metric's history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from cml_magic.api import paths
from cml_magic.api.collection import ChildCollection, CrossProjectCollection
from cml_magic.api.experiment_objects import (
    RUN_FINAL,
    Experiment,
    ExperimentRun,
    Metric,
    MetricHistory,
    run_status,
)
from cml_magic.api.log_batches import MetricsArg, batches, metric_items, pair_items, stamp
from cml_magic.api.names import is_dashed_id

# MLflow's own run ids (32 hex digits), which a workspace may hand out besides dashed ids.
_HEX_RUN_ID = re.compile(r"[0-9a-f]{32}\Z")

RunRef = ExperimentRun | str


def _tag_list(tags: Mapping[str, Any] | None) -> list[dict[str, str]] | None:
    return None if tags is None else pair_items("tag", tags)


class Experiments(CrossProjectCollection[Experiment]):
    """The experiments of a project (`project=None`: the client's default project), or of every
    project the caller can see (`list_in_all_projects`). An experiment is an id or a name."""

    _item = Experiment
    key = "experiments"
    segment = "experiments"

    def _is_id(self, ref: str) -> bool:
        return is_dashed_id(ref)

    def _describe(self, item: Experiment) -> dict[str, str]:
        return {"id": item.id, "creator": item.user.username if item.user else ""}

    def create(
        self,
        name: str,
        project: str | None = None,
        *,
        artifact_location: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> Experiment:
        """Create an experiment (`tags`: `{key: value}`). Sent once, never retried."""
        ids = self._scope((), project)
        body = {
            "project_id": ids[0],
            "name": name,
            "artifact_location": artifact_location,
            "tags": _tag_list(tags),
        }
        return self._create(ids, body)

    def update(
        self,
        ref: str | int,
        project: str | None = None,
        *,
        name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Experiment:
        """Rename an experiment (`name=`) or set tags (`{key: value}`, merged with its own)."""
        return super().update(ref, project, name=name, tags=_tag_list(tags), **fields)


class ExperimentRuns(ChildCollection[ExperimentRun]):
    """The runs of one experiment, by id or name; the experiment (given by position:
    `cml.experiment_runs.get("lr-0.1", "churn")`) by id or name. CML sends no project id
    with a run, so the client adds `project_id`.

    A method taking a run takes the `ExperimentRun` itself (its experiment and project are
    known then) or its id or name with the experiment after it.
    """

    _item = ExperimentRun
    key = "experiment_runs"
    segment = "runs"
    parents = ("projects", "experiments")
    fills_project_id = True
    sort = "created_at"  # the order they were started: a stable frame

    def _is_id(self, ref: str) -> bool:
        return is_dashed_id(ref) or bool(_HEX_RUN_ID.match(ref))

    def _describe(self, item: ExperimentRun) -> dict[str, str]:
        return {"id": item.id, "creator": item.user.username if item.user else ""}

    def _ids_of(self, item: ExperimentRun, project: str | None = None) -> tuple[str, ...]:
        project_id = item.project_id or self._cml.projects.resolve(project)
        return (project_id, item.experiment_id)

    def _where(
        self, run: RunRef, experiment: str | None, project: str | None
    ) -> tuple[tuple[str, ...], str, str]:
        """(parent ids, run id, run name) of `run`; a name is looked up (one listing)."""
        if isinstance(run, ExperimentRun):
            if experiment is not None or project is not None:
                ids = self._scope((experiment or run.experiment_id,), project or run.project_id)
            else:
                ids = self._ids_of(run)
            return ids, run.id, run.name
        if experiment is None:
            raise TypeError("name the run's experiment: (run, experiment) or an ExperimentRun")
        ids = self._scope((experiment,), project)
        if self._is_id(run):
            return ids, run, ""
        found = self._find(run, *ids)
        return ids, found.id, found.name

    def get(self, ref: str, parent: str | int, /, project: str | None = None) -> ExperimentRun:
        """One run of the experiment `parent`, by id or name."""
        return self._lookup(ref, *self._scope((parent,), project))

    def create(
        self,
        experiment: str,
        /,
        project: str | None = None,
        *,
        name: str | None = None,
        start_time: datetime | str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> ExperimentRun:
        """Start a run of `experiment` (CML marks it running). Sent once, never retried."""
        ids = self._scope((experiment,), project)
        body = {
            "project_id": ids[0],
            "experiment_id": ids[1],
            "run_name": name,
            "start_time": None if start_time is None else stamp(start_time),
            "tags": _tag_list(tags),
        }
        return self._create(ids, body)

    def update(
        self,
        run: RunRef,
        experiment: str | None = None,
        /,
        project: str | None = None,
        *,
        name: str | None = None,
        status: str | None = None,
        end_time: datetime | str | None = None,
        **fields: Any,
    ) -> ExperimentRun:
        """Rename a run, or end it: `status="finished"` (or failed, killed; CML's full
        `EXPERIMENT_RUN_*` words too) and `end_time` (default: now, for a final status)."""
        ids, run_id, _ = self._where(run, experiment, project)
        full = None if status is None else run_status(status)
        if end_time is None and full in RUN_FINAL:
            end_time = stamp()
        body = {
            "name": name,
            "status": full,
            "end_time": None if end_time is None else stamp(end_time),
            **fields,
        }
        return self._update(ids, run_id, body)

    def delete(
        self, run: RunRef, experiment: str | None = None, /, project: str | None = None
    ) -> None:
        """Delete a run with everything logged to it."""
        ids, run_id, _ = self._where(run, experiment, project)
        self._delete(ids, run_id)

    def delete_batch(
        self,
        run: RunRef,
        experiment: str | None = None,
        /,
        project: str | None = None,
        *,
        metrics: Iterable[str] = (),
        params: Iterable[str] = (),
        tags: Iterable[str] = (),
    ) -> None:
        """Delete some of a run's metrics (their whole history), params and tags, by key
        (`:deletebatch`)."""
        ids, run_id, _ = self._where(run, experiment, project)
        body = {
            "project_id": ids[0],
            "experiment_id": ids[1],
            "run_id": run_id,
            "metrics": list(metrics),
            "params": list(params),
            "tags": list(tags),
        }
        self._cml.transport.request("POST", self._path(ids, run_id, ":deletebatch"), json_body=body)

    def log(
        self,
        run: RunRef,
        experiment: str | None = None,
        /,
        project: str | None = None,
        *,
        metrics: MetricsArg = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        step: int | None = None,
        timestamp: datetime | str | None = None,
    ) -> int:
        """Log to a run through `:logbatch`; answers how many requests it took.

        `metrics` is `{key: value}` (each at `step`, default 0, and `timestamp`, default now)
        or an iterable of `Metric`s or dicts with `key`, `value`, `step`, `timestamp` (a
        whole history at once). `params` and `tags` are `{key: value}` (values as text; a
        param, once logged, keeps its value). Large logs are split into requests of at most
        1000 metrics, 100 params and 100 tags (MLflow's limits), sent in order and each once:
        everything is checked before the first is sent; if the server refuses one, the ones
        before it stay logged.
        """
        items = metric_items(metrics, step, timestamp)
        param_items = pair_items("param", params)
        tag_items = pair_items("tag", tags)
        ids, run_id, _ = self._where(run, experiment, project)
        path = self._path(ids, run_id, ":logbatch")
        where = {"project_id": ids[0], "experiment_id": ids[1], "run_id": run_id}
        sent = 0
        for body in batches(items, param_items, tag_items):
            self._cml.transport.request("POST", path, json_body={**where, **body})
            sent += 1
        return sent

    def metric_history(
        self,
        run: RunRef,
        key: str,
        experiment: str | None = None,
        /,
        project: str | None = None,
    ) -> MetricHistory:
        """Every value logged for metric `key` in `run`, in step order
        (`GetExperimentRunMetrics`); empty when the run never logged it."""
        ids, run_id, name = self._where(run, experiment, project)
        if not name and not isinstance(run, ExperimentRun):
            name = self._call("GET", ids, run_id).name
        path = self._path(ids, run_id, f"/metrics/{paths.seg(key)}")
        answer = self._cml.transport.request("GET", path)
        found = answer.get("metrics") if isinstance(answer, dict) else None
        points = tuple(Metric.from_json(m) for m in found or () if isinstance(m, dict))
        return MetricHistory(run_id, name, key, points)

    def metric_histories(
        self,
        experiment: str,
        key: str,
        /,
        project: str | None = None,
        runs: Sequence[RunRef] | None = None,
    ) -> list[MetricHistory]:
        """The history of metric `key` in each run of `experiment` that logged it (`runs`:
        only these, by object, id or name), in the experiment's run order: one listing, then
        one request per run."""
        ids = self._scope((experiment,), project)
        listed = list(self._pages(ids, {}))
        if runs is not None:
            wanted = {r.id if isinstance(r, ExperimentRun) else r for r in runs}
            listed = [r for r in listed if r.id in wanted or r.name in wanted]
        return [self.metric_history(run, key) for run in listed if key in run.metrics]
