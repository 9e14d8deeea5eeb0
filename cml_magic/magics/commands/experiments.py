"""`%cml experiments ...`: a project's experiments, their runs (one row each, with the params
and latest metrics as columns) and a metric's history."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.context import Context, load_frames
from cml_magic.magics.errors import did_you_mean, usage_error
from cml_magic.magics.parsing import CommandParser

if TYPE_CHECKING:
    from cml_magic.api.experiment_objects import Experiment, ExperimentRun

T = TypeVar("T")
RUN_STATUSES = ("running", "scheduled", "finished", "failed", "killed")


def tag_pair(text: str) -> tuple[str, str]:
    """argparse type for `--tag KEY=VALUE`."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r} (e.g. --tag team=risk)")
    return key, value


def _named(lookup: Callable[[], T], kind: str, names: Callable[[], list[str]], where: str) -> T:
    """`lookup()`, with a name that is not found told in one line with the closest name."""
    from cml_magic.api import NotFoundError

    try:
        return lookup()
    except NotFoundError as exc:
        if not exc.name:
            raise
        try:
            hint = did_you_mean(exc.name, names())
        except Exception:  # noqa: BLE001 - the error itself matters more than the hint
            hint = ""
        raise usage_error(f"no {kind} named {exc.name!r}{where}{hint}", "bad_name") from None


def experiment_of(ctx: Context, args: argparse.Namespace) -> Experiment:
    """The experiment `args.experiment` names (an id or a name) in the project."""
    project = ctx.project(args)
    cml = ctx.cml
    where = f" in project {project}" if project else ""
    return _named(
        lambda: cml.experiments.get(args.experiment, project=project),
        "experiment",
        lambda: [e.name for e in cml.experiments.list(project=project, limit=500)],
        where,
    )


def run_of(ctx: Context, experiment: Experiment, ref: str) -> ExperimentRun:
    """The run `ref` names (an id or a name) in `experiment`."""
    runs = ctx.cml.experiment_runs
    return _named(
        lambda: runs.get(ref, experiment.id, project=experiment.project_id),
        "run",
        lambda: [r.name for r in runs.list(experiment.id, project=experiment.project_id)],
        f" in experiment {experiment.name}",
    )


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    options = ctx.list_options(args)  # checks --all-projects before any request
    if args.all_projects:
        return ctx.listing(ctx.cml.experiments.list_in_all_projects(**options))
    return ctx.listing(ctx.cml.experiments.list(project=ctx.project(args), **options))


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    return experiment_of(ctx, args)


def _create(ctx: Context, args: argparse.Namespace) -> Any:
    tags = dict(args.tag or [])
    return ctx.cml.experiments.create(
        args.name,
        project=ctx.project(args),
        artifact_location=args.artifact_location,
        tags=tags or None,
    )


def _delete(ctx: Context, args: argparse.Namespace) -> None:
    experiment = experiment_of(ctx, args)
    ctx.cml.experiments.delete(experiment.id, project=experiment.project_id)
    print(f"Deleted experiment {experiment.name} with its runs.")


def _runs(ctx: Context, args: argparse.Namespace) -> Any:
    frames = load_frames()
    from cml_magic.magics.results import limit_display

    experiment = experiment_of(ctx, args)
    options = ctx.list_options(args)
    if args.status:
        options["search_filter"] = _with_status(options.get("search_filter"), args.status)
    runs = ctx.cml.experiment_runs.list(experiment.id, project=experiment.project_id, **options)
    frame = frames.experiment_runs_frame(runs)
    return limit_display(frame, ctx.magic.display_limit, f"no runs in {experiment.name} yet")


def _with_status(search_filter: Any, status: str) -> dict[str, Any]:
    import json

    found = json.loads(search_filter) if isinstance(search_filter, str) else {}
    return {**found, "status": status}


