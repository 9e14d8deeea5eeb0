"""`%cml registry ...`: the workspace's model registry: registered models, their versions,
registering a model build or an experiment run's model, and deploying a version."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from cml_magic.api.errors import CMLError
from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands.fields import add_fields, field_values
from cml_magic.magics.commands.models import DEPLOY_FIELDS
from cml_magic.magics.context import Context
from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser


def _tag(text: str) -> tuple[str, str]:
    """`--tag KEY=VALUE`."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _version_of(args: argparse.Namespace) -> str | None:
    version: str | None = getattr(args, "version", None)
    if version is not None and not version.strip():
        raise usage_error("--version takes a version number (3, v3) or id", "bad_argument")
    return version


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(ctx.cml.registry.list(**ctx.list_options(args)))


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    version = _version_of(args)
    if version is None:
        return ctx.cml.registry.get(args.registered_model)
    return ctx.cml.registry.get_version(args.registered_model, version)


def _versions(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(ctx.cml.registry.versions(args.registered_model, **ctx.list_options(args)))


def _register(ctx: Context, args: argparse.Namespace) -> Any:
    registry = ctx.cml.registry
    project = ctx.project(args)
    options: dict[str, Any] = {
        "description": args.description,
        "notes": args.notes,
        "tags": dict(args.tag) if args.tag else None,
        "visibility": "PUBLIC" if args.public else None,
    }
    if args.build:
        if args.run or args.experiment or args.path:
            raise usage_error(
                "--build registers that build's file: drop --run, --experiment and --path",
                "bad_argument",
            )
        if not args.model:
            raise usage_error("--build needs the build's model: add --model MODEL", "bad_argument")
        version = registry.register_build(
            args.name, args.build, args.model, project=project, **options
        )
    elif args.run or args.experiment:
        if not (args.run and args.experiment and args.path):
            raise usage_error(
                "an experiment run's model needs --experiment, --run and --path"
                " (the model's path in the run's artifacts)",
                "bad_argument",
            )
        version = registry.register_run(
            args.name, args.experiment, args.run, args.path, project=project, **options
        )
    elif args.path:
        registered = registry.create(args.name, args.path, project=project, **options)
        version = registry.newest_version(registered)
    else:
        raise usage_error(
            "say what to register: --build BUILD --model MODEL, --experiment E --run R --path"
            " PATH, or --path FILE",
            "bad_argument",
        )
    print(f"Registered {args.name} version {version.number} ({version.model_version_id}).")
    return version


def _delete(ctx: Context, args: argparse.Namespace) -> None:
    version = _version_of(args)
    if version is None:
        ctx.cml.registry.delete(args.registered_model)
        print(f"Deleted registered model {args.registered_model} and its versions.")
        return
    ctx.cml.registry.delete_version(args.registered_model, version)
    print(f"Deleted version {version} of registered model {args.registered_model}.")


def _deploy(ctx: Context, args: argparse.Namespace) -> Any:
    """A model of the project made from the registered model, a build of the version and its
    deployment (the newest version by default)."""
    registry = ctx.cml.registry
    registered = registry.get(args.registered_model)
    wanted = _version_of(args)
    if wanted is None:
        version = registry.newest_version(registered)
    else:
        version = registry.get_version(registered, wanted)
    project = ctx.project(args)
    name = args.name or registered.name
    model = ctx.remember(ctx.cml.models.create(name, project=project, registered_model=registered))
    try:
        build = ctx.cml.builds.create(model.id, project=project, registered_model_version=version)
        deployment = ctx.cml.deployments.create(
            build.id, model.id, project=project, **field_values(args, DEPLOY_FIELDS)
        )
    except CMLError:
        # No model left behind that serves nothing: the line failed as a whole.
        with contextlib.suppress(CMLError):
            ctx.cml.models.delete(model.id, project=project)
        raise
    label = f"deployment {deployment.id} of model {name}"
    print(
        f"Model {name} ({model.id}) from {registered.name} version {version.number}:"
        f" build {build.id}, {label} ({deployment.status})."
    )
    return ctx.follow(deployment, "deployment", args, label)


def _model_arg(parser: CommandParser) -> None:
    parser.add_argument("registered_model", metavar="MODEL", help="registered model name or id")


def _with_version(parser: CommandParser) -> None:
    _model_arg(parser)
    parser.add_argument("--version", help="version number (3 or v3) or id")


def _register_args(parser: CommandParser) -> None:
    parser.add_argument(
        "name", metavar="NAME", help="registered model name (a new version if it exists)"
    )
    parser.add_argument("--build", help="a built model build's id (with --model)")
    parser.add_argument("--model", help="the model of --build (name or id)")
    parser.add_argument("--experiment", help="experiment id (with --run and --path)")
    parser.add_argument("--run", help="experiment run id")
    parser.add_argument(
        "--path", help="the model's file in the project (or in the run's artifacts)"
    )
    parser.add_argument("--description", help="the registered model's description")
    parser.add_argument("--notes", help="notes of the new version")
    parser.add_argument(
        "--tag", action="append", type=_tag, metavar="KEY=VALUE", help="version tag (repeatable)"
    )
    parser.add_argument(
        "--public", action="store_true", help="everyone in the workspace sees the model"
    )


def _deploy_args(parser: CommandParser) -> None:
    _with_version(parser)
    parser.add_argument("--name", help="name of the new model (default: the registered name)")
    add_fields(parser, DEPLOY_FIELDS)


RESOURCE = Resource(
    name="registry",
    summary="the model registry, its registered models and their versions",
    verbs=(
        Verb(
            "list",
            "list the registered models you can see",
            _list,
            project=False,
            listing=True,
            example="%cml registry list --search churn",
        ),
        Verb(
            "show",
            "one registered model (--version: one of its versions)",
            _show,
            _with_version,
            project=False,
            example="%cml registry show churn --version 2",
        ),
        Verb(
            "versions",
            "list a registered model's versions",
            _versions,
            _model_arg,
            project=False,
            listing=True,
            searchable=False,
            example="%cml registry versions churn --sort -created_at",
        ),
        Verb(
            "register",
            "register a model build, an experiment run's model or a file as a new version",
            _register,
            _register_args,
            example="%cml registry register churn --build <build id> --model churn-model",
        ),
        Verb(
            "delete",
            "delete a registered model (--version: only that version)",
            _delete,
            _with_version,
            project=False,
            example="%cml registry delete churn --version 1",
        ),
        Verb(
            "deploy",
            "deploy a version (the newest by default) as a model of the project",
            _deploy,
            _deploy_args,
            follow=True,
            example="%cml registry deploy churn --version 2 --project risk-analysis --wait",
        ),
    ),
)
