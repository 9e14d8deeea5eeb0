"""`%cml builds ...`: a model's builds."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands.models import build, build_arguments, model_arguments, model_of
from cml_magic.magics.context import Context
from cml_magic.magics.parsing import CommandParser


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(ctx.cml.builds.list(model_of(args), project=ctx.project(args)))


def _get(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.cml.builds.get(args.build, model_of(args), project=ctx.project(args))


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    return _get(ctx, args)


def _wait(ctx: Context, args: argparse.Namespace) -> Any:
    result = _get(ctx, args)
    args.wait = not args.watch
    return ctx.follow(result, "build", args, f"build {result.id} of model {model_of(args)}")


def _build_args(parser: CommandParser) -> None:
    parser.add_argument("build", metavar="BUILD", help="build id")
    model_arguments(parser, positional=False)


RESOURCE = Resource(
    name="builds",
    summary="builds of a model",
    aliases=("build",),
    verbs=(
        Verb(
            "list",
            "list a model's builds",
            _list,
            lambda p: model_arguments(p, positional=False),
            example="%cml builds list --model churn",
        ),
        Verb("show", "one build", _show, _build_args),
        Verb(
            "create",
            "build a model (same as %cml models build)",
            build,
            build_arguments,
            follow=True,
        ),
        Verb("wait", "wait until a build finishes", _wait, _build_args, follow=True),
    ),
)
