"""The one request funnel: URL, auth, TLS, timeout, retries, status -> typed error, JSON.

Every HTTP request of the client goes through `Transport.request`, over one
`requests.Session` (connections are reused; proxies and CA bundles come from the environment as
requests reads them, read again only when one of those variables changes). What is resent is
decided by urllib3's `Retry` on the session's adapters, with the call's own rules
(`_CallRetry`); `Transport._exchange` bounds each call, its retries included, by one deadline.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any, Literal, Self

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from urllib3.connectionpool import ConnectionPool
from urllib3.poolmanager import PoolManager
from urllib3.response import BaseHTTPResponse
from urllib3.util import Retry, Timeout

from cml_magic.api.config import LEGACY_KEY_MISSING, mask
from cml_magic.api.errors import (
    PAGE_CHARS,
    CMLConnectionError,
    CMLError,
    ConfigError,
    RateLimitError,
    error_for_status,
)
from cml_magic.api.head_deadline import bound_heads
from cml_magic.api.masking import excerpt, mask_text

log = logging.getLogger("cml_magic.api")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
Expect = Literal["json", "bytes"]
_NO_BODY: Any = object()
_CHUNK = 65536
_ERROR_CAP = 1 << 20  # bytes of an error answer read by `transfer`: enough for any message
# The variables requests reads for the proxy and CA bundle of a URL
# (urllib.request.getproxies_environment, requests.Session.merge_environment_settings).
PROXY_AND_TLS_VARIABLES = (
    *("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"),
    *("no_proxy", "NO_PROXY", "REQUEST_METHOD", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
)
# Failures after which the server may have acted on the request (a lost answer), as opposed to
# a refused or timed-out connection, after which it cannot have.
_LOST_ANSWER = (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError)


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


class _CallRetry(Retry):
    """urllib3's retry rules for one call, with the client's own limits on waiting.

    urllib3 resends after a refused connection (nothing was sent) whatever the method, and
    after a lost answer or a busy status (`RETRY_STATUSES`) only for `allowed_methods`. Here
    the pause grows from `backoff` (0.5, 1, 2 ... s, or the answer's `Retry-After`), is slept
    through `Transport.sleep`, and no retry is made that would wait past the call's deadline or
    for a `Retry-After` longer than `max_backoff`: the caller gets that answer instead (e.g. a
    `RateLimitError` with its `retry_after`).
    """

    # Set by `Transport._retry`; `new` hands them on to each retry's successor.
    deadline: float
    max_wait: float
    nap: Callable[[float], None]

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.deadline, retry.max_wait, retry.nap = self.deadline, self.max_wait, self.nap
        return retry

    def get_backoff_time(self) -> float:
        retries = max(0, len(self.history) - 1)
        return float(min(self.backoff_max, self.backoff_factor * 2**retries))

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        return parse_retry_after(response.headers.get("Retry-After"))

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = retry._wait(response)
        if wait > self.max_wait or time.monotonic() + wait >= self.deadline:
            pool: Any = _pool  # urllib3 passes None where no pool is involved, as here
            raise urllib3.exceptions.MaxRetryError(pool, url, error) from error
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        self.nap(self._wait(response))

    def _wait(self, response: BaseHTTPResponse | None) -> float:
        after = None if response is None else self.get_retry_after(response)
        return self.get_backoff_time() if after is None else after


class _Deadline(Timeout):
    """A urllib3 timeout whose every wait (connect, first byte) ends by one monotonic deadline,
    however many attempts the retries make."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline

    def clone(self) -> _Deadline:
        return _Deadline(self.deadline)

    @property
    def connect_timeout(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)  # 0 would mean "do not wait"

    @property
    def read_timeout(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)  # at 0 urllib3 raises a read timeout


# The retry rules of the call the current thread is sending (a poller's thread and the
# kernel's each send their own calls through the one session).
_CALL_RETRY: ContextVar[Retry | None] = ContextVar("cml_magic_call_retry", default=None)
_SINGLE_ATTEMPT: ContextVar[bool] = ContextVar("cml_magic_single_attempt", default=False)


@contextmanager
def single_attempt() -> Iterator[None]:
    """Calls made inside are sent once, never resent: for a caller that retries on its own
    schedule (the widgets' poller), so that it hears of an outage at once, not after the
    transport's own retries (seconds of back-off)."""
    token = _SINGLE_ATTEMPT.set(True)
    try:
        yield
    finally:
        _SINGLE_ATTEMPT.reset(token)


class _Adapter(HTTPAdapter):
    """requests' own adapter, retrying by the rules of the call being sent."""

    def __init__(self) -> None:
        self._pool_keys: dict[tuple[Any, ...], Any] = {}
        super().__init__()

    @property
    def max_retries(self) -> Retry:
        return _CALL_RETRY.get() or self._own_retries

    @max_retries.setter
    def max_retries(self, value: Retry) -> None:
        self._own_retries = value

    # Each answer's head is read by one deadline (`head_deadline`), also through a proxy.
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        bound_heads(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> PoolManager:
        return bound_heads(super().proxy_manager_for(proxy, **kwargs))

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> Any:
        """requests' pool key of the request, worked out once per origin and TLS settings.

        requests parses the URL and, for a CA bundle path, asks the file system whether it is
        a file or a directory on every request; both depend only on the origin and the
        settings. (A path that turns from a file into a directory while the client lives is
        not seen; a changed path or setting is.)"""
        parts = (request.url or "").split("/", 3)  # scheme:, "", host[:port], path
        if len(parts) < 3 or not isinstance(cert, str | tuple | None):
            return super().build_connection_pool_key_attributes(request, verify, cert)
        key = (parts[0], parts[2], verify, cert)
        found = self._pool_keys.get(key)
        if found is None:
            if len(self._pool_keys) >= 64:  # bounded: absolute addresses of many hosts
                self._pool_keys.clear()
            found = super().build_connection_pool_key_attributes(request, verify, cert)
            self._pool_keys[key] = found
        return dict(found[0]), dict(found[1])  # the caller's own copies


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
        self.session.trust_env = False  # the environment is read by `_read_environment`
        self._env: tuple[str | None, ...] = ()
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "cml-magic"
        adapter = _Adapter()
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
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

        The whole call, retries included, ends within `timeout` seconds. `idempotent`
        overrides the verb's own rule: the read-only `POST ...:download` is retried like a GET.
        A request that creates or changes something is resent only when the connection was
        refused before any byte of it was sent.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT
        if legacy and self._legacy_auth is None:
            raise ConfigError(LEGACY_KEY_MISSING)
        send: dict[str, Any] = {
            "params": _clean_params(params),
            "json": None if json_body is _NO_BODY else json_body,
            "files": files,
            "auth": self._legacy_auth if legacy else self._auth,
            # Only reads follow redirects; resending a change elsewhere is not ours to do.
            "allow_redirects": method in ("GET", "HEAD"),
        }
        self._read_environment()
        if path.startswith(("https://", "http://")):
            send["proxies"] = _proxies_for(path)
        deadline = time.monotonic() + self.timeout
        started = time.monotonic()
        try:
            response = self._send(
                method, path, deadline, send, self._retry(method, idempotent, deadline)
            )
        except requests.RequestException as exc:
            raise CMLConnectionError(
                self._scrub(_describe(exc, self.timeout, self.host)), method=method, path=path
            ) from None
        status = response.status_code
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s (%.0f ms)", method, path, status, (time.monotonic() - started) * 1000
            )
        if status == 404 and method == "DELETE" and _answer_was_lost(response):
            # An earlier attempt deleted it; only its answer was lost on the way.
            return {}
        if status >= 400:
            raise self._error(response, method, path)
        if response.is_redirect:
            target = response.headers.get("Location", "?").split("?")[0]
            raise CMLError(
                f"CML redirected the request to {target}; use that host (https?)",
                status=status,
                method=method,
                path=path,
            )
        return self._decode(response, method, path, expect)

    def transfer(
        self,
        method: str,
        path: str,
        *,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        sink: IO[bytes] | None = None,
        progress: Callable[[int], None] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """A request whose body (`data`, a file-like object) or answer (written into `sink`)
        may be big, streamed so that neither is held whole in memory; with a `sink`, the number
        of bytes written, else the decoded JSON answer. `progress(n)` hears of each chunk.

        Deadline: `timeout` bounds each wait (connecting, each send of the body, the answer's
        head, each chunk of the answer), not the whole call as in `request`. A big file takes
        as long as its bytes take to move; a peer that goes quiet fails within `timeout`.
        Retries follow `request`'s rules, their pauses within the first `timeout`; an answer
        cut off after bytes reached `sink` is not resent (the sink holds them already).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT
        self._read_environment()
        token = _CALL_RETRY.set(self._retry(method, idempotent, time.monotonic() + self.timeout))
        try:
            response = self.session.request(
                method,
                self.host + path,
                data=data,
                headers=headers,
                auth=self._auth,
                stream=True,
                timeout=(self.timeout, self.timeout),  # per socket wait, as said above
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise CMLConnectionError(
                self._scrub(_describe(exc, self.timeout)), method=method, path=path
            ) from None
        finally:
            _CALL_RETRY.reset(token)
        try:
            if response.status_code >= 400 or response.is_redirect or sink is None:
                # An error, a redirect or a JSON answer: small; an error is read up to a cap.
                cap = _ERROR_CAP if response.status_code >= 400 else None
                response._content = response.raw.read(cap, decode_content=True)
                response._content_consumed = True  # type: ignore[attr-defined]  # not in the stubs
                if response.status_code >= 400:
                    raise self._error(response, method, path)
                if response.is_redirect:
                    target = response.headers.get("Location", "?").split("?")[0]
                    raise CMLError(
                        f"CML redirected the request to {target}; use that host (https?)",
                        status=response.status_code,
                        method=method,
                        path=path,
                    )
                return self._decode(response, method, path, "json")
            written = 0
            for chunk in response.raw.stream(_CHUNK, decode_content=True):
                sink.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(len(chunk))
            return written
        except urllib3.exceptions.HTTPError as exc:
            failure: requests.RequestException = (
                requests.ReadTimeout(exc)
                if isinstance(exc, urllib3.exceptions.ReadTimeoutError)
                else requests.exceptions.ChunkedEncodingError(exc)
            )
            raise CMLConnectionError(
                self._scrub(_describe(failure, self.timeout)), method=method, path=path
            ) from None
        finally:
            response.close()

    def _read_environment(self) -> None:
        """The session's proxies and CA bundle for the host from the environment, as requests
        reads them, so that a variable set after the client was made applies from the next
        request on."""
        # Worked out again only when one of those variables changed: requests would scan the
        # whole environment twice per request (a third of the client's CPU per request).
        current = tuple(map(os.environ.get, PROXY_AND_TLS_VARIABLES))
        if current == self._env:
            return
        verify: bool | str = self.verify
        if verify is True:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            verify = bundle or True
        self.session.proxies = requests.utils.get_environ_proxies(self.host)
        self.session.verify = verify
        self._env = current

    def _retry(self, method: str, idempotent: bool, deadline: float) -> _CallRetry:
        retry = _CallRetry(
            total=0 if _SINGLE_ATTEMPT.get() else self.max_retries,
            other=0,  # e.g. a failed TLS check: it fails again however often it is tried
            allowed_methods=IDEMPOTENT | {method} if idempotent else IDEMPOTENT,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=self.backoff,
            backoff_max=self.max_backoff,
            raise_on_status=False,  # the last answer becomes the typed error
            respect_retry_after_header=False,  # else a 413 with Retry-After is resent too
        )
        retry.deadline, retry.max_wait, retry.nap = deadline, self.max_backoff, self.sleep
        return retry

    def _send(
        self, method: str, path: str, deadline: float, send: dict[str, Any], retry: _CallRetry
    ) -> requests.Response:
        """The answer, resent (by `retry`'s rules) also after one cut off mid-body, which
        urllib3 does not see: it hands the body over unread."""
        # An absolute address (a model endpoint) is another host of the same workspace.
        url = path if path.startswith(("https://", "http://")) else self.host + path
        while True:
            token = _CALL_RETRY.set(retry)
            try:
                return self._exchange(method, url, deadline, send)
            except requests.exceptions.ChunkedEncodingError as exc:
                used = getattr(exc.response, "raw", None)
                used = getattr(used, "retries", None)
                if not isinstance(used, _CallRetry):
                    raise
                try:
                    retry = used.increment(method, url, error=urllib3.exceptions.ProtocolError(exc))
                except urllib3.exceptions.HTTPError:
                    raise exc from None
                log.debug("%s %s: the answer was cut off; retrying", method, path)
                retry.sleep()
            finally:
                _CALL_RETRY.reset(token)

    def _exchange(
        self, method: str, url: str, deadline: float, send: dict[str, Any]
    ) -> requests.Response:
        """One call through the session (urllib3 retrying inside it), its answer read whole.

        Connecting and the wait for the answer's head are bounded by the time left when each
        attempt starts (`_Deadline`); the body is read piece by piece against the deadline.
        """
        # One deadline, not requests' per-read timeout: a trickling answer cannot outlast it.
        timeout: Any = _Deadline(deadline)  # requests hands a urllib3 Timeout on as it is
        response = self.session.request(method, url, stream=True, timeout=timeout, **send)
        if getattr(response, "_content_consumed", False):  # a response hook read it already
            return response
        raw = response.raw
        sock = getattr(raw.connection, "sock", None)
        # An answer of a declared length, not encoded, is whole once that many bytes are in:
        # no further read to hear its end (urllib3 has closed the body by then; `close` below
        # hands the connection back to the pool).
        plain = "content-encoding" not in raw.headers
        chunks: list[bytes] = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise requests.ReadTimeout("the answer did not end in time", response=response)
                if sock is not None:
                    sock.settimeout(left)
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
                if plain and raw.length_remaining == 0:
                    break
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ReadTimeout(exc, response=response) from None
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc, response=response) from None
        except urllib3.exceptions.ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc, response=response) from None
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc, response=response) from None
        else:
            response._content = b"".join(chunks)
            response._content_consumed = True  # type: ignore[attr-defined]  # not in the stubs
        finally:
            response.close()  # read whole: back to the pool; else closed
        return response

    def _scrub(self, text: str) -> str:
        return mask_text(text, self._secrets)

    def _error(self, response: requests.Response, method: str, path: str) -> CMLError:
        message = _server_message(response, self._secrets)
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
        content = response.content
        if not content.strip():
            return {}
        try:
            # The bytes as they are: JSON is UTF-8 (json finds a UTF-16/32 answer's encoding
            # itself), where `response.json()` guesses the encoding and decodes a copy first.
            return json.loads(content)
        except ValueError:
            snippet = excerpt(response.text, 80, self._secrets)
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


def _answer_was_lost(response: requests.Response) -> bool:
    """True when an earlier attempt of this call failed after its request went out."""
    retries = getattr(response.raw, "retries", None)
    history = retries.history if isinstance(retries, Retry) else ()
    return any(isinstance(attempt.error, _LOST_ANSWER) for attempt in history)


def _proxies_for(url: str) -> dict[str, str | None]:
    """The proxies of another host than the client's, as requests reads them (a `None` drops
    the session's proxy for the host's scheme where `NO_PROXY` names the host)."""
    found: dict[str, str | None] = dict(requests.utils.get_environ_proxies(url))
    return found or {"http": None, "https": None, "all": None}


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        cleaned[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return cleaned or None


def _server_message(response: requests.Response, keys: tuple[str, ...] = ()) -> str:
    """The message in CML's error envelope, else a short piece of the body, else the reason;
    masked (the known keys and `keys`) before it is cut."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return mask_text(" ".join(value.split()), keys)
            if value:
                return excerpt(json.dumps(value), PAGE_CHARS, keys)
    text = excerpt(" ".join(response.text.split()), PAGE_CHARS, keys)
    return text or response.reason or f"HTTP {response.status_code}"


def _describe(exc: requests.RequestException, timeout: float, host: str = "") -> str:
    """A one-line reason for a failure that left no HTTP answer."""
    root = _root(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS verification failed ({_innermost(exc)}); pass verify=<CA bundle path>"
    timed_out = isinstance(root, TimeoutError | urllib3.exceptions.TimeoutError) and not (
        isinstance(root, urllib3.exceptions.NewConnectionError)
    )
    if isinstance(exc, requests.Timeout) or timed_out:
        return f"no answer within the timeout ({timeout:g} s)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"the answer was cut off ({_innermost(exc)})"
    where = f" at {host.split('://', 1)[-1]}" if host else ""
    reason = _plain_reason(exc)
    if reason:
        return f"cannot reach CML{where}: {reason}"
    return f"cannot reach CML{where} ({_innermost(exc)})"


def _plain_reason(exc: BaseException) -> str | None:
    """`connection refused`, `connection reset`, `host name not found`: the socket's failure
    in plain words, found under requests' and urllib3's wrappers (None when there is none)."""
    stack: list[Any] = [exc]
    seen: set[int] = set()
    while stack:
        err = stack.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, ConnectionResetError | ConnectionAbortedError):
            return "connection reset"
        if isinstance(err, socket.gaierror):
            return "host name not found"
        stack.extend([*err.args, getattr(err, "reason", None), err.__cause__, err.__context__])
    return None


def _root(exc: BaseException) -> BaseException:
    """The innermost failure under requests' and urllib3's wrappers."""
    seen: BaseException = exc
    while True:
        inner = getattr(seen, "reason", None) or (seen.args[0] if seen.args else None)
        if isinstance(inner, BaseException) and inner is not seen:
            seen = inner
            continue
        return seen


def _innermost(exc: BaseException) -> str:
    seen = _root(exc)
    text = str(seen) or type(seen).__name__
    # urllib3 prefixes pool objects' reprs; keep the human part.
    return text.split(": ", 1)[-1] if "object at 0x" in text else text
