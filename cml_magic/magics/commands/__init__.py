"""The `%cml` command table: resources, their verbs, and one parser per verb.

Each resource module declares its verbs; this package only builds parsers (lazily,
on first use) and adds the options every verb of a kind shares.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from cml_magic.magics.errors import HelpRequested
from cml_magic.magics.parsing import (
    CommandParser,
    json_object,
    positive_float,
    positive_int,
    split_line,
    variable_name,
)

if TYPE_CHECKING:
    from cml_magic.magics.context import Context

Handler = Callable[["Context", argparse.Namespace], Any]


@dataclass(frozen=True)
class Verb:
    """One `%cml <resource> <verb>` command.

    `arguments` adds the verb's own options; the flags add shared ones: `project`
    (-p/--project), `listing` (--search/--filter/--sort/--limit), `across`
    (--all-projects: CML's listing of every project), `follow` (--wait/--watch/--timeout).
    `aliases` are other accepted spellings (help shows the name only).
    """

    name: str
    summary: str
    run: Handler
    arguments: Callable[[CommandParser], None] = lambda parser: None
    project: bool = True
    listing: bool = False
    searchable: bool = True
    across: bool = False
    follow: bool = False
    example: str = ""
    aliases: tuple[str, ...] = ()


class Resource:
    """A group of verbs, e.g. `jobs`; `aliases` are other accepted spellings.

    `verbs` are given in help order, each named once (in its `Verb`); `.verbs` is then
    the table by name. `default` names the verb of a line that gives none.
    """

    def __init__(
        self,
        name: str,
        summary: str,
        verbs: Sequence[Verb],
        aliases: tuple[str, ...] = (),
        default: str | None = None,
    ) -> None:
        self.name = name
        self.summary = summary
        self.aliases = aliases
        # The verb a line without one runs (`%cml usage` is `%cml usage list`).
        self.default = default
        self.verbs: dict[str, Verb] = {verb.name: verb for verb in verbs}
        if len(self.verbs) != len(verbs):
            raise ValueError(f"%cml {name}: a verb is declared twice")
        self._spellings = {a: verb for verb in verbs for a in verb.aliases} | self.verbs
        if len(self._spellings) != len(verbs) + sum(len(verb.aliases) for verb in verbs):
            raise ValueError(f"%cml {name}: a verb's alias is taken")
        self._parsers: dict[str, CommandParser] = {}

    def __repr__(self) -> str:
        return f"Resource({self.name!r}, verbs={list(self.verbs)})"

    def verb(self, spelling: str) -> Verb | None:
        """The verb called `spelling` (or one of its aliases)."""
        return self._spellings.get(spelling)

    def parser(self, verb: str) -> CommandParser:
        """The parser of `verb`, built on first use."""
        if verb not in self._parsers:
            self._parsers[verb] = build_parser(self.name, self.verbs[verb])
        return self._parsers[verb]

    def usage(self) -> str:
        """Help text for the whole resource: its verbs, one line each."""
        width = max(len(name) for name in self.verbs)
        lines = [f"%cml {self.name} <verb> [options]   {self.summary}", "", "verbs:"]
        lines += [f"  {v.name:<{width}}  {v.summary}" for v in self.verbs.values()]
        examples = [v.example for v in self.verbs.values() if v.example]
        if examples:
            lines += ["", "examples:"] + [f"  {e}" for e in examples]
        lines += ["", f"%cml {self.name} <verb> --help shows a verb's options."]
        return "\n".join(lines)


_CELL_PARSERS: dict[str, CommandParser] = {}


def cell_parser(prog: str, verb: Verb) -> CommandParser:
    """The parser of the cell magic `prog`'s first line (e.g. `%%cml_file`), from `verb`'s
    arguments; built once per cell magic."""
    parser = _CELL_PARSERS.get(prog)
    if parser is None:
        parser = _CELL_PARSERS[prog] = build_parser("", verb)
        parser.prog = prog
    return parser


def parse_cell_line(prog: str, verb: Verb, line: str) -> argparse.Namespace:
    """The options on the first line of the cell magic `prog`; `-h` anywhere asks for help."""
    parser = cell_parser(prog, verb)
    words = split_line(line)
    if any(word in {"-h", "--help"} for word in words):
        raise HelpRequested(parser.format_help())
    return parser.parse_args(words)


def build_parser(resource: str, verb: Verb) -> CommandParser:
    """The parser for `%cml <resource> <verb>`, with the shared options its flags ask for."""
    parser = CommandParser(
        prog=f"%cml {resource} {verb.name}",
        description=verb.summary,
        epilog=f"example:\n  {verb.example}" if verb.example else None,
    )
    verb.arguments(parser)
    if verb.project:
        parser.add_argument(
            "-p", "--project", help="project name or id (default: %%cml use, or CDSW_PROJECT_ID)"
        )
    if verb.across:
        parser.add_argument(
            "--all-projects",
            action="store_true",
            help="every project you can see, yours and public ones (adds a project column;"
            " takes no --project, and no --sort: CML cannot sort this listing)",
        )
    if verb.listing:
        if verb.searchable:
            parser.add_argument("--search", help="only items whose name contains this text")
        parser.add_argument(
            "--filter",
            dest="search_filter",
            metavar="JSON",
            type=json_object,
            help='API search filter, e.g. \'{"name": "x"}\'',
        )
        parser.add_argument("--sort", help="API sort keys, e.g. -created_at")
        parser.add_argument("--limit", type=positive_int, help="at most this many items")
    if verb.follow:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--wait", action="store_true", help="block until it finishes, with one line of progress"
        )
        mode.add_argument(
            "--watch",
            action="store_true",
            help="show a live progress widget and return it (text outside widget frontends)",
        )
        parser.add_argument(
            "--timeout",
            type=positive_float,
            metavar="SECONDS",
            help="give up waiting after this long (the work goes on)",
        )
    parser.add_argument(
        "-o",
        "--out",
        metavar="NAME",
        type=variable_name,
        help="also store the result in this notebook variable",
    )
    return parser


# Each resource's module, in help order, and every spelling of it: one command imports one
# module (tests check this index against the modules' own names and aliases).
MODULES: dict[str, tuple[str, ...]] = {
    "projects": ("projects", "project"),
    "jobs": ("jobs", "job"),
    "runs": ("runs", "run"),
    "models": ("models", "model"),
    "builds": ("builds", "build"),
    "deployments": ("deployments", "deployment", "deploys"),
    "apps": ("apps", "app", "applications", "application"),
    "runtimes": ("runtimes", "runtime"),
    "files": ("files", "file"),
    "experiments": ("experiments", "experiment"),
    "registry": ("registry",),
    "keys": ("keys", "key"),
    "usage": ("usage",),
    "workloads": ("workloads", "workload"),
}
_MODULE_OF = {spelling: module for module, names in MODULES.items() for spelling in names}


def resource_named(name: str) -> Resource | None:
    """The resource called `name` (or one of its aliases), loading only its module."""
    module = _MODULE_OF.get(name)
    if module is None:
        return None
    found: Resource = import_module(f"{__name__}.{module}").RESOURCE
    return found


def resources() -> dict[str, Resource]:
    """Every resource by name and alias, in help order."""
    table: dict[str, Resource] = {}
    for module in MODULES:
        found: Resource = import_module(f"{__name__}.{module}").RESOURCE
        table[found.name] = found
        for alias in found.aliases:
            table[alias] = found
    return table
