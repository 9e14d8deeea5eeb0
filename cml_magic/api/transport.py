"""The one request funnel: URL, auth, TLS, timeout, retries, status -> typed error, JSON.

Every HTTP request of the client goes through `Transport.request`, over one
`requests.Session` so that connections are reused.

A live widget polls one GET per watched run, so the client's own CPU per exchange bounds the
poll rate. `Session.request` re-reads the whole environment (proxies, CA bundle) and re-merges
the session's settings on every call; here what stays the same between requests is worked out
once (auth header value, headers, URL of a path, proxy and TLS settings of the host) and each
request is prepared directly and handed to `Session.send`. The session's hooks, cookies,
adapters and redirect handling stay in charge, exactly as with `Session.request`.
"""

from __future__ import annotations

import email.utils
import functools
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import requests
import urllib3.exceptions
from requests.auth import AuthBase
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

from cml_magic.api.config import LEGACY_KEY_MISSING, mask
from cml_magic.api.errors import (
    CMLConnectionError,
    CMLError,
    ConfigError,
    RateLimitError,
    error_for_status,
)

log = logging.getLogger("cml_magic.api")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
Expect = Literal["json", "bytes"]
_NO_BODY: Any = object()

# The variables requests reads to pick the proxy and CA bundle of an http(s) URL
# (urllib.request.getproxies_environment, requests.Session.merge_environment_settings).
# When none of them changed since the last request, the settings worked out then still hold.
PROXY_AND_TLS_VARIABLES = (
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",  # CGI: HTTP_PROXY is then ignored
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


class BearerAuth(AuthBase):
    """`authorization: Bearer <key>` (API v2); its repr hides the key."""

    def __init__(self, key: str) -> None:
        self._key = key
        self._value = f"Bearer {key}"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return f"BearerAuth({mask(self._key)!r})"


class LegacyAuth(AuthBase):
    """HTTP Basic with the legacy key as user name and an empty password (API v1)."""

    def __init__(self, key: str) -> None:
        # Encoded once, by requests' own Basic auth.
        probe = requests.PreparedRequest()
        probe.headers = CaseInsensitiveDict()
        self._value = requests.auth.HTTPBasicAuth(key, "")(probe).headers["Authorization"]
        self._masked = mask(key)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

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
        # No legacy key, no v1 call: the v2 key is never sent in its place.
        self._legacy_auth = LegacyAuth(legacy_api_key) if legacy_api_key else None
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "cml-magic"
        # Worked out again only when what they derive from changed (`_session_headers`,
        # `_send_settings`), each kept as one (source, result) pair so that the poller's
        # thread and the kernel's never pair one's source with the other's result.
        self._headers: tuple[tuple[Any, ...], CaseInsensitiveDict[str]]
        self._headers = ((), CaseInsensitiveDict())
        self._settings: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})
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
        params = _clean_params(params)
        auth: AuthBase | None = self._legacy_auth if legacy else self._auth
        if auth is None:
            raise ConfigError(LEGACY_KEY_MISSING)
        allow_redirects = method in ("GET", "HEAD")
        url = self.host + path
        debug = log.isEnabledFor(logging.DEBUG)
        attempt = 0
        while True:
            started = time.monotonic() if debug else 0.0
            try:
                prepared = self._prepare(method, url, params, json_body, files, auth)
                response = self.session.send(
                    prepared,
                    timeout=self.timeout,
                    allow_redirects=allow_redirects,
                    **self._send_settings(prepared.url or url),
                )
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
            if debug:
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

    def _prepare(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json_body: Any,
        files: Any,
        auth: AuthBase,
    ) -> requests.PreparedRequest:
        """What `Session.prepare_request` builds for this request, without re-merging the
        session's settings each time (same steps, same order)."""
        session = self.session
        body = None if json_body is _NO_BODY else json_body
        if session.params:  # not ours; let requests merge them
            request = requests.Request(
                method, url, files=files, json=body, params=params, auth=auth
            )
            return session.prepare_request(request)
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        if params:
            prepared.prepare_url(url, params)
        else:
            prepared.url = _prepared_url(url)
        prepared.headers = self._session_headers().copy()
        cookies = RequestsCookieJar()  # a copy, as requests makes: redirects add to it
        cookies.update(session.cookies)
        prepared.prepare_cookies(cookies)
        prepared.prepare_body({}, files or [], body)
        prepared.prepare_auth(auth, url)
        prepared.prepare_hooks(session.hooks)
        return prepared

    def _session_headers(self) -> CaseInsensitiveDict[str]:
        """The session's headers, checked and prepared once per change of them."""
        current = tuple(self.session.headers.items())
        known, headers = self._headers
        if current != known:
            probe = requests.PreparedRequest()
            probe.prepare_headers({k: v for k, v in current if v is not None})
            headers = probe.headers
            self._headers = (current, headers)
        return headers

    def _send_settings(self, url: str) -> dict[str, Any]:
        """Proxies, TLS verification, client certificate and streaming for `url`, as
        `Session.request` merges them from the environment and the session.

        requests reads every environment variable twice per request to find proxies; here
        they are worked out again only when one of the variables that decide them (or the
        session's own settings) changed since the last request, so a proxy or CA bundle set
        after the client was made still applies from the next request on.
        """
        session = self.session
        env = tuple(map(os.environ.get, PROXY_AND_TLS_VARIABLES)) if session.trust_env else None
        current = (
            _origin(url),  # all that proxy and TLS settings depend on in a URL
            self.verify,
            env,
            session.trust_env,
            tuple(session.proxies.items()),
            session.verify,
            session.cert,
            session.stream,
        )
        known, settings = self._settings
        if current != known:
            settings = dict(session.merge_environment_settings(url, {}, None, self.verify, None))
            self._settings = (current, settings)
        settings = dict(settings)
        if settings["proxies"] is not None:
            settings["proxies"] = dict(settings["proxies"])  # a copy: requests may add to it
        return settings

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


@functools.lru_cache(maxsize=1024)
def _prepared_url(url: str) -> str:
    """`url` as requests sends it (checked, IDNA host, re-quoted); a poller asks for the same
    few URLs over and over."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


def _origin(url: str) -> str:
    """`scheme://host:port` of a prepared URL (which always has a path)."""
    end = url.find("/", url.find("//") + 2)
    return url if end < 0 else url[:end]


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
