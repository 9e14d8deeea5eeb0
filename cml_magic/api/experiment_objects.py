"""The result objects of experiments: an experiment, its runs (with their data: metrics, params
and tags), one logged metric value, and the history of one metric of one run
(`cml_magic.api.objects` has the base, `Resource`, and the machinery it shares).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from cml_magic.api import convert
from cml_magic.api.objects import Resource, User

RUN_STATUS_PREFIX = "EXPERIMENT_RUN_"
# `ExperimentRunStatus`: a run that reached one of these no longer changes by itself.
RUN_FINAL = frozenset({"EXPERIMENT_RUN_FINISHED", "EXPERIMENT_RUN_FAILED", "EXPERIMENT_RUN_KILLED"})
RUN_STATUSES = ("running", "scheduled", "finished", "failed", "killed")


def run_status(word: str) -> str:
    """`finished` (any case) or `EXPERIMENT_RUN_FINISHED` -> `EXPERIMENT_RUN_FINISHED`;
    `ValueError` for a word that is none of CML's run statuses."""
    upper = word.strip().upper()
    full = upper if upper.startswith(RUN_STATUS_PREFIX) else RUN_STATUS_PREFIX + upper
    if full.removeprefix(RUN_STATUS_PREFIX).lower() not in RUN_STATUSES:
        raise ValueError(
            f"unknown experiment run status {word!r}; one of: {', '.join(RUN_STATUSES)}"
        )
    return full


def _field_repr(value: Any) -> str:
    """One field for `repr`, masked by itself: `key` is these objects' plain field name (a
    metric's key), not the API key that masking hides after a `key=`."""
    from cml_magic.api.masking import mask_environment, mask_text

    fields = {"key", "value", "timestamp", "step"}
    # Tags, params and metrics show as {key: value}, masked as an environment is.
    if (
        isinstance(value, tuple)
        and value
        and all(isinstance(v, dict) and set(v) <= fields for v in value)
    ):
        value = mask_environment(pairs(value))
    return mask_text(repr(value))


def _repr(obj: Resource) -> str:
    parts = [
        f"{f.name}={_field_repr(getattr(obj, f.name))}" for f in dataclasses.fields(obj) if f.repr
    ]
    return f"{type(obj).__name__}({', '.join(parts)})"


def pairs(items: Any) -> dict[str, str]:
    """CML's `[{"key": k, "value": v}, ...]` (tags, params) -> `{k: v}`; the last value of a
    key wins."""
    found: dict[str, str] = {}
    for item in items or ():
        if isinstance(item, dict):
            value = item.get("value")
            found[str(item.get("key", ""))] = "" if value is None else str(value)
    return found


@dataclass(frozen=True, slots=True, repr=False)
class FieldMasked(Resource):
    """A result object whose `repr` masks each field by itself (see `_field_repr`)."""

    def __repr__(self) -> str:
        return _repr(self)


@dataclass(frozen=True, slots=True, repr=False)
class Experiment(FieldMasked):
    """An experiment of a project: where the runs of one line of work are grouped."""

    kind: ClassVar[str] = "experiment"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "id",
        "project_id",
        "lifecycle_stage",
        "artifact_location",
        "created_at",
    )
    id: str = ""
    project_id: str = ""
    name: str = ""
    artifact_location: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    tags: tuple[dict[str, Any], ...] = ()
    lifecycle_stage: str = ""
    user: User | None = None

    @property
    def tag_values(self) -> dict[str, str]:
        """The experiment's tags as `{key: value}`."""
        return pairs(self.tags)


@dataclass(frozen=True, slots=True, repr=False)
class ExperimentRunData(FieldMasked):
    """`ExperimentRunData`: a run's metrics (their latest values), params, tags and files."""

    kind: ClassVar[str] = "experiment run data"
    metrics: tuple[dict[str, Any], ...] = ()
    params: tuple[dict[str, Any], ...] = ()
    tags: tuple[dict[str, Any], ...] = ()
    files: tuple[dict[str, Any], ...] = ()
    registered_model_metadata: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True, repr=False)
class ExperimentRun(FieldMasked):
    """One run of an experiment. `project_id` is filled by the client (CML does not send it);
    `metrics`, `params` and `tags` read its `data` as dicts."""

    kind: ClassVar[str] = "experiment_run"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "id",
        "status",
        "experiment_id",
        "start_time",
        "end_time",
    )
    id: str = ""
    name: str = ""
    experiment_id: str = ""
    project_id: str = field(default="", metadata={"json": False})
    user: User | None = None
    status: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    artifact_uri: str = ""
    data: ExperimentRunData | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        """The latest value of each metric (at its highest step), by key."""
        found = self.data.metrics if self.data else ()
        return {str(m.get("key", "")): convert.number(m.get("value")) for m in found}

    @property
    def params(self) -> dict[str, str]:
        """The run's params (text, as CML keeps them), by key."""
        return pairs(self.data.params if self.data else ())

    @property
    def tags(self) -> dict[str, str]:
        """The run's tags, by key."""
        return pairs(self.data.tags if self.data else ())

    @property
    def finished(self) -> bool:
        """True once the run finished, failed or was killed."""
        return self.status in RUN_FINAL

    @property
    def succeeded(self) -> bool:
        """True when the run finished (rather than failed or was killed)."""
        return self.status == "EXPERIMENT_RUN_FINISHED"


@dataclass(frozen=True, slots=True, repr=False)
class Metric(FieldMasked):
    """One logged value of a metric: `step` and `timestamp` place it in the metric's history."""

    kind: ClassVar[str] = "metric"
    SUMMARY: ClassVar[tuple[str, ...]] = ("key", "value", "step", "timestamp")
    key: str = ""
    value: float = 0.0
    timestamp: datetime | None = None
    step: int = 0


@dataclass(frozen=True, slots=True)
class MetricHistory:
    """Every logged value of metric `key` in one run, in step order (`GetExperimentRunMetrics`);
    `frames.metric_history_frame` makes a DataFrame of one or several."""

    run_id: str
    run_name: str
    key: str
    points: tuple[Metric, ...] = ()

    def __len__(self) -> int:
        return len(self.points)
