"""Timestamps as CML writes them (RFC 3339, UTC), its zero time for unreached phases, and the
timezone a job gets when none is given."""

from __future__ import annotations

from datetime import UTC, datetime

ZERO_TIME = "0001-01-01T00:00:00Z"
DEFAULT_TIMEZONE = "America/Los_Angeles"


def now() -> str:
    """The current time, fixed-width so that string order is time order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
