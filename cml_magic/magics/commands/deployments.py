"""`%cml deployments ...`: deployments of a model's builds."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands.models import deploy, deploy_arguments, model_arguments, model_of
from cml_magic.magics.context import Context
from cml_magic.magics.parsing import CommandParser


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(
        ctx.cml.deployments.list(model_of(args), build=args.build, project=ctx.project(args))
    )


def _call(ctx: Context, args: argparse.Namespace, verb: str) -> Any:
    method = getattr(ctx.cml.deployments, verb)
    return method(args.deployment, model_of(args), build=args.build, project=ctx.project(args))


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    return _call(ctx, args, "get")


def _stop(ctx: Context, args: argparse.Namespace) -> Any:
    result = _call(ctx, args, "stop")
    print(f"Asked CML to stop deployment {args.deployment} ({result.status}).")
    return result


def _restart(ctx: Context, args: argparse.Namespace) -> Any:
    result = _call(ctx, args, "restart")
    label = f"deployment {args.deployment}"
    if not (args.wait or args.watch):
        print(f"Restarting {label} ({result.status}).")
    return ctx.follow(result, "deployment", args, label)


def _wait(ctx: Context, args: argparse.Namespace) -> Any:
    result = _call(ctx, args, "get")
    args.wait = not args.watch
    return ctx.follow(result, "deployment", args, f"deployment {args.deployment}")


def _list_args(parser: CommandParser) -> None:
    model_arguments(parser, positional=False)
    parser.add_argument("--build", help="only deployments of this build")


def _one_args(parser: CommandParser) -> None:
    parser.add_argument("deployment", metavar="DEPLOYMENT", help="deployment id")
    model_arguments(parser, positional=False)
    parser.add_argument("--build", help="the deployment's build id (found when omitted)")


RESOURCE = Resource(
    name="deployments",
    summary="deployments of a model",
    aliases=("deployment", "deploys"),
    verbs=(
        Verb(
            "list",
            "list a model's deployments",
            _list,
            _list_args,
            example="%cml deployments list --model churn",
        ),
        Verb("show", "one deployment", _show, _one_args),
        Verb(
            "create",
            "deploy a build (same as %cml models deploy)",
            deploy,
            deploy_arguments,
            follow=True,
        ),
        Verb("stop", "stop a deployment", _stop, _one_args),
        Verb("restart", "restart a deployment", _restart, _one_args, follow=True),
        Verb("wait", "wait until a deployment is deployed", _wait, _one_args, follow=True),
    ),
)
