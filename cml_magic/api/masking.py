"""Hide API keys and secret values in text before it reaches a screen, an error or a widget.

`mask_text` applies two rules to any text (a run's log, an error page, a repr):

- every key the client knows (`remember_keys`, called by each `CML` client, and the key
  variables of this process, `KEY_VARIABLES`): the key itself (so also its `Bearer <key>`
  form), its HTTP Basic form (base64 of `key:`) and any piece of `PIECE` or more characters
  of either, whatever name or text surrounds it;
- the value of a variable whose name looks secret (`is_secret`): `NAME=value`,
  `NAME: value`, `"NAME": "value"`, `'NAME': 'value'` (what `env`, `print(os.environ)` and
  `json.dumps` print), and the password of a `scheme://user:password@host` address.

`mask_environment` is the rule for an environment map: a secret-looking name, or a value
holding a key or a secret assignment, shows as `MASK`. Every display of the client (reprs,
HTML tables, magics, widgets, errors) goes through these two functions.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

MASK = "******"
PIECE = 8  # a piece of a key this long or longer is hidden; shorter ones cannot be told apart
REMEMBERED = 32  # keys kept by `remember_keys`, the most recent ones
# The process's own key variables: a CML session's, and the client's.
KEY_VARIABLES = ("CML_MAGIC_API_KEY", "CML_MAGIC_LEGACY_API_KEY", "CDSW_APIV2_KEY", "CDSW_API_KEY")

# A name is secret when it contains one of these (any case)...
_SECRET_PARTS = (
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASS",
    "PWD",
    "CREDENTIAL",
    "PRIVATE",
    "AUTHORIZATION",
)
# ... or has one of these as a word between `_`, `.` or `-` (`CML_USER_PW`, `GITHUB_PAT`):
# as parts of words they are everywhere (PATH, PATTERN).
_SECRET_WORDS = frozenset({"PW", "PAT", "AUTH"})
# The shell's working folders, not passwords.
_ORDINARY = frozenset({"PWD", "OLDPWD"})


def is_secret(name: str) -> bool:
    """True when a variable's name says its value must not be shown: API_KEY, DB_PASSWORD,
    GH_TOKEN, CML_USER_PW, MYSQL_PWD, GITHUB_PAT, aws_secret_access_key..."""
    upper = name.strip().upper()
    if upper in _ORDINARY:
        return False
    found = _patterns()
    if found.part.search(upper):
        return True
    return not _SECRET_WORDS.isdisjoint(found.word_break.split(upper))


# -- known keys -------------------------------------------------------------------------------

_lock = threading.Lock()
_remembered: tuple[str, ...] = ()


def remember_keys(*keys: str | None) -> None:
    """Add keys to those `mask_text` hides everywhere in this process (the last `REMEMBERED`)."""
    global _remembered
    new = tuple(k for k in keys if k)
    if not new:
        return
    with _lock:
        kept = tuple(k for k in _remembered if k not in new) + tuple(dict.fromkeys(new))
        _remembered = kept[-REMEMBERED:]


def known_keys(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The keys remembered, those of `KEY_VARIABLES` in this process's environment, and `extra`."""
    found = [*_remembered, *extra]
    found += [v for v in map(os.environ.get, KEY_VARIABLES) if v]
    return tuple(dict.fromkeys(k.strip() for k in found if k and k.strip()))


def _encodings(key: str) -> list[str]:
    """The key as base64: HTTP Basic (`key:`), alone, and inside longer base64 text (each of
    the three alignments, without the characters that depend on its neighbours)."""
    raw = key.encode("utf-8", errors="surrogatepass")
    found = [base64.b64encode(raw + b":").decode(), base64.b64encode(raw).decode()]
    for shift in (1, 2):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        found.append(encoded[4:-4])  # the first and last groups mix in other bytes
    return [f for f in found if len(f) >= PIECE]


