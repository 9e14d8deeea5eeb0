"""Tab completion for `%cml` and `%%cml_job_env`: commands, verbs, flags and names."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cml_magic.api.objects import Resource
    from cml_magic.magics.magic import CMLMagics

# Which names complete an option's value or a verb's first argument.
_PROJECT_OPTIONS = ("--project", "-p")
# Groups whose names live in a project: completion offers the project in effect's only.
_IN_A_PROJECT = {"jobs", "models", "apps", "experiments"}
_OPTION_GROUPS = {"--project": "projects", "-p": "projects", "--job": "jobs", "--model": "models"}
_FIRST_ARGUMENT_GROUPS = {
    "projects": "projects",
    "jobs": "jobs",
    "models": "models",
    "apps": "apps",
    "use": "projects",
    "cml_job_env": "jobs",
    "experiments": "experiments",
    "registry": "registered models",
}


class Completer:
    """Completes `%cml`, `%%cml_job_env` and `%%cml_run` lines (IPython asks it through
    `cml_magic.magics.completion_matcher`, which makes it on the first Tab on one)."""

    def __init__(self, magic: CMLMagics, fetch_after: float = 300.0) -> None:
        self.magic = magic
        self.fetch_after = fetch_after
        self._fetched: dict[str, float] = {}
        self._project: str | None = None  # the --project of the line being completed

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
        self._project = _project_given(words[:-1])
        if command.lstrip("%") == "cml_job_env":
            from cml_magic.magics.jobenv import VERB

            return self._for_verb("cml_job_env", VERB, _cell_parser(), words)
        if command.lstrip("%") == "cml_run":
            from cml_magic.magics import cellrun
            from cml_magic.magics.commands import cell_parser

            parser = cell_parser(cellrun.PROG, cellrun.VERB)
            return self._for_arguments(parser, words, lambda: [])
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
        if words[-2] == "--profile" and head in {"use", "login"}:
            return _profile_names()
        if head == "use":
            if len(words) == 2 and not words[-1].startswith("-"):
                return self._names("projects")
            return ["--clear", "--profile"]
        if head == "login":
            return ["--legacy", "--profile", "--save"]
        if head == "panel":
            from cml_magic.magics import panel

            return self._for_arguments(panel.parser(), words[1:], lambda: list(panel.PANELS))
        resource = table.get(head)
        if resource is None:
            return []
        if len(words) == 2:
            return list(resource.verbs)
        verb = resource.verb(words[1])
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
        """Names seen in earlier results (for jobs, models and apps: of the project in effect);
        fetched once in a while when none were seen."""
        cache = self.magic.names
        if group not in _IN_A_PROJECT:
            names = cache.names(group)
            if names or group != "projects" or not self._due(group):
                return names
            return self._fetch(group, lambda cml: cml.projects.list(limit=200))
        ref = self._project or self.magic.project or self._default_project()
        if not ref:
            return cache.names(group)  # no project in effect: any name seen may be meant
        project_id = cache.project_id(ref)
        if project_id is None and self._due(f"project {ref}"):
            try:
                project_id = self.magic.client().projects.resolve(ref)
                cache.note_project(ref, project_id)
            except Exception:  # noqa: BLE001 - no names is fine while typing
                project_id = None
        if project_id is None:
            return cache.names(group, "")  # only names not tied to a project
        names = cache.names(group, project_id)
        if names or group != "jobs" or not self._due(f"{group} {project_id}"):
            return names
        self._fetch(group, lambda cml: cml.jobs.list(project=project_id, limit=200))
        return cache.names(group, project_id)

    def _due(self, what: str) -> bool:
        """Whether `what` may be fetched now (once per `fetch_after` seconds)."""
        now = time.monotonic()
        if now - self._fetched.get(what, -self.fetch_after) < self.fetch_after:
            return False
        self._fetched[what] = now
        return True

    def _fetch(self, group: str, listing: Callable[[Any], Sequence[Resource]]) -> list[str]:
        items: Sequence[Resource]
        try:
            items = listing(self.magic.client())
        except Exception:  # noqa: BLE001 - no names is fine while typing
            return []
        self.magic.names.remember(items)
        return self.magic.names.names(group)

    def _default_project(self) -> str | None:
        """The client's default project (CML_MAGIC_PROJECT, ...), None when there is none."""
        try:
            return str(self.magic.client().default_project_ref(None))
        except Exception:  # noqa: BLE001 - no client or no default: no project in effect
            return None


def _project_given(words: list[str]) -> str | None:
    """The value of `--project`/`-p` among `words` (the line before the word being typed)."""
    for previous, word in zip(["", *words], words, strict=False):
        if previous in _PROJECT_OPTIONS:
            return word
        if word.startswith("--project="):
            return word.partition("=")[2]
    return None


def _cell_parser() -> Any:
    from cml_magic.magics import jobenv
    from cml_magic.magics.commands import cell_parser

    return cell_parser(jobenv.PROG, jobenv.VERB)


def _profile_names() -> list[str]:
    """The profiles of the config file (`%cml use --profile`, `%cml login --profile`)."""
    import os

    from cml_magic.api import CMLError, profiles
    from cml_magic.api.config import config_path, read_config_file

    path = config_path(os.environ)
    try:
        return profiles.names(read_config_file(path), path)
    except CMLError:
        return []
