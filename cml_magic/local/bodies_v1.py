"""Request bodies of the legacy API v1: camelCase or snake_case names as its callers send them;
unknown fields are ignored, wrong types are a 400."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator

from cml_magic.local.bodies import Body, WithEnv


class MintKey(Body):
    """`POST /api/v1/users/<user>/apikey`: `{"expiryDate": "<ISO-8601>"}`."""

    expiryDate: str  # noqa: N815 (the wire name)

    @field_validator("expiryDate")
    @classmethod
    def _iso(cls, value: str) -> str:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("expiryDate must be an ISO-8601 date and time") from None
        if when.tzinfo is None:
            raise ValueError("expiryDate needs a time zone, e.g. 2026-01-31T00:00:00Z")
        if when <= datetime.now(UTC):
            raise ValueError("expiryDate is in the past: a key must expire later")
        return value


class CreateJobV1(WithEnv):
    """A v1 job: what cmlbootstrap-style callers send to `POST .../jobs`."""

    name: str = ""
    script: str = ""
    type: str = ""
    kernel: str | None = None
    cpu: float | None = None
    memory: float | None = None
    nvidia_gpu: int | None = None
    arguments: str | None = None
    schedule: str | None = None
    timezone: str | None = None
    timeout: int | None = None
    timeout_kill: bool | None = None
    parent_id: int | None = None
    runtime_id: int | None = None
    attachments: list[str] | None = None
    # Accepted and not acted on (the local server sends no mail).
    include_logs: bool | None = None
    notifications: list[dict[str, Any]] | None = None
    recipients: Any = Field(default=None)
