"""What `cml.experiment_runs.log` sends: metrics, params and tags checked, then split into
`:logbatch` bodies no larger than the server takes.

CML's experiments are MLflow's, and MLflow's LogBatch takes at most 1000 metrics, 100 params
and 100 tags, and 1000 items in all, per request (MLflow REST API, "Log Batch", request
limits); a larger request is refused whole. Everything is checked before the first batch is
sent, so a bad value stores nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ITEMS = 1000

MetricsArg = Mapping[str, float] | Iterable[Any] | None


def stamp(when: datetime | str | None = None) -> str:
    """A metric's timestamp as CML's JSON writes it (RFC 3339, UTC); now when not given."""
    if isinstance(when, str):
        return when
    moment = when or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _key(kind: str, key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"a {kind} needs a non-empty text key, not {key!r}")
    return key


def _value(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {key!r}: {value!r} is not a number") from None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"metric {key!r}: {number} is not a finite number")
    return number


def _step(key: str, step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, int):
        raise ValueError(f"metric {key!r}: step must be a whole number, not {step!r}")
    return step


def metric_items(
    metrics: MetricsArg, step: int | None = None, timestamp: datetime | str | None = None
) -> list[dict[str, Any]]:
    """`Metric` JSON of `metrics`: a mapping `{key: value}` (each at `step`, default 0, and
    `timestamp`, default now), or an iterable of `Metric` objects or dicts with `key`, `value`
    and optionally `step` and `timestamp` (a history logged at once)."""
    if metrics is None:
        return []
    when = stamp(timestamp)
    default_step = 0 if step is None else _step("", step)
    items: list[dict[str, Any]] = []
    if isinstance(metrics, Mapping):
        for key, value in metrics.items():
            name = _key("metric", key)
            items.append(
                {"key": name, "value": _value(name, value), "step": default_step, "timestamp": when}
            )
        return [_wire(item) for item in items]
    for point in metrics:
        found = point if isinstance(point, Mapping) else _fields(point)
        name = _key("metric", found.get("key"))
        given_step = found.get("step")
        given_time = found.get("timestamp")
        items.append(
            {
                "key": name,
                "value": _value(name, found.get("value")),
                "step": default_step if given_step is None else _step(name, given_step),
                "timestamp": when if given_time is None else stamp(given_time),
            }
        )
    return [_wire(item) for item in items]


def _fields(point: Any) -> dict[str, Any]:
    """The metric fields of an object (a `Metric`, or anything with those attributes)."""
    return {name: getattr(point, name, None) for name in ("key", "value", "step", "timestamp")}


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    # `Metric.step` is an int64: JSON text on the wire.
    return {**item, "step": str(item["step"])}


def pair_items(kind: str, values: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """`{key: value}` -> CML's `[{"key", "value"}]`, values as text."""
    return [
        {"key": _key(kind, key), "value": "" if value is None else str(value)}
        for key, value in (values or {}).items()
    ]


def batches(
    metrics: list[dict[str, Any]], params: list[dict[str, str]], tags: list[dict[str, str]]
) -> Iterator[dict[str, Any]]:
    """`:logbatch` bodies holding every item once, in order, each within MLflow's limits:
    params and tags go first (up to 100 each), metrics fill each body up to 1000 items."""
    metric_at = param_at = tag_at = 0
    while metric_at < len(metrics) or param_at < len(params) or tag_at < len(tags):
        body: dict[str, Any] = {}
        some_params = params[param_at : param_at + MAX_PARAMS]
        some_tags = tags[tag_at : tag_at + MAX_TAGS]
        room = min(MAX_METRICS, MAX_ITEMS - len(some_params) - len(some_tags))
        some_metrics = metrics[metric_at : metric_at + room]
        param_at += len(some_params)
        tag_at += len(some_tags)
        metric_at += len(some_metrics)
        if some_metrics:
            body["metrics"] = some_metrics
        if some_params:
            body["params"] = some_params
        if some_tags:
            body["tags"] = some_tags
        yield body
