"""`%%cml_job_env`: its line options; the body is read by `envbody`."""

from __future__ import annotations

import argparse
from typing import Any

from cml_magic.magics.commands import Verb, parse_cell_line
from cml_magic.magics.commands.jobs import run_arguments, start_run
from cml_magic.magics.context import Context
from cml_magic.magics.envbody import parse_body
from cml_magic.magics.parsing import CommandParser

__all__ = ["parse_body", "parse_line", "start"]


def _arguments(parser: CommandParser) -> None:
    parser.add_argument("job", metavar="JOB", help="job name, id, or the number in its web address")
    run_arguments(parser)


def start(ctx: Context, args: argparse.Namespace, environment: dict[str, str]) -> Any:
    """Start the run with the cell's environment; returns the run."""
    return start_run(ctx, args, environment)


VERB = Verb(
    "cml_job_env",
    "start a run of JOB with the cell body (KEY=VALUE lines or JSON) as its environment",
    start,  # type: ignore[arg-type]
    _arguments,
    follow=True,
    example="%%cml_job_env nightly --wait\\nSTART_DATE=2017-01-01",
)
PROG = "%%cml_job_env"


def parse_line(line: str) -> argparse.Namespace:
    """The options of a `%%cml_job_env` line."""
    return parse_cell_line(PROG, VERB, line)
