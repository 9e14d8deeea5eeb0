"""`cml.keys`, `cml.usage` and `cml.workloads` against the local server: a new key reaches the
caller once and no display shows it; listings become DataFrames of fixed, typed columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cml_magic import frames
from cml_magic.api import CML, AuthError
from cml_magic.api.masking import mask_text
from cml_magic.local import LocalCML


def test_a_new_key_works_shows_nowhere_and_is_revoked(cml: CML, local_cml: LocalCML) -> None:
    made = cml.keys.create(datetime.now(UTC) + timedelta(days=1), comments="t", audiences=["API"])
    assert made.expiry_date is not None and made.expiry_date > datetime.now(UTC)
    for shown in (repr(made), str(made.summary()), made._repr_html_(), mask_text(made.api_key)):
        assert made.api_key not in shown and made.api_key[:12] not in shown
    with CML(local_cml.url, made.api_key) as other:
        assert other.whoami().username == "alice"
        cml.keys.delete(made.key_id)
        with pytest.raises(AuthError):
            other.whoami()
    frame = frames.keys_frame(cml.keys.list())
    assert list(frame.columns) == list(frames.KEY_COLUMNS)
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"
    assert made.key_id not in set(frame["key_id"])
    with pytest.raises(ValueError, match="time zone"):
        cml.keys.create(datetime(2099, 1, 1))


def test_another_users_keys_are_refused(cml: CML, bob: CML) -> None:
    with pytest.raises(AuthError, match="403"):
        cml.keys.list("bob")
    assert all(k.key_id for k in bob.keys.list())


def test_usage_and_workloads_as_typed_frames(cml: CML) -> None:
    run = cml.runs.create("nightly")
    assert cml.wait_for_run(run, timeout=60, poll_interval=0.05).finished
    usage = frames.usage_frame(cml.usage.list(search_filter={"workload_type": "job"}))
    assert list(usage.columns) == list(frames.USAGE_COLUMNS)
    assert run.id in set(usage["id"])
    dtypes = {c: str(t) for c, t in usage.dtypes.items()}
    assert dtypes["cpu"] == "float64" and dtypes["duration"] == "timedelta64[ns]"
    assert dtypes["created_at"] == "datetime64[ns, UTC]"
    ran = cml.workloads.list()
    mine = [e for e in ran if e.workload_execution_crn.endswith(run.id)]
    assert mine and mine[0].name == "nightly" and not mine[0].active
    table = frames.workloads_frame(ran)
    assert list(table.columns) == list(frames.WORKLOAD_COLUMNS)
    assert str(table["active"].dtype) == "bool" and str(table["end_time"].dtype).startswith(
        "datetime64"
    )


@pytest.mark.parametrize(
    ("build", "columns"),
    [
        (frames.keys_frame, frames.KEY_COLUMNS),
        (frames.usage_frame, frames.USAGE_COLUMNS),
        (frames.workloads_frame, frames.WORKLOAD_COLUMNS),
    ],
)
def test_empty_frames_keep_their_columns_and_types(build: Any, columns: tuple[str, ...]) -> None:
    frame = build([])
    assert list(frame.columns) == list(columns) and frame.empty
    assert all(str(frame[c].dtype).startswith("datetime64[ns") for c in frame if "time" in c)