def _metrics(ctx: Context, args: argparse.Namespace) -> Any:
    frames = load_frames()
    from cml_magic.magics.results import limit_display

    experiment = experiment_of(ctx, args)
    run = run_of(ctx, experiment, args.run)
    history = ctx.cml.experiment_runs.metric_history(run, args.key)
    if not history.points and args.key not in run.metrics:
        known = sorted(run.metrics)
        hint = did_you_mean(args.key, known) or (
            f" (it logged: {', '.join(known)})" if known else " (it logged no metrics)"
        )
        raise usage_error(f"run {run.name} logged no metric {args.key!r}{hint}", "bad_name")
    frame = frames.metric_history_frame(history)
    return limit_display(frame, ctx.magic.display_limit, f"no values of {args.key} yet")


def _plot(ctx: Context, args: argparse.Namespace) -> Any:
    from cml_magic.magics.charts import chart

    def draw() -> Any:
        from cml_magic import plots

        frames = load_frames()

        experiment = experiment_of(ctx, args)
        runs = ctx.cml.experiment_runs
        histories = runs.metric_histories(
            experiment.id, args.metric, project=experiment.project_id, runs=args.runs
        )
        if not histories:
            listed = runs.list(experiment.id, project=experiment.project_id)
            known = sorted({key for run in listed for key in run.metrics})
            hint = did_you_mean(args.metric, known) or (
                f" (they logged: {', '.join(known)})" if known else ""
            )
            raise plots.NothingToPlot(
                f"no run of experiment {experiment.name} logged metric {args.metric!r}{hint}"
            )
        history = frames.metric_history_frame(histories)
        return plots.metric_history_figure(history, args.metric, final=args.final)

    return chart(draw)


def _experiment_arg(parser: CommandParser) -> None:
    parser.add_argument("experiment", metavar="EXPERIMENT", help="experiment name or id")


def _create_args(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="name of the new experiment")
    parser.add_argument(
        "--tag", action="append", type=tag_pair, metavar="KEY=VALUE", help="a tag (repeatable)"
    )
    parser.add_argument("--artifact-location", help="where its runs' artifacts go")


def _runs_args(parser: CommandParser) -> None:
    _experiment_arg(parser)
    parser.add_argument("--status", choices=RUN_STATUSES, help="only runs in this state")


def _metrics_args(parser: CommandParser) -> None:
    _experiment_arg(parser)
    parser.add_argument("run", metavar="RUN", help="run name or id")
    parser.add_argument("key", metavar="KEY", help="the metric, e.g. loss")


def _plot_args(parser: CommandParser) -> None:
    _experiment_arg(parser)
    parser.add_argument("--metric", required=True, help="the metric to draw, e.g. loss")
    parser.add_argument(
        "--final", action="store_true", help="one bar per run of its last value, not lines"
    )
    parser.add_argument(
        "--runs", nargs="+", metavar="RUN", help="only these runs (names or ids; default: all)"
    )


RESOURCE = Resource(
    name="experiments",
    summary="experiments of a project, with their runs, params and metrics",
    aliases=("experiment",),
    verbs=(
        Verb(
            "list",
            "list a project's experiments (--all-projects: every project's)",
            _list,
            listing=True,
            across=True,
            example="%cml experiments list --all-projects",
        ),
        Verb("show", "one experiment", _show, _experiment_arg),
        Verb(
            "create",
            "create an experiment",
            _create,
            _create_args,
            example="%cml experiments create churn --tag team=risk",
        ),
        Verb("delete", "delete an experiment with its runs", _delete, _experiment_arg),
        Verb(
            "runs",
            "an experiment's runs: one row each, params and latest metrics as columns",
            _runs,
            _runs_args,
            listing=True,
            example="df = %cml experiments runs churn --sort=-metrics.accuracy",
        ),
        Verb(
            "metrics",
            "every logged value of one metric of a run",
            _metrics,
            _metrics_args,
            example="%cml experiments metrics churn lr-0.1 loss -o loss",
        ),
        Verb(
            "plot",
            "each run's history of a metric as a line (--final: a bar per run of its last value)",
            _plot,
            _plot_args,
            example="%cml experiments plot churn --metric loss",
        ),
    ),
)
