"""Request bodies of the experiment operations (snake_case proto names, as `bodies`): unknown
fields are ignored, wrong types are a 400, and every text is checked before anything is stored.

Metric, param and tag keys and their values keep MLflow's limits (`validate.key_problem`,
`validate.PARAM_VALUE_MAX`, `validate.TAG_VALUE_MAX`). Timestamps are RFC 3339 with a zone;
metric values finite numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cml_magic.local import validate
from cml_magic.local.bodies import Body, Name


def _key(value: str) -> str:
    problem = validate.key_problem(value)
    if problem:
        raise ValueError(f"key {validate.quote(value)} {problem}")
    return value


def stored_time(value: str) -> str:
    """An RFC 3339 time -> the store's fixed-width UTC form (string order is time order)."""
    try:
        when = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{validate.quote(value)} is not an RFC 3339 time") from None
    if when.tzinfo is None:
        raise ValueError(f"time {validate.quote(value)} has no time zone")
    if when.year < 1970:
        raise ValueError(f"time {validate.quote(value)} is before 1970")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time(value: str | None) -> str | None:
    return None if value is None or value == "" else stored_time(value)


Key = Annotated[str, AfterValidator(_key)]
Time = Annotated[str | None, AfterValidator(_time)]
Step = Annotated[int, Field(ge=-validate.INT64_MAX, le=validate.INT64_MAX)]
Value = Annotated[float, Field(allow_inf_nan=False)]


class Item(BaseModel):
    """A metric, param or tag inside a request: its texts were checked with the whole body
    (`Body`), so not again per item (a batch holds up to 1000)."""

    model_config = ConfigDict(extra="ignore")


class Tag(Item):
    key: Key
    value: Annotated[str, Field(max_length=validate.TAG_VALUE_MAX)] = ""


class Param(Item):
    key: Key
    value: Annotated[str, Field(max_length=validate.PARAM_VALUE_MAX)] = ""


class Metric(Item):
    key: Key
    value: Value
    timestamp: Time = None
    step: Step = 0


class CreateExperiment(Body):
    name: Name = ""
    artifact_location: Annotated[str, Field(max_length=validate.PATH_MAX_BYTES)] = ""
    tags: list[Tag] = []
    engine_id: str = ""


class UpdateExperiment(Body):
    name: Name | None = None
    tags: list[Tag] | None = None


class CreateExperimentRun(Body):
    run_name: Name = ""
    start_time: Time = None
    tags: list[Tag] = []


class UpdateExperimentRun(Body):
    name: Name | None = None
    status: str | None = None
    start_time: Time = None
    end_time: Time = None


class LogBatch(Body):
    metrics: list[Metric] = []
    params: list[Param] = []
    tags: list[Tag] = []
    model_json: str = ""


class DeleteBatch(Body):
    metrics: list[str] = []
    params: list[str] = []
    tags: list[str] = []


def limit_problem(body: LogBatch) -> str | None:
    """MLflow's LogBatch limits, in its words: at most 1000 metrics, 100 params, 100 tags and
    1000 items in all per request."""
    counts: list[tuple[str, int, int]] = [
        ("metrics", len(body.metrics), 1000),
        ("params", len(body.params), 100),
        ("tags", len(body.tags), 100),
    ]
    for name, count, most in counts:
        if count > most:
            return (
                f"A batch logging request can contain at most {most} {name}. Got {count} {name}."
                f" Please split up {name} across multiple requests and try again."
            )
    total = sum(count for _, count, _ in counts)
    if total > 1000:
        return (
            "A batch logging request can contain at most 1000 metrics, params and tags in"
            f" total. Got {total}. Please split up the batch and try again."
        )
    return None
