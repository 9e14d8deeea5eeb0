"""The system keyring (the optional `keyring` package, `pip install 'cml-magic[keyring]'`):
where `%cml login --save` keeps a key, under the service `cml_magic` and the profile's name
(or the host, without a profile).

Every function answers plainly when `keyring` is missing or has no usable backend: a lookup
finds nothing, `available()` is False; only `save` raises (`ConfigError`, one line).
"""

from __future__ import annotations

from cml_magic.api.errors import ConfigError

SERVICE = "cml_magic"
MISSING = "no system keyring: install it with pip install 'cml-magic[keyring]'"


def available() -> bool:
    """Whether a keyring with a usable backend is installed."""
    try:
        import keyring
    except ImportError:
        return False
    return float(getattr(keyring.get_keyring(), "priority", 0)) > 0


def lookup(user: str) -> str | None:
    """The key kept for `user`, None when there is none or no keyring."""
    if not user:
        return None
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        found = keyring.get_password(SERVICE, user)
    except KeyringError:  # no backend, a locked one
        return None
    return (found or "").strip() or None


def save(user: str, key: str) -> None:
    """Keep `key` for `user`; `ConfigError` when no keyring can keep it."""
    if not available():
        raise ConfigError(MISSING)
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, user, key)
    except KeyringError as exc:
        raise ConfigError(f"the system keyring refused the key: {type(exc).__name__}") from None


def forget(user: str) -> bool:
    """Drop the key kept for `user`; whether there was one."""
    if not available():
        return False
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.delete_password(SERVICE, user)
    except KeyringError:  # PasswordDeleteError: none was kept
        return False
    return True
