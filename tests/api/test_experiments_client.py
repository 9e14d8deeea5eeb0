"""`cml.experiments` and `cml.experiment_runs` against the local server: every call, names and
ids, logging split into batches the server takes, bad values refused before anything is sent,
metric histories (one run, several runs)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from cml_magic.api import CML, BadRequestError, NotFoundError, Project
from cml_magic.api.experiment_objects import Experiment, ExperimentRun, Metric, run_status
from cml_magic.api.log_batches import batches, metric_items, pair_items


@pytest.fixture
def experiment(cml: CML, project: Project) -> Iterator[Experiment]:
    yield cml.experiments.create("churn", project=project.id, tags={"team": "risk"})


def test_experiments_by_name_and_id(cml: CML, project: Project, experiment: Experiment) -> None:
    assert experiment.project_id == project.id and experiment.tag_values == {"team": "risk"}
    assert cml.experiments.get("churn", project=project.id) == experiment
    assert cml.experiments.get(experiment.id, project=project.id).name == "churn"
    assert [e.id for e in cml.experiments.list(project=project.id)] == [experiment.id]
    across = cml.experiments.list_in_all_projects(search="churn")
    assert experiment.id in {e.id for e in across} and across.across_projects
    renamed = cml.experiments.update("churn", project=project.id, name="churn-2", tags={"k": "v"})
    assert renamed.name == "churn-2" and renamed.tag_values == {"team": "risk", "k": "v"}
    assert cml.refresh(renamed) == renamed
    with pytest.raises(NotFoundError, match="no experiment named 'churn'"):
        cml.experiments.get("churn", project=project.id)
    cml.experiments.delete("churn-2", project=project.id)
    assert cml.experiments.list(project=project.id) == []


def test_runs_log_end_and_delete(cml: CML, project: Project, experiment: Experiment) -> None:
    runs = cml.experiment_runs
    run = runs.create("churn", project=project.id, name="lr-0.1", tags={"seed": 7})
    assert run.project_id == project.id and run.experiment_id == experiment.id
    assert run.status == "EXPERIMENT_RUN_RUNNING" and not run.finished and run.tags == {"seed": "7"}
    assert runs.log(run, metrics={"loss": 0.5, "acc": 0.7}, params={"lr": 0.1}, step=1) == 1
    runs.log("lr-0.1", "churn", project=project.id, metrics={"loss": 0.25}, step=2)
    got = runs.get("lr-0.1", "churn", project=project.id)
    assert got.metrics == {"acc": 0.7, "loss": 0.25} and got.params == {"lr": "0.1"}
    assert runs.get(run.id, experiment.id, project=project.id).id == run.id
    history = runs.metric_history(run, "loss")
    assert (history.run_id, history.run_name, history.key) == (run.id, "lr-0.1", "loss")
    assert [(p.step, p.value) for p in history.points] == [(1, 0.5), (2, 0.25)]
    assert all(isinstance(p, Metric) and p.timestamp is not None for p in history.points)
    ended = runs.update(run, status="failed")
    assert ended.finished and not ended.succeeded and ended.end_time is not None
    assert runs.refresh(ended).status == "EXPERIMENT_RUN_FAILED"
    runs.delete_batch(run, metrics=["acc"], tags=["seed"])
    assert runs.refresh(run).metrics == {"loss": 0.25} and runs.refresh(run).tags == {}
    runs.delete("lr-0.1", "churn", project=project.id)
    assert runs.list("churn", project=project.id) == []
    with pytest.raises(NotFoundError, match="no experiment_run named 'lr-0.1'"):
        runs.get("lr-0.1", "churn", project=project.id)


def test_a_large_log_is_split_into_batches_the_server_takes(
    cml: CML, project: Project, experiment: Experiment
) -> None:
    run = cml.experiment_runs.create(experiment.id, project=project.id)
    points = [{"key": f"m{n % 20}", "value": n, "step": n // 20} for n in range(2500)]
    params = {f"p{n}": n for n in range(150)}
    tags = {f"t{n}": "x" for n in range(30)}
    sent = cml.experiment_runs.log(run, metrics=points, params=params, tags=tags)
    # 2500 metrics + 150 params + 30 tags: 1000 items a request at most, 100 params at most.
    assert sent == 3
    got = cml.experiment_runs.refresh(run)
    assert len(got.metrics) == 20 and len(got.params) == 150 and len(got.tags) == 30
    assert got.metrics["m0"] == 2480.0  # the highest step's value
    assert len(cml.experiment_runs.metric_history(got, "m3")) == 125


def test_bad_values_are_refused_before_anything_is_sent(
    cml: CML, project: Project, experiment: Experiment
) -> None:
    run = cml.experiment_runs.create(experiment.id, project=project.id)
    good = [{"key": "loss", "value": s, "step": s} for s in range(1500)]
    for bad, message in [
        ({"key": "loss", "value": math.nan}, "not a finite number"),
        ({"key": "loss", "value": "high"}, "not a number"),
        ({"key": "", "value": 1}, "non-empty text key"),
        ({"key": "loss", "value": 1, "step": 1.5}, "whole number"),
    ]:
        with pytest.raises(ValueError, match=message):
            cml.experiment_runs.log(run, metrics=[*good, bad])
    assert cml.experiment_runs.refresh(run).metrics == {}
    cml.experiment_runs.log(run, params={"lr": 1})
    with pytest.raises(BadRequestError, match="first value"):  # the server's own refusal
        cml.experiment_runs.log(run, params={"lr": 2})
    with pytest.raises(ValueError, match="unknown experiment run status"):
        cml.experiment_runs.update(run, status="done")
    with pytest.raises(TypeError, match="experiment"):
        cml.experiment_runs.log(run.id, metrics={"loss": 1})


def test_metric_histories_of_several_runs(
    cml: CML, project: Project, experiment: Experiment
) -> None:
    runs = cml.experiment_runs
    made = [runs.create(experiment.id, project=project.id, name=f"r{n}") for n in range(3)]
    for n, run in enumerate(made[:2]):
        runs.log(
            run, metrics=[{"key": "loss", "value": n + 1 / (s + 1), "step": s} for s in range(4)]
        )
    runs.log(made[2], metrics={"acc": 1.0})
    histories = runs.metric_histories("churn", "loss", project=project.id)
    assert [(h.run_name, len(h)) for h in histories] == [("r0", 4), ("r1", 4)]
    only = runs.metric_histories(experiment.id, "loss", project=project.id, runs=["r1"])
    assert [h.run_id for h in only] == [made[1].id]


def test_log_batches_keep_mlflows_limits() -> None:
    metrics = metric_items([{"key": "m", "value": n} for n in range(2100)])
    params = pair_items("param", {f"p{n}": n for n in range(250)})
    tags = pair_items("tag", {f"t{n}": n for n in range(120)})
    bodies = list(batches(metrics, params, tags))
    for body in bodies:
        counts = [len(body.get(k, ())) for k in ("metrics", "params", "tags")]
        assert counts[0] <= 1000 and counts[1] <= 100 and counts[2] <= 100 and sum(counts) <= 1000
    assert sum(len(b.get("metrics", ())) for b in bodies) == 2100
    assert [p for b in bodies for p in b.get("params", ())] == params  # each once, in order
    assert all(m["step"] == "0" for m in metrics)  # int64 as JSON text


def test_run_status_words() -> None:
    assert run_status("finished") == run_status("EXPERIMENT_RUN_FINISHED")
    assert run_status(" Killed ") == "EXPERIMENT_RUN_KILLED"
    run = ExperimentRun.from_json({"status": "EXPERIMENT_RUN_FINISHED"})
    assert run.finished and run.succeeded and run.metrics == {} and run.params == {}


def test_frames_keep_their_columns_and_types_when_empty() -> None:
    from cml_magic.api import Listing
    from cml_magic.api.experiment_objects import MetricHistory
    from cml_magic.frames import (
        METRIC_HISTORY_COLUMNS,
        experiment_runs_frame,
        metric_history_frame,
    )

    empty = metric_history_frame([])
    assert list(empty.columns) == list(METRIC_HISTORY_COLUMNS) and empty.empty
    full = metric_history_frame(
        MetricHistory(
            "r", "n", "loss", (Metric.from_json({"key": "loss", "value": 1, "step": "2"}),)
        )
    )
    assert list(empty.dtypes) == list(full.dtypes)
    assert [str(t) for t in full.dtypes] == [
        "string", "string", "string", "Int64", "float64", "datetime64[ns, UTC]",
    ]  # fmt: skip
    raw = [
        {"id": "a", "data": {"metrics": [{"key": "loss", "value": "0.5"}], "params": []}},
        {"id": "b", "data": {"params": [{"key": "lr", "value": "1"}]}},
    ]
    listed = experiment_runs_frame(Listing(ExperimentRun, raw))
    built = experiment_runs_frame([ExperimentRun.from_json(r) for r in raw])
    assert listed.equals(built)
    assert listed["metrics.loss"].tolist()[0] == 0.5 and listed["params.lr"].tolist()[1] == "1"
    assert list(experiment_runs_frame([]).columns)[:2] == ["id", "name"]


def test_a_logged_run_registers_in_the_registry_and_a_missing_one_does_not(
    cml: CML, project: Project, experiment: Experiment
) -> None:
    import uuid

    run = cml.experiment_runs.create(experiment.id, project=project.id, name="best")
    cml.experiment_runs.log(run, metrics={"acc": 0.9})
    name = f"from-run-{uuid.uuid4().hex[:8]}"
    version = cml.registry.register_run(name, experiment, run, "predict.py", project=project.id)
    assert version.run_id == run.id
    with pytest.raises(NotFoundError):  # the registry checks the run against the experiments
        cml.registry.register_run(
            name, experiment, "aaaa-bbbb-cccc-dddd", "predict.py", project=project.id
        )
    cml.registry.delete(name)
