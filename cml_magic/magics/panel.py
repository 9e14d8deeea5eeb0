"""`%cml panel [NAME] [--project P] [--job J]`: the click-through panels of `cml_magic.widgets`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cml_magic.magics.commands import Verb, build_parser
from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser

if TYPE_CHECKING:
    from cml_magic.magics.magic import CMLMagics

# The names `cml_magic.widgets.panel` takes (it also accepts a few singular spellings).
PANELS = ("projects", "jobs", "models", "apps")


def _arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "name",
        metavar="NAME",
        nargs="?",
        help=f"one panel: {', '.join(PANELS)} (default: all of them as tabs)",
    )
    parser.add_argument("--job", help="the job preselected in the jobs panel (name or id)")


VERB = Verb(
    "panel",
    "click-through widgets: projects, jobs (run form), models, apps; all as tabs by default",
    lambda ctx, args: None,  # run by `run` below: it needs the magic, not a Context
    _arguments,
    example="%cml panel jobs --project risk-analysis --job nightly",
)
_parser: CommandParser | None = None


def parser() -> CommandParser:
    """The parser of `%cml panel`, built on first use."""
    global _parser
    if _parser is None:
        _parser = build_parser("", VERB)
        _parser.prog = "%cml panel"
    return _parser


def run(magic: CMLMagics, words: list[str]) -> Any:
    """Show the panel: displayed in a widget front end (and returned as None, or stored by
    `-o NAME`); elsewhere the matching listing is returned as a DataFrame."""
    args = parser().parse_args(words)
    if args.job and args.name not in (None, "jobs", "job", "run"):
        raise usage_error(
            f"--job belongs to the jobs panel, not {args.name!r}: %cml panel jobs --job JOB",
            "bad_argument",
        )
    from cml_magic import widgets

    project = args.project or magic.project or None
    try:
        view = magic._call(
            lambda: widgets.panel(magic.client(), args.name, project=project, job=args.job)
        )
    except ValueError as exc:  # an unknown panel name: the message lists the choices
        raise usage_error(f"%cml panel: {exc}", "bad_argument") from None
    if args.out:
        magic.user_ns[args.out] = view
    if not widgets.in_widget_frontend():
        return view  # a listing: the cell shows it, `df = %cml panel jobs` keeps it
    from IPython.display import display

    display(view)  # type: ignore[no-untyped-call]
    return None
