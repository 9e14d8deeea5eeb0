"""One-line errors for the magics: every bad input becomes an IPython `UsageError`.

IPython prints a `UsageError` as a single line without a traceback, but only when its
type is exactly `UsageError` (subclasses get a full traceback), so errors are tagged
with a `kind` attribute instead of being subclassed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

if TYPE_CHECKING:
    from cml_magic.api.errors import CMLError

# "job 3mjv-...": an id the server names, which the user may have typed as a name.
_NAMED_ID = re.compile(r"\b(project|job|model|application) ([a-z0-9]{4}(?:-[a-z0-9]{4}){3})\b")


class HelpRequested(Exception):  # noqa: N818 - control flow, not an error
    """Raised by `--help` inside a parser: the magic prints `text` and returns nothing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def usage_error(message: str, kind: str) -> UsageError:
    """A `UsageError` carrying `message` (one line, masked: no key or secret value is
    echoed) and a machine-readable `kind`.

    Kinds: bad_command, bad_argument, bad_env, bad_name, not_configured, api_error,
    run_failed, bad_body, timeout, missing_extra (an optional extra is not installed).
    """
    from cml_magic.api.masking import mask_text

    message = mask_text(message)
    error = UsageError(" ".join(message.split()) if "\n" not in message else message)
    error.kind = kind  # type: ignore[attr-defined]
    return error


@dataclass
class Scope:
    """What the failing line referred to, in the user's words.

    `typed`: kind ("project", "job", ...) -> the reference as typed (with `%cml use` for the
    project); `names(kind)`: the names of that kind in the project, for "did you mean"
    (asked only after a name was not found)."""

    typed: Mapping[str, str] = field(default_factory=dict)
    names: Callable[[str], list[str]] | None = None


# The options of a line that name an object of a kind (argparse dest -> kind).
_TYPED = {
    "project": "project",
    "job": "job",
    "model": "model",
    "model_opt": "model",
    "app": "application",
    "registered_model": "registered model",
}
_IN_A_PROJECT = {"job", "model", "application"}
# kind -> the client's collection of it.
_COLLECTIONS = {
    "project": "projects",
    "job": "jobs",
    "model": "models",
    "application": "applications",
    "registered model": "registry",
}


def scope_of(magic: Any, handler_args: tuple[Any, ...]) -> Scope:
    """The `Scope` of a handler call: the references of its parsed line, the project in effect
    (`--project`, else `%cml use`, else the client's default), and names from the client."""
    import argparse

    typed: dict[str, str] = {}
    for args in handler_args:
        if isinstance(args, argparse.Namespace):
            for dest, kind in _TYPED.items():
                value = getattr(args, dest, None)
                if isinstance(value, str) and value:
                    typed.setdefault(kind, value)
    project = typed.get("project") or magic.project or _default_project(magic)
    if project and "project" not in typed:
        # `%cml use` keeps the id; say the name it was chosen by.
        typed["project"] = magic.names.project_name(project) or project

    def names(kind: str) -> list[str]:
        if kind == "runtime":
            from cml_magic.api.runtimes import short_name

            return [short_name(r.image_identifier) for r in magic.client().runtimes.list()]
        collection = getattr(magic.client(), _COLLECTIONS[kind])
        if kind == "project":
            items = collection.list(include_public=True, limit=500)
        elif kind == "registered model":  # the workspace's, not a project's
            items = collection.list(limit=500)
        else:
            items = collection.list(project=project, limit=500)
        return [str(item.name) for item in items]

    return Scope(typed, names)


def _default_project(magic: Any) -> str | None:
    try:
        return str(magic.client().default_project_ref(None))
    except Exception:  # noqa: BLE001 - no client or no default project
        return None


