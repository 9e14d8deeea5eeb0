"""Identifiers shaped like CML's: 19-char project/job ids, 16-char run ids, UUIDs, API keys."""

from __future__ import annotations

import secrets
import string
import uuid

_ALNUM = string.ascii_lowercase + string.digits


def _chars(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def dashed_id() -> str:
    """A project, job or application id: four groups of four, e.g. `llgb-lqu2-7ivf-is2r`."""
    return "-".join(_chars(4) for _ in range(4))


def run_id() -> str:
    """A job run (engine) id: 16 lower-case alphanumerics, e.g. `0645larphwti9o39`."""
    return _chars(16)


def uuid_id() -> str:
    """A model, build or deployment id."""
    return str(uuid.uuid4())


def api_key() -> str:
    """A fresh API v2 key: a key id, a dot and a secret part."""
    return _chars(32) + "." + _chars(24)


def legacy_key() -> str:
    """A fresh legacy (API v1) key: 32 lower-case characters, like the docs' example
    `uysgxtj7jzkps96njextnxxmq05usp0b`; it never has the v2 key's dot."""
    return _chars(32)


def access_key() -> str:
    """A model access key, as CML shows it on the model page."""
    return "m" + _chars(31)


def is_dashed_id(value: str) -> bool:
    """True when `value` has the 19-character `xxxx-xxxx-xxxx-xxxx` shape."""
    parts = value.split("-")
    return len(value) == 19 and len(parts) == 4 and all(len(p) == 4 for p in parts)
