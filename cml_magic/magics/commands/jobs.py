"""`%cml jobs ...`, including starting runs (API v2) and the legacy v1 start."""

from __future__ import annotations

import argparse
import re
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands.fields import (
    CPU,
    ENV,
    GPU,
    KERNEL,
    MEMORY,
    NEW_NAME,
    RUNTIME,
    Field,
    add_fields,
    field_values,
    nothing_to_change,
)
from cml_magic.magics.context import Context
from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser, env_pair, positive_int

FIELDS = (
    Field("--script", "script", "script to run, relative to the project folder"),
    RUNTIME,
    KERNEL,
    CPU,
    MEMORY,
    GPU,
    Field("--schedule", "schedule", "cron schedule, e.g. '0 2 * * *' (empty: manual)"),
    Field("--arguments", "arguments", "arguments (the run sees them as JOB_ARGUMENTS)"),
    Field("--timeout-seconds", "timeout", "stop runs after this many seconds", type=positive_int),
    Field("--parent", "parent_id", "run after this job succeeds (job id)"),
    ENV,
)
UPDATE_FIELDS = (NEW_NAME, *FIELDS)
V1_REF = re.compile(r"(?P<owner>[^/\s]+)/(?P<project>[^/\s]+)/(?P<job>\d+)\Z")


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    options = ctx.list_options(args)  # checks --all-projects before any request
    if args.all_projects:
        return ctx.listing(ctx.cml.jobs.list_in_all_projects(**options))
    return ctx.listing(ctx.cml.jobs.list(project=ctx.project(args), **options))


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.remember(ctx.cml.jobs.get(args.job, project=ctx.project(args)))


def _create(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, FIELDS)
    script = fields.pop("script")
    return ctx.remember(ctx.cml.jobs.create(args.name, script, project=ctx.project(args), **fields))


def _update(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, UPDATE_FIELDS)
    if not fields:
        raise nothing_to_change("jobs")
    return ctx.remember(ctx.cml.jobs.update(args.job, project=ctx.project(args), **fields))


def _delete(ctx: Context, args: argparse.Namespace) -> None:
    ctx.cml.jobs.delete(args.job, project=ctx.project(args))
    print(f"Deleted job {args.job}.")


def start_run(ctx: Context, args: argparse.Namespace, environment: dict[str, str] | None) -> Any:
    """Start a run of `args.job` with `environment`, then honour --wait/--watch.

    Shared by `%cml jobs run` and `%%cml_job_env`.
    """
    run = ctx.cml.runs.create(
        args.job,
        project=ctx.project(args),
        environment=environment or None,
        arguments=args.arguments,
    )
    ctx.remember(run)
    label = f"run {run.id} of job {args.job}"
    if not (args.wait or args.watch):
        print(f"Started {label} ({run.status}).")
    return ctx.follow(run, "run", args, label)


def _run(ctx: Context, args: argparse.Namespace) -> Any:
    return start_run(ctx, args, dict(args.env or []))


def _start_v1(ctx: Context, args: argparse.Namespace) -> str:
    match = V1_REF.match(args.ref)
    if not match:
        raise usage_error(
            f"bad job reference {args.ref!r}: expected OWNER/PROJECT/JOB_NUMBER as in the job's"
            " web address, e.g. alice/risk-analysis/208",
            "bad_argument",
        )
    environment = dict(args.env or [])
    engine_id: str = ctx.cml.start_job_v1(
        match["owner"], match["project"], int(match["job"]), environment=environment or None
    )
    print(f"Started run {engine_id} of job {args.ref} (legacy jobs API).")
    return engine_id


def _job(parser: CommandParser) -> None:
    parser.add_argument("job", metavar="JOB", help="job name, id, or the number in its web address")


def _create_args(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="name of the new job")
    add_fields(parser, FIELDS, required=("--script",))


def _update_args(parser: CommandParser) -> None:
    _job(parser)
    add_fields(parser, UPDATE_FIELDS)


def run_arguments(parser: CommandParser) -> None:
    """Options of a run start, shared with `%%cml_job_env`."""
    parser.add_argument("--arguments", help="arguments for this run only (JOB_ARGUMENTS)")


def _run_args(parser: CommandParser) -> None:
    _job(parser)
    parser.add_argument(
        "--env",
        action="append",
        type=env_pair,
        metavar="KEY=VALUE",
        help="environment variable for this run only (repeatable)",
    )
    run_arguments(parser)


def _start_v1_args(parser: CommandParser) -> None:
    parser.add_argument(
        "ref",
        metavar="OWNER/PROJECT/JOB_NUMBER",
        help="as in the job's web address, e.g. alice/risk-analysis/208",
    )
    parser.add_argument(
        "--env",
        action="append",
        type=env_pair,
        metavar="KEY=VALUE",
        help="environment variable for this run only (repeatable)",
    )


RESOURCE = Resource(
    name="jobs",
    summary="jobs of a project, and starting their runs",
    aliases=("job",),
    verbs=(
        Verb(
            "list",
            "list a project's jobs (--all-projects: every project's)",
            _list,
            listing=True,
            across=True,
            example="%cml jobs list --project risk-analysis",
        ),
        Verb("show", "one job", _show, _job),
        Verb(
            "create",
            "create a job",
            _create,
            _create_args,
            example="%cml jobs create nightly --script etl.py --runtime <image>",
        ),
        Verb("update", "change a job's fields", _update, _update_args),
        Verb("delete", "delete a job", _delete, _job),
        Verb(
            "run",
            "start a run of a job",
            _run,
            _run_args,
            follow=True,
            example="%cml jobs run nightly --env START_DATE=2017-01-01 --wait",
        ),
        Verb(
            "start-v1",
            "start a run through the legacy jobs API v1",
            _start_v1,
            _start_v1_args,
            project=False,
            example="%cml jobs start-v1 alice/risk-analysis/208 --env K=V",
        ),
    ),
)
