"""Timestamps as CML writes them (RFC 3339, UTC) and its zero time for unreached phases."""

from __future__ import annotations

from datetime import UTC, datetime

ZERO_TIME = "0001-01-01T00:00:00Z"


def now() -> str:
    """The current time, fixed-width so that string order is time order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
