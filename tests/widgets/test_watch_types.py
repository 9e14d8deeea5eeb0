"""What a widget may watch is decided by the result's type, not by its class name."""

from __future__ import annotations

import pytest

from cml_magic.api import Application, JobRun, ModelBuild, ModelDeployment
from cml_magic.widgets.controller import kind_of


def test_each_watchable_result_has_its_kind() -> None:
    assert kind_of(JobRun.from_json({"id": "r1", "status": "ENGINE_RUNNING"})) == "run"
    assert kind_of(ModelBuild.from_json({"id": "b1"})) == "build"
    assert kind_of(ModelDeployment.from_json({"id": "d1"})) == "deployment"
    assert kind_of(Application.from_json({"id": "a1"})) == "application"


def test_a_subclass_of_a_result_is_watched_as_its_kind() -> None:
    class TaggedRun(JobRun):
        pass

    assert kind_of(TaggedRun.from_json({"id": "r1"})) == "run"


def test_a_look_alike_named_like_a_result_is_refused() -> None:
    class JobRun:  # the name alone does not make it a run
        id = "r1"
        status = "ENGINE_RUNNING"

    with pytest.raises(TypeError, match="cannot watch a JobRun"):
        kind_of(JobRun())
