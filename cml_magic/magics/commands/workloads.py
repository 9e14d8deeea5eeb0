"""`%cml workloads`: what runs now (CML's workload executions), as a DataFrame; `--all` also
what ran."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.context import Context, load_frames
from cml_magic.magics.parsing import CommandParser


def _arguments(parser: CommandParser) -> None:
    parser.add_argument("--all", action="store_true", help="also the executions that ended")


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    frames = load_frames()
    from cml_magic.magics.results import limit_display

    options = ctx.list_options(args)
    found = ctx.cml.workloads.list(active=not args.all, **options)
    empty = "no executions yet" if args.all else "nothing runs now (--all: what ran)"
    return limit_display(frames.workloads_frame(found), ctx.magic.display_limit, empty)


RESOURCE = Resource(
    name="workloads",
    summary="what runs now (%cml workloads is %cml workloads list)",
    aliases=("workload",),
    default="list",
    verbs=(
        Verb(
            "list",
            "workload executions running now (--all: every one), with their workload",
            _list,
            _arguments,
            project=False,
            listing=True,
            searchable=False,
            example="%cml workloads --all --limit 20",
        ),
    ),
)
