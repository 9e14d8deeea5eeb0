"""Tab completion for `%cml` and `%%cml_job_env`: commands, verbs, flags and names."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cml_magic.api.objects import Resource
    from cml_magic.magics.magic import CMLMagics

# Which names complete an option's value or a verb's first argument.
_OPTION_GROUPS = {"--project": "projects", "-p": "projects", "--job": "jobs", "--model": "models"}
_FIRST_ARGUMENT_GROUPS = {
    "projects": "projects",
    "jobs": "jobs",
    "models": "models",
    "apps": "apps",
    "use": "projects",
    "cml_job_env": "jobs",
}


class Completer:
    """Completes `%cml` and `%%cml_job_env` lines (see `matcher`)."""

    def __init__(self, magic: CMLMagics, fetch_after: float = 300.0) -> None:
        self.magic = magic
        self.fetch_after = fetch_after
        self._fetched: dict[str, float] = {}

    def matcher(self) -> Any:
        """An IPython matcher (for `Completer.custom_matchers`) that answers `%cml` lines.

        It suppresses IPython's other matchers on those lines, so Python names and
        keywords do not crowd out flags and verbs.
        """
        from IPython.core.completer import SimpleCompletion, context_matcher

        @context_matcher()  # type: ignore[untyped-decorator]
        def match_cml(context: Any) -> dict[str, Any]:
            text = context.line_with_cursor.lstrip()
            if not text.startswith(("%cml ", "%%cml_job_env ")):
                return {"completions": [], "suppress": False}
            try:
                words = self.complete(text)
            except Exception:  # noqa: BLE001 - completion must never break typing
                words = []
            found = [SimpleCompletion(w, type="cml") for w in words if w.startswith(context.token)]
            return {"completions": found, "suppress": bool(found)}

        return match_cml

    def complete(self, text: str) -> list[str]:
        """Candidates for the last word of `text` (a line starting with %cml or %%cml_job_env)."""
        from cml_magic.magics.commands import resources
        from cml_magic.magics.router import SESSION_COMMANDS

        words = text.split()
        if text[-1:].isspace():
            words.append("")
        command, words = words[0], words[1:]
        if not words:
            return []
        if command.lstrip("%") == "cml_job_env":
            from cml_magic.magics.jobenv import VERB

            return self._for_verb("cml_job_env", VERB, _cell_parser(), words)
        table = resources()
        if len(words) == 1:
            own = [n for n, r in table.items() if n == r.name]
            return sorted(own) + sorted(SESSION_COMMANDS)
        head = words[0]
        if head == "help":
            resource = table.get(words[1]) if len(words) == 3 else None
            if len(words) == 2:
                return sorted(n for n, r in table.items() if n == r.name)
            return list(resource.verbs) if resource else []
        if head == "use":
            return self._names("projects") if len(words) == 2 else ["--clear"]
        if head == "panel":
            from cml_magic.magics import panel

            return self._for_arguments(panel.parser(), words[1:], lambda: list(panel.PANELS))
        resource = table.get(head)
        if resource is None:
            return []
        if len(words) == 2:
            return list(resource.verbs)
        verb = resource.verbs.get(words[1])
        if verb is None:
            return []
        return self._for_verb(resource.name, verb, resource.parser(verb.name), words[2:])

    def _for_verb(self, group: str, verb: Any, parser: Any, args: list[str]) -> list[str]:
        wanted = _FIRST_ARGUMENT_GROUPS.get(group) if verb.name not in {"list", "create"} else None
        return self._for_arguments(parser, args, lambda: self._names(wanted) if wanted else [])

    def _for_arguments(
        self, parser: Any, args: list[str], first_argument: Callable[[], list[str]]
    ) -> list[str]:
        """Candidates for the last of `args` (the words after the command): an option's value,
        a flag, or `first_argument()` while no positional argument is given."""
        current = args[-1]
        takes_value = {o: a for a in parser._actions if a.nargs != 0 for o in a.option_strings}
        previous = args[-2] if len(args) >= 2 else ""
        if previous in takes_value:
            if takes_value[previous].choices:
                return list(takes_value[previous].choices)
            wanted = _OPTION_GROUPS.get(previous)
            return self._names(wanted) if wanted else []
        if current.startswith("-"):
            flags = (o for a in parser._actions for o in a.option_strings)
            return sorted(o for o in flags if o.startswith("--"))
        before = args[:-1]
        # An option's value is not a positional argument.
        given = any(
            not w.startswith("-") and prior not in takes_value
            for prior, w in zip(["", *before], before, strict=False)
        )
        return [] if given else first_argument()

    def _names(self, group: str) -> list[str]:
        """Names seen in earlier results; fetched once in a while when none were seen."""
        names = self.magic.names.names(group)
        if names or group not in {"projects", "jobs"}:
            return names
        now = time.monotonic()
        if now - self._fetched.get(group, -self.fetch_after) < self.fetch_after:
            return names
        self._fetched[group] = now
        items: Sequence[Resource]
        try:
            cml = self.magic.client()
            if group == "projects":
                items = cml.projects.list(limit=200)
            else:
                items = cml.jobs.list(project=self.magic.project or None, limit=200)
        except Exception:  # noqa: BLE001 - no names is fine while typing
            return []
        self.magic.names.remember(items)
        return self.magic.names.names(group)


def _cell_parser() -> Any:
    from cml_magic.magics import jobenv

    jobenv.parse_line("x")  # builds the parser on first use
    return jobenv._parser
