"""One-line errors for the magics: every bad input becomes an IPython `UsageError`.

IPython prints a `UsageError` as a single line without a traceback, but only when its
type is exactly `UsageError` (subclasses get a full traceback), so errors are tagged
with a `kind` attribute instead of being subclassed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.core.error import UsageError

if TYPE_CHECKING:
    from cml_magic.api.errors import CMLError


class HelpRequested(Exception):  # noqa: N818 - control flow, not an error
    """Raised by `--help` inside a parser: the magic prints `text` and returns nothing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def usage_error(message: str, kind: str) -> UsageError:
    """A `UsageError` carrying `message` (one line, masked: no key or secret value is
    echoed) and a machine-readable `kind`.

    Kinds: bad_command, bad_argument, bad_env, bad_name, not_configured, api_error,
    run_failed, bad_body.
    """
    from cml_magic.api.masking import mask_text

    message = mask_text(message)
    error = UsageError(" ".join(message.split()) if "\n" not in message else message)
    error.kind = kind  # type: ignore[attr-defined]
    return error


def api_error(exc: CMLError) -> UsageError:
    """Turn a `cml_magic.api.CMLError` into a one-line `UsageError` with a hint."""
    from cml_magic.api import errors

    status = exc.status
    message = str(exc.message or exc).strip() or type(exc).__name__
    message = " ".join(message.split())
    hint = _hint(exc)
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
    prefix = f"CML answered {status}: " if status else "CML error: "
    kind = "bad_name" if isinstance(exc, errors.NotFoundError) else "api_error"
    return usage_error(f"{prefix}{message}{hint}", kind)


_NOT_CONFIGURED = {
    "no CML host": (
        "set it with %config CMLMagics.host = 'https://...' or the CML_MAGIC_HOST variable"
        " (inside a CML session it comes from CDSW_API_URL)"
    ),
    "no CML API key": (
        "give it with %cml login, or set CML_MAGIC_API_KEY"
        " (inside a CML session it comes from CDSW_APIV2_KEY)"
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
