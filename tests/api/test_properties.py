"""Properties of the pure helpers, over many generated inputs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from cml_magic.api.convert import environment, environment_text, integer, timestamp
from cml_magic.api.files import clean_path
from cml_magic.api.paging import filter_text
from cml_magic.api.paths import seg

names = st.text(min_size=1, max_size=20)


@given(st.dictionaries(names, st.text(max_size=30), max_size=8))
def test_environment_round_trips_through_cml_text(env: dict[str, str]) -> None:
    assert environment(environment_text(env)) == env
    assert environment(env) == env


@given(st.text(max_size=60))
@example("/\r0")  # whitespace bared by stripping the slash
@example(" /\r/x ")
def test_clean_path_never_leaves_the_project(path: str) -> None:
    clean = clean_path(path)
    assert not clean.startswith("/")
    assert ".." not in clean.split("/")
    assert clean_path(clean) == clean


@given(st.text(max_size=40))
def test_a_path_segment_never_holds_a_slash_or_query(value: str) -> None:
    encoded = seg(value)
    assert "/" not in encoded and "?" not in encoded and "#" not in encoded


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int64_strings_and_numbers(value: int) -> None:
    assert integer(str(value)) == value == integer(value)


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamps_round_trip(moment: datetime) -> None:
    text = moment.isoformat().replace("+00:00", "Z")
    parsed = timestamp(text)
    if moment.year <= 1:
        assert parsed is None
    else:
        assert parsed == moment


@given(st.dictionaries(names, st.one_of(st.text(max_size=10), st.booleans()), max_size=5))
def test_filters_are_json_objects_of_strings(wanted: dict[str, object]) -> None:
    text = filter_text(wanted)
    if not wanted:
        assert text is None
        return
    assert text is not None
    decoded = json.loads(text)
    assert set(decoded) == set(wanted)
    assert all(isinstance(v, str) for v in decoded.values())
