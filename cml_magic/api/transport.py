"""The one request funnel: URL, auth, TLS, timeout, retries, status -> typed error, JSON.

Every HTTP request of the client goes through `Transport.request`, over one
`requests.Session` so that connections are reused.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import requests
import urllib3.exceptions
from requests.auth import AuthBase

from cml_magic.api.config import mask
from cml_magic.api.errors import (
    CMLConnectionError,
    CMLError,
    RateLimitError,
    error_for_status,
)

log = logging.getLogger("cml_magic.api")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
Expect = Literal["json", "bytes"]
_NO_BODY: Any = object()


class BearerAuth(AuthBase):
    """`authorization: Bearer <key>` (API v2); its repr hides the key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return f"BearerAuth({mask(self._key)!r})"


class LegacyAuth(AuthBase):
    """HTTP Basic with the legacy key as user name and an empty password (API v1)."""

    def __init__(self, key: str) -> None:
        self._basic = requests.auth.HTTPBasicAuth(key, "")
        self._masked = mask(key)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        prepared: requests.PreparedRequest = self._basic(request)
        return prepared

    def __repr__(self) -> str:
        return f"LegacyAuth({self._masked!r})"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _transient(exc: requests.RequestException) -> bool:
    """True for failures that may pass: a lost connection, a timeout, a cut-off answer.
    A failed TLS check or a malformed URL stays failed, however often it is tried."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    transient = (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
    )
    return isinstance(exc, transient)


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True when the request failed before any byte of it reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class Transport:
    """Sends requests to one CML host with the v2 key (Bearer) or the legacy key (Basic)."""

    def __init__(
        self,
        host: str,
        api_key: str,
        legacy_api_key: str,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self.host = host
        self.verify = verify
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep: Callable[[float], None] = time.sleep
        self._secrets = tuple(k for k in (api_key, legacy_api_key) if k)
        self._auth = BearerAuth(api_key)
        self._legacy_auth = LegacyAuth(legacy_api_key or api_key)
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "cml-magic"
        if verify is False:
            _warn_unverified(host)

    def __repr__(self) -> str:
        return f"Transport({self.host!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = _NO_BODY,
        files: Any = None,
        legacy: bool = False,
        idempotent: bool | None = None,
        expect: Expect = "json",
    ) -> Any:
        """Send one request (retrying where that is safe) and return the decoded answer.

        `idempotent` overrides the verb's own rule: the read-only `POST ...:download` is
        retried like a GET. A request that creates or changes something is resent only when
        the connection was refused before any byte of it was sent.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT
        kwargs: dict[str, Any] = {
            "params": _clean_params(params),
            "auth": self._legacy_auth if legacy else self._auth,
            "timeout": self.timeout,
            "verify": self.verify,
            "allow_redirects": method in ("GET", "HEAD"),
        }
        if json_body is not _NO_BODY:
            kwargs["json"] = json_body
        if files is not None:
            kwargs["files"] = files
        url = self.host + path
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as exc:
                may_retry = _transient(exc) and (idempotent or _nothing_sent(exc))
                if may_retry and attempt < self.max_retries:
                    delay = self._delay(attempt, None)
                    log.debug(
                        "%s %s: %s; retrying in %.2fs", method, path, type(exc).__name__, delay
                    )
                    self.sleep(delay)
                    attempt += 1
                    continue
                raise CMLConnectionError(
                    self._scrub(_describe(exc)), method=method, path=path
                ) from None
            log.debug(
                "%s %s -> %s (%.0f ms)",
                method,
                path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            if response.status_code in RETRY_STATUSES and idempotent:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if attempt < self.max_retries and (
                    retry_after is None or retry_after <= self.max_backoff
                ):
                    self.sleep(self._delay(attempt, retry_after))
                    attempt += 1
                    continue
            if response.status_code >= 400:
                raise self._error(response, method, path)
            if response.is_redirect:
                # Only reads follow redirects; resending a change elsewhere is not ours to do.
                target = response.headers.get("Location", "?").split("?")[0]
                raise CMLError(
                    f"CML redirected the request to {target}; use that host (https?)",
                    status=response.status_code,
                    method=method,
                    path=path,
                )
            return self._decode(response, method, path, expect)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        return float(min(self.max_backoff, self.backoff * (2**attempt)))

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "****")
        return text

    def _error(self, response: requests.Response, method: str, path: str) -> CMLError:
        message = self._scrub(_server_message(response))
        cls = error_for_status(response.status_code)
        if cls is RateLimitError:
            return RateLimitError(
                message,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                status=response.status_code,
                method=method,
                path=path,
            )
        return cls(message, status=response.status_code, method=method, path=path)

    def _decode(self, response: requests.Response, method: str, path: str, expect: Expect) -> Any:
        if expect == "bytes":
            return response.content
        if not response.content.strip():
            return {}
        try:
            return response.json()
        except ValueError:
            snippet = self._scrub(response.text[:80])
            raise CMLError(
                f"the answer is not valid JSON (truncated or not from CML?): {snippet!r}",
                status=response.status_code,
                method=method,
                path=path,
            ) from None


def _warn_unverified(host: str) -> None:
    """One warning per client instead of urllib3's one per request (a poller would repeat it
    every few seconds)."""
    warnings.warn(
        f"TLS verification is off for {host}: the traffic, API key included, can be read "
        "and changed on the way; pass verify=<CA bundle path> instead",
        urllib3.exceptions.InsecureRequestWarning,
        stacklevel=4,
    )
    warnings.filterwarnings(
        "ignore", category=urllib3.exceptions.InsecureRequestWarning, module="urllib3"
    )


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned or None


def _server_message(response: requests.Response) -> str:
    """The message in CML's error envelope, else a short piece of the body, else the reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())
            if value:
                return json.dumps(value)[:300]
    text = " ".join(response.text.split())[:300]
    return text or response.reason or f"HTTP {response.status_code}"


def _describe(exc: requests.RequestException) -> str:
    """A one-line reason for a failure that left no HTTP answer."""
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS verification failed ({_innermost(exc)}); pass verify=<CA bundle path>"
    if isinstance(exc, requests.Timeout):
        return "no answer within the timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the answer was cut off ({_innermost(exc)})"
    return f"cannot reach CML ({_innermost(exc)})"


def _innermost(exc: BaseException) -> str:
    seen: BaseException = exc
    while True:
        inner = getattr(seen, "reason", None) or (seen.args[0] if seen.args else None)
        if isinstance(inner, BaseException) and inner is not seen:
            seen = inner
            continue
        break
    text = str(seen) or type(seen).__name__
    # urllib3 prefixes pool objects' reprs; keep the human part.
    return text.split(": ", 1)[-1] if "object at 0x" in text else text
