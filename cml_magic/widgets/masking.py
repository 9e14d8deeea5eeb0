"""Hide the values of secret-looking environment variables before they reach a screen."""

from __future__ import annotations

import re
from collections.abc import Mapping

# One rule for what counts as secret, shared with the result objects' displays.
from cml_magic.api.objects import MASK, SECRET_NAME, masked_environment


def is_secret(name: str) -> bool:
    """True when the variable's name suggests its value must not be shown (API_KEY, DB_PASS...)."""
    return bool(SECRET_NAME.search(name))


_ASSIGNMENT = re.compile(
    rf"(?P<name>\b[A-Za-z_][A-Za-z0-9_]*(?:{SECRET_NAME.pattern})"
    r"[A-Za-z0-9_]*)(?P<sep>\s*[=:]\s*)(?P<value>\S+)",
    re.IGNORECASE,
)


def masked_text(text: str) -> str:
    """`API_KEY=abc` / `DB_PASSWORD: abc` in free text (a run's log) with the value masked."""
    return _ASSIGNMENT.sub(lambda m: f"{m['name']}{m['sep']}{MASK}", text)


def masked(environment: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of `environment` (or of nothing) as text, secret-looking values masked."""
    return masked_environment({k: str(v) for k, v in (environment or {}).items()})