def did_you_mean(word: str, choices: list[str]) -> str:
    """` (did you mean X?)` for the closest of `choices`, else ""."""
    import difflib  # only a mistyped name needs it

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def api_error(exc: CMLError, scope: Scope | None = None) -> UsageError:
    """Turn a `cml_magic.api.CMLError` into a one-line `UsageError` with a hint, naming what
    the user typed (`scope`) where the API's message has ids."""
    from cml_magic.api import errors

    status = exc.status
    message = str(exc.message or exc).strip() or type(exc).__name__
    message = " ".join(message.split())
    hint = _hint(exc)
    scope = scope or Scope()
    if isinstance(exc, errors.NotFoundError) and exc.name and exc.kind:
        return usage_error(_not_found(exc.kind, exc.name, scope), "bad_name")
    message = _in_their_words(message, scope.typed)
    if isinstance(exc, errors.WaitTimeout):  # the client's own --timeout, not CML's answer
        return usage_error(f"{message}{hint}", "timeout")
    if isinstance(exc, errors.ConfigError):
        # The API's own advice (`pass host=`) is for Python callers; a notebook has its own ways.
        for start, advice in _NOT_CONFIGURED.items():
            if message.startswith(start):
                return usage_error(f"{start}: {advice}", "not_configured")
        if "project" in message and "host" not in message:
            hint = " (%cml use PROJECT sets one for the notebook; or add --project NAME)"
        return usage_error(f"{message}{hint}", "not_configured")
    if isinstance(exc, errors.AmbiguousNameError):
        return usage_error(f"{message}{hint}", "bad_name")
    if isinstance(exc, errors.ModelCallError):
        where = f" ({status} from {exc.path})" if status else f" ({exc.path})" if exc.path else ""
        return usage_error(f"the model call failed: {message}{where}", "api_error")
    prefix = f"CML answered {status}: " if status else _prefix(exc)
    kind = "bad_name" if isinstance(exc, errors.NotFoundError) else "api_error"
    return usage_error(f"{prefix}{message}{hint}", kind)


def _not_found(kind: str, name: str, scope: Scope) -> str:
    project = scope.typed.get("project")
    where = f" in project {project}" if kind in _IN_A_PROJECT and project else ""
    hint = ""
    if scope.names is not None:
        try:
            hint = did_you_mean(name, scope.names(kind))
        except Exception:  # noqa: BLE001 - the error itself matters more than the hint
            hint = ""
    return f"no {kind} named {name!r}{where}{hint}"


def _in_their_words(message: str, typed: Mapping[str, str]) -> str:
    """`message` with `job <id>` as `job 'nightly'` where the user typed that job's name."""

    def named(match: re.Match[str]) -> str:
        kind, given = match.group(1), typed.get(match.group(1))
        if not given or _NAMED_ID.fullmatch(f"{kind} {given}"):
            return match.group(0)  # nothing typed, or typed as the id itself
        return f"{kind} {given!r}"

    return _NAMED_ID.sub(named, message)


def _prefix(exc: CMLError) -> str:
    """What an error without an HTTP status starts with: none for the client's own errors."""
    from cml_magic.api import errors

    if isinstance(exc, errors.CMLConnectionError):
        return "no answer from CML: "
    return "CML error: " if type(exc) is errors.CMLError else ""


_NOT_CONFIGURED = {
    "no CML host": (
        "set it with %config CMLMagics.host = 'https://...' or the CML_MAGIC_HOST variable"
        " (inside a CML session it comes from CDSW_API_URL)"
    ),
    "no CML API key": (
        "give it with %cml login, or set CML_MAGIC_API_KEY"
        " (inside a CML session it comes from CDSW_APIV2_KEY)"
    ),
    "no project given and no default project": (
        "%cml use PROJECT sets one for the notebook; or add --project NAME to the line"
        " (or set CML_MAGIC_PROJECT)"
    ),
    "the legacy API v1 needs the legacy API key": (
        "give it with %cml login --legacy or %config CMLMagics.legacy_api_key, or set"
        " CML_MAGIC_LEGACY_API_KEY (inside a CML session it comes from CDSW_API_KEY); it is not"
        " the v2 key: CML shows it under User Settings > API Keys > Legacy API Key"
    ),
}


def _hint(exc: CMLError) -> str:
    """What to do about this kind of API error, if there is advice to give."""
    from cml_magic.api import errors

    hints: tuple[tuple[type[CMLError], str], ...] = (
        (errors.AuthError, " (check the API key: %cml login, or CML_MAGIC_API_KEY)"),
        (errors.ConfigError, " (see %cml config for the settings in effect)"),
        (errors.AmbiguousNameError, " (pass the id instead, or a more exact name)"),
        (errors.CMLConnectionError, " (is the host right? see %cml config)"),
        (errors.WaitTimeout, " (the run goes on; wait again with --timeout, or check it later)"),
    )
    return next((text for cls, text in hints if isinstance(exc, cls)), "")
