"""`%cml projects ...`"""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands.fields import (
    DESCRIPTION,
    ENV,
    NEW_NAME,
    Field,
    add_fields,
    field_values,
    nothing_to_change,
)
from cml_magic.magics.context import Context
from cml_magic.magics.parsing import CommandParser

FIELDS = (
    DESCRIPTION,
    Field(
        "--visibility",
        "visibility",
        "who can see it",
        choices=("private", "organization", "public"),
    ),
    Field("--template", "template", "project template, e.g. Python, blank, git"),
    Field("--git-url", "git_url", "clone this repository into the project"),
    ENV,
)
UPDATE_FIELDS = (
    NEW_NAME,
    *(f for f in FIELDS if f.name in {"description", "visibility", "environment"}),
)


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(ctx.cml.projects.list(**ctx.list_options(args)))


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.remember(ctx.cml.projects.get(args.name))


def _create(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, FIELDS)
    return ctx.remember(ctx.cml.projects.create(args.name, **fields))


def _update(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, UPDATE_FIELDS)
    if not fields:
        raise nothing_to_change("projects")
    return ctx.remember(ctx.cml.projects.update(args.name, **fields))


def _delete(ctx: Context, args: argparse.Namespace) -> None:
    ctx.cml.projects.delete(args.name)
    print(f"Deleted project {args.name}.")


def _name(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="PROJECT", help="project name or id")


def _create_args(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="name of the new project")
    add_fields(parser, FIELDS)


def _update_args(parser: CommandParser) -> None:
    _name(parser)
    add_fields(parser, UPDATE_FIELDS)


RESOURCE = Resource(
    name="projects",
    summary="CML projects",
    aliases=("project",),
    verbs=(
        Verb(
            "list",
            "list the projects you can see",
            _list,
            project=False,
            listing=True,
            example="%cml projects list --search demo --limit 50",
        ),
        Verb("show", "one project", _show, _name, project=False),
        Verb(
            "create",
            "create a project",
            _create,
            _create_args,
            project=False,
            example="%cml projects create churn --template blank",
        ),
        Verb("update", "change a project's fields", _update, _update_args, project=False),
        Verb("delete", "delete a project and its files", _delete, _name, project=False),
    ),
)
