"""Declared create/update options: one `Field` per API field a flag sets."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser, count, env_pair, positive_float


@dataclass(frozen=True)
class Field:
    """`--flag VALUE` that sets the API field `name` (only when given)."""

    flag: str
    name: str
    help: str
    type: Callable[[str], Any] = str
    choices: Sequence[str] | None = None
    boolean: bool = False


ENV = Field("--env", "environment", "environment variable KEY=VALUE (repeatable)")
NEW_NAME = Field("--name", "name", "new name")
DESCRIPTION = Field("--description", "description", "free text")
# The compute a job, application or model build runs with.
RUNTIME = Field("--runtime", "runtime_identifier", "runtime image identifier (ML runtimes)")
KERNEL = Field("--kernel", "kernel", "engine kernel (legacy engines): python3, r, scala")
CPU = Field("--cpu", "cpu", "vCPUs", type=positive_float)
MEMORY = Field("--memory", "memory", "memory in GB", type=positive_float)
GPU = Field("--gpu", "nvidia_gpu", "NVIDIA GPUs", type=count)


def add_fields(
    parser: CommandParser, fields: Sequence[Field], required: Sequence[str] = ()
) -> None:
    """Add one option per field; `required` names the flags that must be given."""
    for f in fields:
        dest = f.name
        if f.boolean:
            parser.add_argument(f.flag, dest=dest, action="store_true", default=None, help=f.help)
        elif f is ENV or f.name == "environment":
            parser.add_argument(
                f.flag, dest=dest, action="append", type=env_pair, metavar="KEY=VALUE", help=f.help
            )
        else:
            parser.add_argument(
                f.flag,
                dest=dest,
                type=f.type,
                choices=f.choices,
                required=f.flag in required,
                metavar=f.flag.lstrip("-").upper().replace("-", "_") if not f.choices else None,
                help=f.help,
            )


def field_values(args: argparse.Namespace, fields: Sequence[Field]) -> dict[str, Any]:
    """The API fields the user set, with --env pairs checked and turned into a dict."""
    values: dict[str, Any] = {}
    for f in fields:
        value = getattr(args, f.name, None)
        if value is None:
            continue
        values[f.name] = dict(value) if f.name == "environment" else value
    return values


def nothing_to_change(resource: str) -> Exception:
    """The error for an update without any field to change."""
    return usage_error(
        f"nothing to change: give at least one option (see %cml {resource} update --help)",
        "bad_argument",
    )
