"""`CML` clients for tests: they give up quickly, so a fault or an absent server costs little
time."""

from __future__ import annotations

from typing import Any

from cml_magic.api import CML


def quick_client(url: str, key: str = "k" * 20, **options: Any) -> CML:
    """A client that retries without sleeping long, so fault tests stay fast."""
    options.setdefault("timeout", 5.0)
    options.setdefault("backoff", 0.01)
    return CML(url, key, **options)


def client(server: Any, project: str | None = "risk-analysis") -> CML:
    """alice's client of a local server that gives up quickly when the server is away (the
    poller retries, not it)."""
    return quick_client(
        server.url, server.api_key, project=project, max_retries=1, backoff=0.05, max_backoff=0.1
    )
