"""`%cml` line -> (resource, verb, arguments): every check done before any request."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from cml_magic.magics.commands import Resource, Verb, resource_named, resources
from cml_magic.magics.errors import HelpRequested, usage_error
from cml_magic.magics.parsing import split_line

# Commands about the notebook's own session rather than a CML resource.
SESSION_COMMANDS = {
    "help": "this overview; %cml help RESOURCE [VERB] for details",
    "use": "%cml use PROJECT: the default project of this notebook (--clear to forget it);"
    " %cml use --profile NAME: the workspace profile of the config file",
    "config": "the settings in effect (the API key masked)",
    "login": "ask for the API key without echoing it, check it with CML, keep it in memory"
    " only (--profile P: for that profile; --save: also in the system keyring);"
    " --legacy: the legacy v1 key",
    "logout": "forget the keys given by %cml login (--keyring: also the one --save kept)",
    "whoami": "who the key in use belongs to: user, workspace, profile",
    "panel": "%cml panel [projects|jobs|models|apps] [--project P] [--job J]: click-through"
    " widgets (all panels as tabs by default)",
}


@dataclass(frozen=True)
class Invocation:
    """A parsed `%cml` line, ready to run."""

    resource: Resource
    verb: Verb
    args: argparse.Namespace


def parse(line: str) -> Invocation | tuple[str, list[str]]:
    """Parse a `%cml` line.

    Returns an `Invocation`, or ("session", words) for the session commands. Raises a
    one-line `UsageError` for anything wrong, and `HelpRequested` for help.
    """
    words = split_line(line)
    if not words or words[0] in {"help", "-h", "--help"}:
        raise HelpRequested(help_text(words[1:]))
    head, rest = words[0], words[1:]
    if head in SESSION_COMMANDS:
        return head, rest
    found = resource_named(head)
    if found is None:
        table = resources()
        raise usage_error(
            f"unknown command {head!r}{_did_you_mean(head, table)}; one of: "
            + ", ".join(_names(table) + sorted(SESSION_COMMANDS)),
            "bad_command",
        )
    if found.default and (not rest or rest[0].startswith("-") and rest[0] not in {"-h", "--help"}):
        rest = [found.default, *rest]  # `%cml usage --limit 5` is `%cml usage list --limit 5`
    if not rest or rest[0] in {"-h", "--help"}:
        if rest and found.default:  # its verbs, and the options of the one it runs
            raise HelpRequested(found.usage() + "\n\n" + found.parser(found.default).format_help())
        if rest:
            raise HelpRequested(found.usage())
        raise usage_error(
            f"%cml {found.name} needs a verb: one of {', '.join(found.verbs)}"
            f" (e.g. %cml {found.name} list; %cml {found.name} --help)",
            "bad_command",
        )
    verb = found.verb(rest[0])
    if verb is None:
        raise usage_error(
            f"%cml {found.name} has no verb {rest[0]!r}"
            f"{_did_you_mean(rest[0], found.verbs)}; one of: {', '.join(found.verbs)}",
            "bad_command",
        )
    parser = found.parser(verb.name)
    if any(word in {"-h", "--help"} for word in rest[1:]):
        raise HelpRequested(parser.format_help())  # help wins over any mistake beside it
    return Invocation(found, verb, parser.parse_args(rest[1:]))


def help_text(topic: list[str]) -> str:
    """The overview, or the help of one resource or verb."""
    table = resources()
    if topic == ["panel"]:
        from cml_magic.magics.panel import parser

        return parser().format_help()
    if topic:
        resource = table.get(topic[0])
        if resource is None:
            raise usage_error(
                f"no help on {topic[0]!r}{_did_you_mean(topic[0], table)}", "bad_command"
            )
        if len(topic) == 1:
            return resource.usage()
        verb = resource.verb(topic[1])
        if verb is None:
            raise usage_error(
                f"%cml {resource.name} has no verb {topic[1]!r}; one of:"
                f" {', '.join(resource.verbs)}",
                "bad_command",
            )
        return resource.parser(verb.name).format_help()
    lines = ["%cml RESOURCE VERB [options]: drive Cloudera Machine Learning", "", "resources:"]
    for name in _names(table):
        resource = table[name]
        lines.append(f"  {name:<12} {resource.summary}: {' '.join(resource.verbs)}")
    lines += ["", "this notebook:"]
    lines += [f"  {name:<12} {text}" for name, text in SESSION_COMMANDS.items()]
    lines += [
        "",
        "cell magic:",
        "  %%cml_job_env JOB [--project P] [--arguments A] [--wait|--watch] [-o NAME]",
        "      start a run of JOB with the cell's KEY=VALUE lines (or JSON) as its environment",
        "  %%cml_run [--project P] [--job NAME] [--env K=V ...] [--sweep K=v1,v2 ...] [--wait]",
        "      run the cell's code on CML as a job run; its output shows in the cell",
        "",
        "Every verb takes -o NAME (store the result in NAME) and --help.",
        "Listings return a pandas DataFrame: df = %cml jobs list",
        "Examples:",
        "  %cml projects list --search demo --limit 50",
        "  %cml jobs run nightly --env START_DATE=2017-01-01 --wait",
        "  %cml runs list --job nightly --status failed",
        "  %cml panel jobs --job nightly",
    ]
    return "\n".join(lines)


def _names(table: dict[str, Resource]) -> list[str]:
    """Each resource once, under its own name, in table order."""
    return [name for name, resource in table.items() if name == resource.name]


def _did_you_mean(word: str, choices: Any) -> str:
    import difflib  # only a mistyped word needs it; importing it costs a first listing ~5 ms

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
