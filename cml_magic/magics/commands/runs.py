"""`%cml runs ...`: a job's runs, stopping, waiting and reading their output."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from cml_magic.api.statuses import RUN_FILTERS
from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.context import Context, load_frames
from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser, positive_int

if TYPE_CHECKING:
    from cml_magic.api.run_objects import JobRun

STATUSES = RUN_FILTERS
PLOT_LAST = 50  # runs in `%cml runs plot` by default: bars stay wide enough to read


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    from cml_magic.api.names import is_id, is_numeric

    options = ctx.list_options(args)
    runs = ctx.cml.runs.list(args.job, project=ctx.project(args), status=args.status, **options)
    typed = not (is_id(args.job) or is_numeric(args.job))  # the job's name, as typed
    return ctx.listing(runs, job_names={r.job_id: args.job for r in runs} if typed else None)


def locate(ctx: Context, args: argparse.Namespace) -> tuple[str, str | None]:
    """(job, project) of run `args.run`: --job if given, else a run seen before, else a search.

    The API addresses a run only under its job, so without --job the project's jobs are
    asked in turn (reads only).
    """
    if args.job:
        return args.job, ctx.project(args)
    seen = ctx.magic.names.job_of_run(args.run)
    if seen:
        return seen[0], seen[1] or ctx.project(args)
    project = ctx.project(args)
    cml = ctx.cml
    from cml_magic.api import NotFoundError

    for job in cml.jobs.iter(project=project):
        try:
            run = cml.runs.get(args.run, job.id, project=project)
        except NotFoundError:
            continue
        ctx.remember(job)
        ctx.remember(run)
        return job.id, project
    raise usage_error(
        f"no run {args.run!r} in any job of the project; check the id, or give --job and --project",
        "bad_name",
    )


def named(ctx: Context, run: JobRun, look_up: bool = False) -> JobRun:
    """`run` naming its job: the name the client knows, else one seen before, else (with
    `look_up`) the job's own, asked once; the id stays in `job_id`."""
    if run.job_name:
        return run
    name = ctx.magic.names.ids().get(run.job_id)
    if name is None and look_up:
        from cml_magic.api import CMLError

        try:
            name = ctx.cml.jobs.get(run.job_id, project=run.project_id or None).name
        except CMLError:  # the name is a nicety: the run is shown with its job's id
            name = None
    return dataclasses.replace(run, job_name=name) if name else run


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    job, project = locate(ctx, args)
    return ctx.remember(named(ctx, ctx.cml.runs.get(args.run, job, project=project), True))


def _stop(ctx: Context, args: argparse.Namespace) -> Any:
    job, project = locate(ctx, args)
    run = ctx.acted(ctx.remember(named(ctx, ctx.cml.runs.stop(args.run, job, project=project))))
    print(f"Asked CML to stop run {args.run} ({run.status}).")
    return run


def _wait(ctx: Context, args: argparse.Namespace) -> Any:
    job, project = locate(ctx, args)
    run = ctx.cml.runs.get(args.run, job, project=project)
    args.wait = not args.watch
    return ctx.follow(run, "run", args, f"run {run.id} of job {job}")


def _logs(ctx: Context, args: argparse.Namespace) -> None:
    job, project = locate(ctx, args)
    run = ctx.cml.runs.get(args.run, job, project=project)
    text = ctx.cml.runs.output(run)
    if text is None:
        from cml_magic.runlog import missing_hint

        print(missing_hint(run.id))
        return
    from cml_magic.api.masking import mask_text

    # A job that prints its environment prints CDSW_APIV2_KEY and whatever it was given.
    text = mask_text(text)
    print(text, end="" if text.endswith("\n") else "\n")


def _plot(ctx: Context, args: argparse.Namespace) -> Any:
    from cml_magic.magics.charts import chart

    def draw() -> Any:
        from cml_magic import plots

        frames = load_frames()
        from cml_magic.api.names import is_id, is_numeric

        project = ctx.project(args)
        runs = ctx.cml.runs.list(
            args.job, project=project, limit=args.last, page_size=ctx.magic.page_size or None
        )
        if not runs:
            raise plots.NothingToPlot(
                f"job {args.job} has no runs to plot yet; start one: %cml jobs run {args.job}"
            )
        ctx.magic.names.remember(runs)
        names = ctx.magic.names.ids()
        if not (is_id(args.job) or is_numeric(args.job)):  # the job's name, as typed
            names.update({r.job_id: args.job for r in runs})
        return plots.run_durations_figure(frames.to_frame(runs, job_names=names))

    return chart(draw)


def _plot_args(parser: CommandParser) -> None:
    parser.add_argument("--job", required=True, help="job name or id")
    parser.add_argument(
        "--last",
        type=positive_int,
        default=PLOT_LAST,
        metavar="N",
        help=f"the job's latest N runs (default {PLOT_LAST})",
    )


def _list_args(parser: CommandParser) -> None:
    parser.add_argument("--job", required=True, help="job name or id")
    parser.add_argument("--status", choices=STATUSES, help="only runs in this state")


def _run_args(parser: CommandParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run id")
    parser.add_argument("--job", help="the run's job (found by asking the jobs when omitted)")


RESOURCE = Resource(
    name="runs",
    summary="runs of a job",
    aliases=("run",),
    verbs=(
        Verb(
            "list",
            "list a job's runs, newest first",
            _list,
            _list_args,
            listing=True,
            searchable=False,
            example="%cml runs list --job nightly --status failed",
        ),
        Verb("show", "one run", _show, _run_args),
        Verb("stop", "stop a run", _stop, _run_args, example="%cml runs stop <run>"),
        Verb("wait", "wait until a run finishes", _wait, _run_args, follow=True),
        Verb(
            "logs",
            "print a run's output (stdout and stderr), keys and secret values masked",
            _logs,
            _run_args,
            example="%cml runs logs <run> --job nightly",
        ),
        Verb(
            "plot",
            "chart a job's latest runs: duration of each, coloured by final status",
            _plot,
            _plot_args,
            example="%cml runs plot --job nightly --last 20",
        ),
    ),
)
