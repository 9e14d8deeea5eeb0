"""`%cml models ...`, `%cml builds ...` and `%cml deployments ...`."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands.fields import (
    CPU,
    DESCRIPTION,
    ENV,
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
from cml_magic.magics.parsing import CommandParser, count, positive_int

MODEL_FIELDS = (
    DESCRIPTION,
    Field("--no-auth", "disable_authentication", "serve without an access key", boolean=True),
)
UPDATE_FIELDS = (NEW_NAME, DESCRIPTION)
BUILD_FIELDS = (
    Field("--file", "file_path", "the model's script, relative to the project folder"),
    Field("--function", "function_name", "the function in it that answers requests"),
    RUNTIME,
    KERNEL,
    Field("--comment", "comment", "note kept with the build"),
)
DEPLOY_FIELDS = (
    CPU,
    MEMORY,
    Field("--gpu", "nvidia_gpus", "NVIDIA GPUs per replica", type=count),
    Field("--replicas", "replicas", "number of replicas", type=positive_int),
    ENV,
)


def model_of(args: argparse.Namespace) -> str:
    """The model named positionally or with --model (exactly one of them)."""
    given = [m for m in (getattr(args, "model", None), getattr(args, "model_opt", None)) if m]
    if not given or len(set(given)) > 1:
        raise usage_error(
            "name the model once, positionally or with --model (e.g. --model churn)",
            "bad_argument",
        )
    return str(given[0])


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    options = ctx.list_options(args)  # checks --all-projects before any request
    if args.all_projects:
        return ctx.listing(ctx.cml.models.list_in_all_projects(**options))
    return ctx.listing(ctx.cml.models.list(project=ctx.project(args), **options))


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.remember(ctx.cml.models.get(model_of(args), project=ctx.project(args)))


def _create(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, MODEL_FIELDS)
    return ctx.remember(ctx.cml.models.create(args.name, project=ctx.project(args), **fields))


def _update(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, UPDATE_FIELDS)
    model = model_of(args)
    if not fields:
        raise nothing_to_change("models")
    return ctx.remember(ctx.cml.models.update(model, project=ctx.project(args), **fields))


def _delete(ctx: Context, args: argparse.Namespace) -> None:
    model = model_of(args)
    ctx.cml.models.delete(model, project=ctx.project(args))
    print(f"Deleted model {model}.")


def build(ctx: Context, args: argparse.Namespace) -> Any:
    """Build a model (`%cml models build`, `%cml builds create`)."""
    model = model_of(args)
    fields = field_values(args, BUILD_FIELDS)
    file_path, function = fields.pop("file_path"), fields.pop("function_name")
    result = ctx.cml.builds.create(model, file_path, function, project=ctx.project(args), **fields)
    label = f"build {result.id} of model {model}"
    if not (args.wait or args.watch):
        print(f"Started {label} ({result.status}).")
    return ctx.follow(result, "build", args, label)


def deploy(ctx: Context, args: argparse.Namespace) -> Any:
    """Deploy a build (`%cml models deploy`, `%cml deployments create`); newest build by default."""
    model = model_of(args)
    fields = field_values(args, DEPLOY_FIELDS)
    project = ctx.project(args)
    build_id = args.build
    if not build_id:
        built = [b for b in ctx.cml.builds.list(model, project=project) if b.succeeded]
        if not built:
            raise usage_error(
                f"model {model} has no finished build: %cml models build --model {model}"
                " --file FILE --function FUNCTION --wait",
                "bad_name",
            )
        build_id = max(built, key=lambda b: b.created_at.timestamp() if b.created_at else 0).id
    result = ctx.cml.deployments.create(build_id, model, project=project, **fields)
    label = f"deployment {result.id} of model {model}"
    if not (args.wait or args.watch):
        print(f"Started {label} ({result.status}).")
    return ctx.follow(result, "deployment", args, label)


def model_arguments(parser: CommandParser, positional: bool = True) -> None:
    """MODEL positionally or as --model MODEL."""
    if positional:
        parser.add_argument("model", metavar="MODEL", nargs="?", help="model name or id")
    parser.add_argument("--model", dest="model_opt", metavar="MODEL", help="model name or id")


def build_arguments(parser: CommandParser) -> None:
    """Options of a model build."""
    model_arguments(parser)
    add_fields(parser, BUILD_FIELDS, required=("--file", "--function"))


def deploy_arguments(parser: CommandParser) -> None:
    """Options of a model deployment."""
    model_arguments(parser)
    parser.add_argument("--build", help="build id (default: the newest finished build)")
    add_fields(parser, DEPLOY_FIELDS)


def _create_args(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="name of the new model")
    add_fields(parser, MODEL_FIELDS)


def _update_args(parser: CommandParser) -> None:
    model_arguments(parser)
    add_fields(parser, UPDATE_FIELDS)


RESOURCE = Resource(
    name="models",
    summary="deployed models: create, build, deploy",
    aliases=("model",),
    verbs=(
        Verb(
            "list",
            "list a project's models (--all-projects: every project's)",
            _list,
            listing=True,
            across=True,
            example="%cml models list --all-projects --search churn",
        ),
        Verb("show", "one model", _show, model_arguments),
        Verb(
            "create",
            "create a model (then build and deploy it)",
            _create,
            _create_args,
            example="%cml models create churn",
        ),
        Verb("update", "change a model's name or description", _update, _update_args),
        Verb("delete", "delete a model", _delete, model_arguments),
        Verb(
            "build",
            "build a model from a script and function",
            build,
            build_arguments,
            follow=True,
            example="%cml models build --model churn --file predict.py --function predict --watch",
        ),
        Verb(
            "deploy",
            "deploy a build (the newest finished one by default)",
            deploy,
            deploy_arguments,
            follow=True,
            example="%cml models deploy --model churn --replicas 2 --wait",
        ),
    ),
)
