"""`%cml runtimes list`: the ML runtimes of the workbench."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.context import Context


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(ctx.cml.runtimes.list(**ctx.list_options(args)))


RESOURCE = Resource(
    name="runtimes",
    summary="ML runtimes (images) jobs, models and apps can use",
    aliases=("runtime",),
    verbs=(
        Verb(
            "list",
            "list runtimes",
            _list,
            project=False,
            listing=True,
            example="%cml runtimes list --search jupyter",
        ),
    ),
)
