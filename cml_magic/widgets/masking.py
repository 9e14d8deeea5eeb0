"""Hide the values of secret-looking environment variables before they reach a screen."""

from __future__ import annotations

import re
from collections.abc import Mapping

SECRET_KEY = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASS|CREDENTIAL|PRIVATE", re.IGNORECASE)
MASK = "••••••"


def is_secret(name: str) -> bool:
    """True when the variable's name suggests its value must not be shown (API_KEY, DB_PASS...)."""
    return bool(SECRET_KEY.search(name))


def masked(environment: Mapping[str, str] | None) -> dict[str, str]:
    """A copy of `environment` whose secret-looking values are replaced by a fixed mask."""
    return {k: (MASK if is_secret(k) else str(v)) for k, v in (environment or {}).items()}
