"""The errors the client raises: one base class, one subclass per kind of failure.

Every error carries the HTTP method and the path of the request (never its query string
or headers), the HTTP status when there was one, and the server's own message, masked
(`cml_magic.api.masking`): none of them ever holds an API key or a secret value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cml_magic.api.masking import mask_text

# The most of an error page (not CML's JSON) an error quotes, counted after masking.
PAGE_CHARS = 300


class CMLError(Exception):
    """Base class of every error raised by `cml_magic.api`."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = mask_text(message)
        self.status = status
        self.method = method
        self.path = mask_text(path) if path else path
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else ""
        if self.status is not None and where:
            return f"{where} -> {self.status}: {self.message}"
        if where:
            return f"{where}: {self.message}"
        return self.message


class BadRequestError(CMLError):
    """400: CML rejected the request (a bad id, field or filter)."""


class AuthError(CMLError):
    """401/403: the API key is missing, wrong, expired, or lacks the permission."""


class NotFoundError(CMLError):
    """404: no such project, job, run, file, ...

    When a name was looked up and none matched, `kind` ("job", ...) and `name` (the reference
    as given) say what was asked for, and `project_id` where it was looked for (else None)."""

    def __init__(
        self,
        message: str,
        *,
        kind: str | None = None,
        name: str | None = None,
        project_id: str | None = None,
        **where: Any,
    ) -> None:
        self.kind = kind
        self.name = name
        self.project_id = project_id
        super().__init__(message, **where)


class ConflictError(CMLError):
    """409: the object already exists or changed meanwhile."""


class RateLimitError(CMLError):
    """429: too many requests; `retry_after` says how long the server asked to wait (seconds)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **where: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **where)


class ServerError(CMLError):
    """5xx: CML failed to answer the request."""


class CMLConnectionError(CMLError):
    """No answer at all: connection refused or reset, DNS, TLS, timeout, or a truncated body."""


class ModelCallError(CMLError):
    """A deployed model did not answer: the endpoint answered non-2xx or `success: false`, or
    could not be reached. `status` is the HTTP status when there was one."""


class ConfigError(CMLError):
    """The client cannot be built: no host or no API key, or a bad setting."""


class AmbiguousNameError(CMLError):
    """A name matches several objects exactly; `candidates` lists them (id, owner, ...)."""

    def __init__(self, kind: str, name: str, candidates: Sequence[dict[str, str]]) -> None:
        self.kind = kind
        self.name = name
        self.candidates = list(candidates)
        listed = "; ".join(
            ", ".join(f"{k} {v}" for k, v in candidate.items() if v) for candidate in candidates
        )
        super().__init__(
            f"{len(self.candidates)} {kind}s are named {name!r} ({listed}); use an id instead"
        )


class WaitTimeout(CMLError):
    """A wait ran out of time; `last` is the object as it was last seen."""

    def __init__(self, message: str, last: Any) -> None:
        self.last = last
        super().__init__(message)


def error_for_status(status: int) -> type[CMLError]:
    """The error class for an HTTP status code."""
    if status in (401, 403):
        return AuthError
    if status >= 500:
        return ServerError
    return {400: BadRequestError, 404: NotFoundError, 409: ConflictError, 429: RateLimitError}.get(
        status, CMLError
    )
