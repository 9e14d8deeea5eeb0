"""A keyring backend of the tests' own: a real `keyring` backend keeping its passwords in a JSON
file of the test's folder, chosen with keyring's own `set_keyring` (the machine's keyring is
never read or written by a test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    """Passwords by (service, user) in one JSON file."""

    priority = 1  # type: ignore[assignment]  # keyring declares it a class property

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _read(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        kept = self._read()
        kept[f"{service}\0{username}"] = password
        self.path.write_text(json.dumps(kept))

    def delete_password(self, service: str, username: str) -> None:
        kept = self._read()
        if kept.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self.path.write_text(json.dumps(kept))


@contextmanager
def using(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """`backend` as the process's keyring meanwhile."""
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


def none() -> KeyringBackend:
    """keyring's own "no backend" (every call raises NoKeyringError)."""
    return fail.Keyring()
