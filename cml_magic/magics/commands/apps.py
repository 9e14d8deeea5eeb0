"""`%cml apps ...`: applications of a project."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands.fields import (
    CPU,
    DESCRIPTION,
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
from cml_magic.magics.parsing import CommandParser

FIELDS = (
    Field("--script", "script", "script that serves the app, relative to the project folder"),
    Field("--subdomain", "subdomain", "served at https://SUBDOMAIN.<workbench domain>"),
    DESCRIPTION,
    RUNTIME,
    KERNEL,
    CPU,
    MEMORY,
    GPU,
    Field("--public", "bypass_authentication", "no login needed to open it", boolean=True),
    ENV,
)
UPDATE_FIELDS = (NEW_NAME, *FIELDS)


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.listing(
        ctx.cml.applications.list(project=ctx.project(args), **ctx.list_options(args))
    )


def _show(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.remember(ctx.cml.applications.get(args.app, project=ctx.project(args)))


def _create(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, FIELDS)
    script, subdomain = fields.pop("script"), fields.pop("subdomain")
    app = ctx.cml.applications.create(
        args.name, script, subdomain, project=ctx.project(args), **fields
    )
    print(f"Created and started application {app.name} ({app.status}).")
    return ctx.remember(app)


def _update(ctx: Context, args: argparse.Namespace) -> Any:
    fields = field_values(args, UPDATE_FIELDS)
    if not fields:
        raise nothing_to_change("apps")
    return ctx.remember(ctx.cml.applications.update(args.app, project=ctx.project(args), **fields))


def _delete(ctx: Context, args: argparse.Namespace) -> None:
    ctx.cml.applications.delete(args.app, project=ctx.project(args))
    print(f"Deleted application {args.app}.")


def _restart(ctx: Context, args: argparse.Namespace) -> Any:
    app = ctx.cml.applications.restart(args.app, project=ctx.project(args))
    print(f"Restarting application {app.name} ({app.status}).")
    return ctx.remember(app)


def _stop(ctx: Context, args: argparse.Namespace) -> Any:
    app = ctx.cml.applications.stop(args.app, project=ctx.project(args))
    print(f"Stopping application {app.name} ({app.status}).")
    return ctx.remember(app)


def _app(parser: CommandParser) -> None:
    parser.add_argument("app", metavar="APP", help="application name or id")


def _create_args(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="name of the new application")
    add_fields(parser, FIELDS, required=("--script", "--subdomain"))


def _update_args(parser: CommandParser) -> None:
    _app(parser)
    add_fields(parser, UPDATE_FIELDS)


RESOURCE = Resource(
    name="apps",
    summary="applications (dashboards, web apps) of a project",
    aliases=("app", "applications", "application"),
    verbs=(
        Verb("list", "list a project's applications", _list, listing=True),
        Verb("show", "one application", _show, _app),
        Verb(
            "create",
            "create and start an application",
            _create,
            _create_args,
            example="%cml apps create dashboard --script app.py --subdomain dash",
        ),
        Verb("update", "change an application's fields", _update, _update_args),
        Verb("delete", "delete an application", _delete, _app),
        Verb(
            "restart",
            "restart (or start) an application",
            _restart,
            _app,
            example="%cml apps restart dashboard",
        ),
        Verb("stop", "stop an application", _stop, _app),
    ),
)
