"""How a failed look-up or action is told: one line, and whether trying again can help."""

from __future__ import annotations

# Client errors that waiting cannot mend; 408 (timeout) and 429 (rate limit) can be retried.
_RETRYABLE_4XX = (408, 429)


def one_line(exc: BaseException) -> str:
    """`404 run abc not found`: the HTTP status (if any) and the server's message, one line."""
    status = getattr(exc, "status", None)
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    return f"{status} {text}" if status else text


def is_permanent(exc: BaseException) -> bool:
    """True for a deleted, forbidden or malformed item: retrying would fail the same way."""
    status = getattr(exc, "status", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in _RETRYABLE_4XX
