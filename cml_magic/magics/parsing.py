"""Argument parsing for the magics: a raising argparse parser and small value checkers."""

from __future__ import annotations

import argparse
import keyword
import shlex
from collections.abc import Sequence
from typing import Any, NoReturn

from cml_magic.magics.errors import HelpRequested, usage_error


class _HelpAction(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **_: Any):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show help")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        raise HelpRequested(parser.format_help())


class CommandParser(argparse.ArgumentParser):
    """An `ArgumentParser` that raises one-line `UsageError`s instead of exiting.

    `--help` raises `HelpRequested` with the formatted help, which the magic prints.
    """

    def __init__(self, prog: str, description: str | None = None, epilog: str | None = None):
        super().__init__(
            prog=prog,
            description=description,
            epilog=epilog,
            add_help=False,
            allow_abbrev=False,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.add_argument("-h", "--help", action=_HelpAction)

    def error(self, message: str) -> NoReturn:
        text = f"{self.prog}: {self._explain(message)}; see {self.prog} --help"
        raise usage_error(text, "bad_argument")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise usage_error(f"{self.prog}: {message or 'invalid arguments'}", "bad_argument")

    def _explain(self, message: str) -> str:
        """Add "did you mean" to unknown flags: argparse only says "unrecognized arguments"."""
        prefix = "unrecognized arguments: "
        if not message.startswith(prefix):
            return message
        import difflib  # only a mistyped flag needs it; importing it costs ~5 ms

        known = [o for action in self._actions for o in action.option_strings]
        parts = []
        for word in message[len(prefix) :].split():
            flag = word.split("=", 1)[0]
            close = difflib.get_close_matches(flag, known, n=1) if flag.startswith("-") else []
            hint = f" (did you mean {close[0]}?)" if close else ""
            kind = "unknown flag" if flag.startswith("-") else "unexpected argument"
            parts.append(f"{kind} {word!r}{hint}")
        return ", ".join(parts)


def split_line(line: str) -> list[str]:
    """Split a magic line like a shell would (quotes group words)."""
    try:
        return shlex.split(line, posix=True)
    except ValueError as exc:
        message = f"cannot read the line: {exc} (check the quotes)"
        raise usage_error(message, "bad_argument") from None


def env_pair(text: str) -> tuple[str, str]:
    """argparse type for `--env KEY=VALUE`: checked while parsing, before anything is sent."""
    from cml_magic.api.convert import is_env_name  # here: `--help` needs no API

    key, sep, value = text.partition("=")
    if not sep or not is_env_name(key):
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE with KEY made of letters, digits and _, got {text!r}"
            " (e.g. --env START_DATE=2017-01-01)"
        )
    return key, value


def variable_name(text: str) -> str:
    """Check `text` can name a variable in the user namespace (for `-o NAME`)."""
    if not text.isidentifier() or keyword.iskeyword(text):
        raise usage_error(f"-o {text!r}: not a valid Python variable name", "bad_argument")
    return text


def _whole_number(text: str, least: int, too_small: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{text!r} {too_small}")
    return value


def positive_int(text: str) -> int:
    """argparse type for counts such as `--limit`."""
    return _whole_number(text, 1, "must be at least 1")


def count(text: str) -> int:
    """argparse type for counts that may be zero, such as `--gpu`."""
    return _whole_number(text, 0, "must not be negative")


def positive_float(text: str) -> float:
    """argparse type for durations and resources such as `--timeout` or `--cpu`."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def json_object(text: str) -> str:
    """argparse type for `--filter`: a JSON object, passed on as the API's search filter."""
    import json

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('must be a JSON object such as {"name": "demo"}')
    return text
