"""`%cml keys list|create|delete`: the caller's own API v2 keys.

A created key is never printed: it goes into the variable `-o NAME` names (`NAME.api_key`;
every display of it is masked) and/or the system keyring (`--save`), so that it reaches the
user without ending up in a saved notebook's output.
"""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.context import Context, load_frames
from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser, positive_int


def _list(ctx: Context, args: argparse.Namespace) -> Any:
    frames = load_frames()
    from cml_magic.magics.results import limit_display

    return limit_display(
        frames.keys_frame(ctx.cml.keys.list()), ctx.magic.display_limit, "no API keys"
    )


def _create_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--days", type=positive_int, help="it expires after this many days (default: CML's)"
    )
    parser.add_argument("--comment", default="", help="what the key is for")
    parser.add_argument(
        "--audience",
        action="append",
        choices=("API", "Application"),
        help="who accepts it (default: API; repeat for both)",
    )
    parser.add_argument(
        "--save",
        action="store_true",
        help="keep it in the system keyring, for the profile in effect (or --profile)",
    )
    parser.add_argument("--profile", help="with --save: the profile to keep it for")


def _create(ctx: Context, args: argparse.Namespace) -> Any:
    if not (args.out or args.save):
        raise usage_error(
            "%cml keys create needs -o NAME (the key in NAME.api_key) or --save (the system"
            " keyring): the new key is shown nowhere else, and never printed",
            "bad_argument",
        )
    if args.profile and not args.save:
        raise usage_error("--profile goes with --save", "bad_argument")
    holder = ""
    if args.save:
        from cml_magic.api import keystore

        if not keystore.available():
            raise usage_error(f"--save: {keystore.MISSING}; nothing created", "not_configured")
        holder = args.profile or ctx.magic.profile_in_effect() or ctx.cml.host
    expiry = None
    if args.days:
        from datetime import UTC, datetime, timedelta

        expiry = datetime.now(UTC) + timedelta(days=args.days)
    made = ctx.cml.keys.create(expiry, comments=args.comment, audiences=args.audience or ["API"])
    where = [f"{args.out}.api_key"] if args.out else []
    if args.save:
        from cml_magic.api import keystore
        from cml_magic.api.errors import ConfigError

        try:
            keystore.save(holder, made.api_key)
        except ConfigError as exc:
            raise usage_error(f"created key {made.key_id}, but {exc}", "not_configured") from None
        where.append(f"the system keyring ({keystore.SERVICE}, {holder})")
    expires = made.expiry_date.strftime("%Y-%m-%d %H:%M UTC") if made.expiry_date else "never"
    print(
        f"Created API key {made.key_id} (expires {expires}); the key is in {' and '.join(where)}."
    )
    return made


def _delete_arguments(parser: CommandParser) -> None:
    parser.add_argument("key_ids", nargs="*", metavar="KEY_ID", help="the keys to revoke")
    parser.add_argument(
        "--all", action="store_true", help="revoke every v2 key of yours, the one in use too"
    )
    parser.add_argument("--yes", action="store_true", help="with --all: yes, every one")


def _delete(ctx: Context, args: argparse.Namespace) -> None:
    if args.all:
        if args.key_ids:
            raise usage_error("--all takes no KEY_ID", "bad_argument")
        if not args.yes:
            raise usage_error(
                "--all revokes every v2 key of yours, the one this notebook uses too; add --yes",
                "bad_argument",
            )
        ctx.cml.keys.delete_all()
        print("Revoked every API v2 key of yours; log in with a new key (%cml login).")
        return
    if not args.key_ids:
        raise usage_error(
            "%cml keys delete needs a KEY_ID (see %cml keys list) or --all --yes", "bad_argument"
        )
    for key_id in args.key_ids:
        ctx.cml.keys.delete(key_id)
    print(f"Revoked {', '.join(args.key_ids)}.")


RESOURCE = Resource(
    name="keys",
    summary="your API v2 keys",
    aliases=("key",),
    verbs=(
        Verb(
            "list",
            "list your API keys (ids and dates, never the keys)",
            _list,
            project=False,
            example="%cml keys list",
        ),  # fmt: skip
        Verb(
            "create",
            "create a key: in -o NAME (NAME.api_key) and/or the keyring (--save), never printed",
            _create,
            _create_arguments,
            project=False,
            example="%cml keys create --days 30 --comment ci -o new_key",
        ),
        Verb(
            "delete",
            "revoke keys by id (--all --yes: every one)",
            _delete,
            _delete_arguments,
            project=False,
            example="%cml keys delete 2f0c0d3e-...",
        ),
    ),
)