def _trie(words: Iterable[str]) -> str:
    """A regex matching any of `words` (all of one length), as a trie: each position of the
    text tries only the branches that start with its character."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        if len(branches) <= 1:
            return "".join(branches)
        return "(?:" + "|".join(branches) + ")"

    return emit(root)


class _KeyMask:
    """Finds and hides the known keys in a text (built once per set of keys)."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        forms: list[str] = []
        short: list[str] = []
        for key in keys:
            if len(key) < PIECE:
                short.append(key)
            else:
                forms += [key, *_encodings(key)]
        self.forms = tuple(dict.fromkeys(forms))
        pieces = {f[i : i + PIECE] for f in self.forms for i in range(len(f) - PIECE + 1)}
        self.pieces = re.compile(_trie(pieces)) if pieces else None
        # A key too short to have pieces is hidden where it stands alone, not inside words.
        self.short = None
        if short:
            listed = "|".join(map(re.escape, sorted(set(short), key=len, reverse=True)))
            self.short = re.compile(rf"(?<![A-Za-z0-9])(?:{listed})(?![A-Za-z0-9])")

    def __call__(self, text: str) -> str:
        if self.pieces is not None:
            search, forms = self.pieces.search, self.forms
            parts: list[str] = []
            at = 0
            while (found := search(text, at)) is not None:
                start, end = found.span()
                # The longest piece of a key that starts here.
                while end < len(text) and any(text[start : end + 1] in f for f in forms):
                    end += 1
                parts += [text[at:start], MASK]
                at = end
            if parts:
                text = "".join(parts) + text[at:]
        if self.short is not None:
            text = self.short.sub(MASK, text)
        return text


@functools.lru_cache(maxsize=16)
def _key_mask(keys: tuple[str, ...]) -> _KeyMask:
    return _KeyMask(keys)


# -- secret-named values ----------------------------------------------------------------------

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
# Most names are not secret; only those that might be reach `is_secret`.
_MAYBE = r"(?=[A-Za-z0-9_.\-]*?(?:" + "|".join((*_SECRET_PARTS, *_SECRET_WORDS)) + "))"
_QUOTED = r"""(?:"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)"""  # to the end of the line if open
# `Authorization: Basic <value>`: the scheme is shown, the value hidden.
_SCHEMES = r"(?:Basic|Bearer|Token|Digest|Negotiate)"
_FLAGS = re.IGNORECASE | re.MULTILINE


class _Patterns(NamedTuple):
    part: re.Pattern[str]  # a secret part of a name
    word_break: re.Pattern[str]  # what separates the words of a name
    # `NAME=value` starting a line (`env`, dotenv, `export`): the rest of the line is the value.
    line_assignment: re.Pattern[str]
    # `"NAME": "value"`, `'NAME': 'value'`, `"NAME": 123` (JSON, a dict's repr).
    quoted_name: re.Pattern[str]
    # `NAME=value` and `NAME: value` within a line (the value: one quoted string or one word).
    assignment: re.Pattern[str]
    url_password: re.Pattern[str]  # `scheme://user:password@host`


@functools.cache
def _patterns() -> _Patterns:
    """The patterns, compiled on first use: importing the client (a first listing masks
    nothing) skips their ~2 ms."""
    return _Patterns(
        part=re.compile("|".join(_SECRET_PARTS), re.IGNORECASE),
        word_break=re.compile(r"[_.\-]+"),
        line_assignment=re.compile(
            rf"^(?P<lead>[ \t]*(?:export[ \t]+)?){_MAYBE}(?P<name>{_NAME})(?P<sep>[ \t]*=[ \t]*)"
            r"(?P<value>[^\n]+)",
            _FLAGS,
        ),
        quoted_name=re.compile(
            rf"(?P<q>[\"']){_MAYBE}(?P<name>{_NAME})(?P=q)(?P<sep>[ \t]*[:=][ \t]*)"
            rf"(?P<value>{_QUOTED}|[^\s,}}\]]+)",
            _FLAGS,
        ),
        assignment=re.compile(
            rf"(?<![A-Za-z0-9_.]){_MAYBE}(?P<name>{_NAME})(?P<sep>[ \t]*(?P<op>=(?!=)|:)[ \t]*"
            rf"(?:{_SCHEMES}[ \t]+)?)(?P<value>{_QUOTED}|[^\s,;)\]}}'\"]\S*)",
            _FLAGS,
        ),
        url_password=re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]*:)[^\s/@]+(?=@)"),
    )


