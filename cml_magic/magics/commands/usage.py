"""`%cml usage`: what your workloads used (CML's usage records), as a DataFrame."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.context import Context, load_frames
from cml_magic.magics.parsing import CommandParser


def _arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--type", dest="workload_type", help="only this kind: job, application, model, session"
    )
    parser.add_argument("--status", help="only this status, e.g. ENGINE_SUCCEEDED")
    parser.add_argument(
        "--project",
        dest="project_name",
        metavar="NAME",
        help="only workloads of the project of this name (default: every project)",
    )


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    frames = load_frames()
    from cml_magic.api.listing import merged_filter
    from cml_magic.magics.results import limit_display

    options = ctx.list_options(args)
    wanted = {k: getattr(args, k) for k in ("workload_type", "status", "project_name")}
    options["search_filter"] = merged_filter(
        options.get("search_filter"), **{k: v for k, v in wanted.items() if v}
    )
    frame = frames.usage_frame(ctx.cml.usage.list(**options))
    return limit_display(frame, ctx.magic.display_limit, "no usage yet")


RESOURCE = Resource(
    name="usage",
    summary="what your workloads used (%cml usage is %cml usage list)",
    default="list",
    verbs=(
        Verb(
            "list",
            "usage records: each run, application and deployment with CPU, memory, duration",
            _list,
            _arguments,
            project=False,
            listing=True,
            example="%cml usage --type job --sort -created_at --limit 20",
        ),
    ),
)
