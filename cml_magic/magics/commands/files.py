"""`%cml files list`: a project's files."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.context import Context
from cml_magic.magics.parsing import CommandParser


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(ctx.cml.files.list(args.path, project=ctx.project(args)))


def _path(parser: CommandParser) -> None:
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default="",
        help="folder in the project (default: its top)",
    )


RESOURCE = Resource(
    name="files",
    summary="files of a project",
    aliases=("file",),
    verbs=(
        Verb("list", "list a folder of the project", _list, _path, example="%cml files list data"),
    ),
)