# What help texts and errors write for a value (`--env KEY=VALUE`): nothing to hide.
_PLACEHOLDERS = frozenset({"VALUE", "<VALUE>", "<value>", "...", "…", MASK})


def _placeholder(value: str) -> bool:
    return value.strip("'\"").rstrip(".,;:)") in _PLACEHOLDERS


def _hidden(value: str) -> str:
    """MASK in the value's own quotes, if it had any."""
    if value[:1] in ("'", '"'):
        return value[0] + MASK + value[0]
    return MASK


def _line_assignment(match: re.Match[str]) -> str:
    if not is_secret(match["name"]) or _placeholder(match["value"]):
        return match[0]
    return f"{match['lead']}{match['name']}{match['sep']}{MASK}"


def _quoted_name(match: re.Match[str]) -> str:
    if not is_secret(match["name"]) or _placeholder(match["value"]):
        return match[0]
    q = match["q"]
    return f"{q}{match['name']}{q}{match['sep']}{_hidden(match['value'])}"


def _assignment(match: re.Match[str]) -> str:
    name = match["name"]
    if not is_secret(name) or _placeholder(match["value"]):
        return match[0]
    if match["op"] == ":" and not _looks_like_a_variable(match, name):
        return match[0]  # prose: "no API key: pass one"
    return f"{name}{match['sep']}{_hidden(match['value'])}"


def _looks_like_a_variable(match: re.Match[str], name: str) -> bool:
    """`NAME: value` is an assignment when NAME starts its line (YAML, HTTP headers) or is
    spelled like a variable (DB_PASSWORD, API-KEY, TOKEN)."""
    if any(c in name for c in "_.-") or (name.isupper() and len(name) > 1):
        return True
    text = match.string
    before = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
    return before.strip() in ("", "-")


def mask_text(text: str, keys: Iterable[str] = ()) -> str:
    """`text` with every known key (and `keys`) and every secret-named value replaced by MASK."""
    if not text:
        return text
    return _masked(text, _keys_mask(keys))


def _keys_mask(keys: Iterable[str]) -> _KeyMask | None:
    found = known_keys(keys)
    return _key_mask(found) if found else None


def _masked(text: str, keys: _KeyMask | None) -> str:
    if keys is not None:
        text = keys(text)
    if "=" in text or ":" in text:  # every form of an assignment has one
        found = _patterns()
        text = found.url_password.sub(lambda m: m["head"] + MASK, text)
        text = found.line_assignment.sub(_line_assignment, text)
        text = found.quoted_name.sub(_quoted_name, text)
        text = found.assignment.sub(_assignment, text)
    return text


def mask_environment(
    environment: Mapping[str, Any] | None, keys: Iterable[str] = ()
) -> dict[str, str]:
    """A copy of `environment` as text, MASK for each value whose name looks secret or that
    holds a known key or a secret assignment (`FOO=<key>` is hidden too)."""
    if not environment:
        return {}
    known = _keys_mask(keys)
    shown: dict[str, str] = {}
    for name, value in environment.items():
        text = str(value)
        hide = is_secret(str(name)) or (bool(text) and _masked(text, known) != text)
        shown[str(name)] = MASK if hide else text
    return shown


def excerpt(text: str, limit: int, keys: Iterable[str] = ()) -> str:
    """At most `limit` characters of `text`, masked first: a cut never leaves a piece of a key
    too short to be recognised. Only the start of a long text is looked at."""
    return mask_text(text[: max(limit * 16, 4096)], keys)[:limit]
