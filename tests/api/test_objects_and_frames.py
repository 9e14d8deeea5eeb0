"""CML's JSON quirks undone in the result objects, and the DataFrames made of them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from cml_magic.api import (
    Application,
    FileInfo,
    Job,
    JobRun,
    Listing,
    Model,
    ModelBuild,
    ModelDeployment,
    Project,
    Runtime,
)
from cml_magic.api.convert import environment, timestamp
from cml_magic.api.experiment_objects import Experiment, ExperimentRun
from cml_magic.api.registry_objects import RegisteredModel, RegisteredModelVersion
from cml_magic.api.workspace_objects import ApiKey, UsageRecord, WorkloadExecution
from cml_magic.frames import COLUMNS, keys_frame, to_frame, usage_frame, workloads_frame

RUN = {
    "id": "0645larphwti9o39",
    "project_id": "llgb-lqu2-7ivf-is2r",
    "job_id": "ennq-7dum-18ab-a5ow",
    "status": "ENGINE_SCHEDULING",
    "created_at": "2021-07-20T10:00:00.123456789Z",
    "scheduling_at": "2021-07-20T10:00:00Z",
    "starting_at": "0001-01-01T00:00:00Z",
    "running_at": "0001-01-01T00:00:00Z",
    "finished_at": "0001-01-01T00:00:00Z",
    "environment": "null",
    "nvidia_gpu": "0",
    "creator": {"username": "alice", "name": "Alice", "email": "a@x"},
}


def test_run_quirks() -> None:
    run = JobRun.from_json(RUN)
    assert run.created_at == datetime(2021, 7, 20, 10, 0, 0, 123456, tzinfo=UTC)
    assert run.starting_at is None and run.finished_at is None
    assert run.environment == {} and run.nvidia_gpu == 0
    assert run.creator is not None and run.creator.username == "alice"
    assert run.raw == RUN
    assert not run.finished and not run.succeeded
    assert JobRun.from_json({**RUN, "status": "ENGINE_SUCCEEDED"}).succeeded


def test_job_quirks_and_extra_fields_kept_in_raw() -> None:
    job = Job.from_json(
        {
            "id": "ennq-7dum-18ab-a5ow",
            "timeout": "3600",
            "engine_image_id": "15",
            "environment": '{"A": "1", "N": 2}',
            "runtime_addon_identifiers": ["spark"],
            "share_token": "old-field",
        }
    )
    assert (job.timeout, job.engine_image_id) == (3600, 15)
    assert job.environment == {"A": "1", "N": "2"}
    assert job.runtime_addon_identifiers == ("spark",)
    assert job.raw["share_token"] == "old-field"
    assert job.cpu == 0.0 and job.project_id == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        (None, None),
        ("0001-01-01T00:00:00Z", None),
        ("2026-11-25T20:00:00Z", datetime(2026, 11, 25, 20, tzinfo=UTC)),
        ("2026-11-25T20:00:00.5+01:00", datetime(2026, 11, 25, 19, 0, 0, 500000, tzinfo=UTC)),
        ("not a time", None),
    ],
)
def test_timestamps(text: str | None, expected: datetime | None) -> None:
    assert timestamp(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("null", {}),
        ("", {}),
        (None, {}),
        ('{"K": "v"}', {"K": "v"}),
        ({"K": "v"}, {"K": "v"}),
        ("[1, 2]", {}),
        ("{broken", {}),
    ],
)
def test_environment(value: object, expected: dict[str, str]) -> None:
    assert environment(value) == expected


def test_file_size_and_status_helpers() -> None:
    assert FileInfo.from_json({"path": "a.csv", "file_size": "12"}).file_size == 12
    assert ModelBuild.from_json({"status": "build failed"}).finished
    assert not ModelBuild.from_json({"status": "build failed"}).succeeded
    assert ModelBuild.from_json({"status": "built"}).succeeded
    assert not ModelBuild.from_json({"status": "building"}).finished
    assert ModelDeployment.from_json({"status": "deployed"}).succeeded
    assert not ModelDeployment.from_json({"status": "deploying"}).finished
    assert Application.from_json({"status": "APPLICATION_RUNNING"}).finished


def test_objects_are_frozen() -> None:
    run = JobRun.from_json(RUN)
    with pytest.raises(AttributeError):
        run.status = "x"  # type: ignore[misc]


SAMPLES = {
    "project": Project.from_json({"id": "p", "owner": {"username": "alice"}}),
    "job": Job.from_json({"id": "j", "creator": {"username": "bob"}}),
    "run": JobRun.from_json(RUN),
    "model": Model.from_json({"id": "m", "auth_enabled": True}),
    "build": ModelBuild.from_json({"id": "b", "status": "built"}),
    "deployment": ModelDeployment.from_json({"id": "d", "replicas": 2, "cpu": 1.5}),
    "application": Application.from_json({"id": "a", "status": "APPLICATION_RUNNING"}),
    "runtime": Runtime.from_json({"image_identifier": "img"}),
    "file": FileInfo.from_json({"path": "x", "file_size": "3"}),
    "experiment": Experiment.from_json({"id": "e", "user": {"username": "alice"}}),
    "experiment_run": ExperimentRun.from_json({"id": "r", "start_time": "2026-01-01T00:00:00Z"}),
    "registered model": RegisteredModel.from_json({"model_id": "r", "count": 2}),
    "model version": RegisteredModelVersion.from_json(
        {"model_version_id": "v", "number": 1, "tags": [{"key": "a", "value": "b"}]}
    ),
    "api_key": ApiKey.from_json(
        {"key_id": "k", "audiences": ["a", "b"], "created_at": "2026-01-01T00:00:00Z"}
    ),
    "usage": UsageRecord.from_json({"id": "u", "cpu": "1", "duration": "90"}),
    "workload_execution": WorkloadExecution.from_json(
        {
            "workload_execution_crn": "crn:x",
            "start_time": "2026-01-01T00:00:00Z",
            "end_time": "2026-01-01T00:01:00Z",
            "allocated_gpu_cores": "1",
        }
    ),
}

# The workspace's frames: every column's type, with rows and without.
WORKSPACE_DTYPES = {
    "api_key": {
        "key_id": "str", "comments": "str", "audiences": "str",
        "created_at": "datetime64[ns, UTC]", "expiry_date": "datetime64[ns, UTC]",
    },
    "usage": {
        "id": "str", "name": "str", "workload_type": "str", "status": "str",
        "project_name": "str", "creator": "str", "cpu": "float64", "memory": "float64",
        "nvidia_gpu": "float64", "created_at": "datetime64[ns, UTC]",
        "duration": "timedelta64[ns]",
    },
    "workload_execution": {
        "name": "str", "workload_type": "str", "status": "str", "active": "bool",
        "project": "str", "user": "str", "start_time": "datetime64[ns, UTC]",
        "end_time": "datetime64[ns, UTC]", "duration": "timedelta64[ns]", "cpu": "float64",
        "memory_gb": "float64", "gpu": "float64", "execution_crn": "str",
    },
}  # fmt: skip


def test_registry_objects_read_cmls_names_and_tag_lists() -> None:
    version = SAMPLES["model version"]
    assert isinstance(version, RegisteredModelVersion)
    assert (version.id, version.number, version.tags) == ("v", 1, {"a": "b"})
    assert "'a': 'b'" in repr(version)  # a tag's name is not taken for a secret
    model = RegisteredModel.from_json(
        {"model_id": "r", "model_versions": [{"number": 2}, {"number": 1}]}
    )
    assert model.id == "r" and [v.number for v in model.versions] == [1, 2]
    assert model.latest is not None and model.latest.number == 2


@pytest.mark.parametrize("kind", sorted(COLUMNS))
def test_frame_columns_per_kind(kind: str) -> None:
    frame = to_frame([SAMPLES[kind]])
    assert list(frame.columns) == list(COLUMNS[kind]) and len(frame) == 1
    empty = to_frame(Listing(type(SAMPLES[kind]), []))
    assert list(empty.columns) == list(COLUMNS[kind]) and len(empty) == 0
    assert list(empty.dtypes) == list(frame.dtypes)
    assert list(to_frame([], kind=type(SAMPLES[kind])).columns) == list(COLUMNS[kind])
    for column in COLUMNS[kind]:
        if column.endswith("_at"):
            assert str(frame[column].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    ("kind", "build"),
    [("api_key", keys_frame), ("usage", usage_frame), ("workload_execution", workloads_frame)],
)
def test_workspace_frames_are_typed_from_the_one_table(kind: str, build: Any) -> None:
    frame = build([SAMPLES[kind]])
    for shown in (frame, build([]), to_frame([SAMPLES[kind]]), to_frame([], kind=kind)):
        assert {c: str(t) for c, t in shown.dtypes.items()} == WORKSPACE_DTYPES[kind]
    pd.testing.assert_frame_equal(to_frame([SAMPLES[kind]]), frame, check_exact=False)
    row = frame.iloc[0]
    if kind == "api_key":
        assert row["audiences"] == "a,b" and pd.isna(row["expiry_date"])
    elif kind == "usage":
        assert row["duration"] == pd.Timedelta(seconds=90) and row["cpu"] == 1.0
    else:
        assert row["duration"] == pd.Timedelta(minutes=1) and row["gpu"] == 1.0
        assert not row["active"]


def test_frame_values() -> None:
    frame = to_frame([JobRun.from_json(RUN)])
    row = frame.iloc[0]
    assert row["creator"] == "alice"
    assert row["created_at"] == pd.Timestamp("2021-07-20T10:00:00.123456Z")
    assert pd.isna(row["finished_at"])
    assert to_frame([SAMPLES["deployment"]]).iloc[0]["replicas"] == 2
    assert to_frame([SAMPLES["project"]]).iloc[0]["owner"] == "alice"


def test_frame_of_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no column set"):
        to_frame([], kind="widgets")
    assert to_frame([]).empty


def test_project_from_an_older_workspace() -> None:
    old = {
        "id": "llgb-lqu2-7ivf-is2r",
        "name": "API V2 Demo",
        "full_name": "api-v2-demo",
        "project_visibility": "private",
        "default_project_engine_type": "ml_runtime",
        "owner": {"id": "1", "username": "alice"},
    }
    project = Project.from_json(old)
    assert (project.slug, project.visibility, project.default_engine_type) == (
        "api-v2-demo",
        "private",
        "ml_runtime",
    )
    assert project.raw == old


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "0001-01-01T00:00:00Z",
        "2026-11-25T20:00:00Z",
        "2026-11-25T20:00:00.123456789Z",
        "2026-11-25T20:00:00.5+01:00",
        "2026-11-25T20:00:00",
        "2026-11-25 20:00:00z",
        "not a time",
    ],
)
def test_object_timestamps_agree_with_convert(text: str | None) -> None:
    run = JobRun.from_json({**RUN, "created_at": text})
    assert run.created_at == timestamp(text)
    assert run.created_at is None or run.created_at.tzinfo is not None


def test_values_of_other_json_types_are_converted() -> None:
    job = Job.from_json(
        {
            "name": 7,
            "cpu": "2.5",
            "memory": 3,
            "nvidia_gpu": "1",
            "timeout": 1.0,
            "paused": "t",
            "kill_on_timeout": "false",
            "retry_enabled": 1,
            "environment": {"A": None},
            "recipients": None,
            "creator": "not an object",
        }
    )
    assert (job.name, job.cpu, job.memory, job.nvidia_gpu, job.timeout) == ("7", 2.5, 3.0, 1, 1)
    assert type(job.memory) is float and type(job.timeout) is int
    assert job.paused is True and job.kill_on_timeout is False and job.retry_enabled is True
    assert job.environment == {"A": ""} and job.recipients == () and job.creator is None


def test_nested_objects_of_equal_json_are_equal() -> None:
    alice = {"username": "alice", "name": "Alice", "email": "a@x"}
    first, second = (Job.from_json({"id": i, "creator": dict(alice)}) for i in ("a", "b"))
    assert first.creator == second.creator
    bob = Job.from_json({"creator": {**alice, "username": "bob"}}).creator
    assert bob is not None and bob.username == "bob" and first.creator is not None
    assert first.creator.username == "alice" and first.creator.raw == alice
    odd = {"username": "carol", "name": ["not", "hashable"]}
    assert Job.from_json({"creator": odd}).creator == Job.from_json({"creator": odd}).creator


def test_unknown_extra_fields_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="bogus"):
        Job.from_json({}, bogus=1)
    assert ModelBuild.from_json({"id": "b"}, project_id="p").project_id == "p"
    assert ModelBuild.from_json({"id": "b", "project_id": "ignored"}).project_id == ""
