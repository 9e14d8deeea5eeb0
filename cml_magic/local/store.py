"""State on disk: one SQLite database (WAL) holding users and JSON documents per resource kind.

Documents are small and few, so filtering and sorting happen in Python; SQLite gives atomic,
crash-safe writes (state survives `kill -9`). One connection shared by the server's threads,
serialised by a lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cml_magic.local import ids
from cml_magic.local.timeutil import now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    legacy_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    project_id TEXT,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_by_project ON objects (kind, project_id);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

Doc = dict[str, Any]


class Store:
    """Users, keys and resource documents (`project`, `job`, `run`, `model`, ...)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.projects_dir = self.data_dir / "projects"
        self.projects_dir.mkdir(exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.data_dir / "cml-local.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and one SQLite transaction (re-entrant within a thread)."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # users -------------------------------------------------------------------------------

    def create_user(self, username: str, name: str = "", email: str = "") -> dict[str, str]:
        """Create a user with a fresh v2 key and legacy key; return the user row."""
        row = {
            "username": username,
            "name": name or username.capitalize(),
            "email": email or f"{username}@example.com",
            "api_key": ids.api_key(),
            "legacy_key": ids.api_key(),
            "created_at": now(),
        }
        with self.transaction() as db:
            if self.user(username) is not None:
                raise ValueError(f"user {username!r} already exists")
            db.execute(
                "INSERT INTO users VALUES (:username, :name, :email, :api_key, :legacy_key,"
                " :created_at)",
                row,
            )
        return row

    def user(self, username: str) -> dict[str, str] | None:
        with self._lock:
            cur = self._db.execute("SELECT * FROM users WHERE username = ?", (username,))
            return _row(cur)

    def user_by_key(self, key: str) -> dict[str, str] | None:
        """The user owning a v2 key."""
        with self._lock:
            cur = self._db.execute("SELECT * FROM users WHERE api_key = ?", (key,))
            return _row(cur)

    def user_by_any_key(self, key: str) -> dict[str, str] | None:
        """The user owning a legacy key or a v2 key (v1 Basic auth takes either)."""
        with self._lock:
            cur = self._db.execute(
                "SELECT * FROM users WHERE legacy_key = ? OR api_key = ?", (key, key)
            )
            return _row(cur)

    def mint_v2_key(self, username: str, expiry_date: str) -> str | None:
        """A v2 key for `username`, as `POST /api/v1/users/<user>/apikey` hands out (None for
        an unknown user). Each user holds one v2 key here, so that key is the answer and
        `expiry_date` is not kept."""
        user = self.user(username)
        return user["api_key"] if user else None

    def users(self) -> list[dict[str, str]]:
        with self._lock:
            cur = self._db.execute("SELECT * FROM users ORDER BY username")
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    # documents ---------------------------------------------------------------------------

    def put(self, kind: str, doc: Doc) -> Doc:
        """Insert or replace a document (keyed by `doc["id"]`); keeps its insertion order."""
        with self.transaction() as db:
            cur = db.execute("SELECT seq FROM objects WHERE kind = ? AND id = ?", (kind, doc["id"]))
            found = cur.fetchone()
            seq = found[0] if found else self.next_value("seq")
            db.execute(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)",
                (kind, doc["id"], doc.get("project_id"), seq, json.dumps(doc)),
            )
        return doc

    def get(self, kind: str, id_: str) -> Doc | None:
        with self._lock:
            cur = self._db.execute(
                "SELECT data FROM objects WHERE kind = ? AND id = ?", (kind, id_)
            )
            found = cur.fetchone()
        if found is None:
            return None
        doc: Doc = json.loads(found[0])
        return doc

    def find(self, kind: str, project_id: str | None = None, **equal: Any) -> list[Doc]:
        """Documents of `kind` (in one project if given) whose fields equal `equal`."""
        with self._lock:
            if project_id is None:
                cur = self._db.execute(
                    "SELECT data FROM objects WHERE kind = ? ORDER BY seq", (kind,)
                )
            else:
                cur = self._db.execute(
                    "SELECT data FROM objects WHERE kind = ? AND project_id = ? ORDER BY seq",
                    (kind, project_id),
                )
            docs = [json.loads(r[0]) for r in cur.fetchall()]
        return [d for d in docs if all(d.get(k) == v for k, v in equal.items())]

    def update(self, kind: str, id_: str, change: Callable[[Doc], Doc | None]) -> Doc | None:
        """Read, change and write one document atomically; `change` may edit it in place."""
        with self.transaction():
            doc = self.get(kind, id_)
            if doc is None:
                return None
            result = change(doc)
            doc = result if result is not None else doc
            self.put(kind, doc)
            return doc

    def patch(self, kind: str, id_: str, **fields: Any) -> Doc | None:
        """Set some fields of a document."""
        return self.update(kind, id_, lambda d: d.update(fields))

    def delete(self, kind: str, id_: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, id_))

    def next_value(self, name: str, start: int = 1) -> int:
        """The next value of a named counter (legacy numeric job ids, ordering)."""
        with self.transaction() as db:
            cur = db.execute("SELECT value FROM counters WHERE name = ?", (name,))
            found = cur.fetchone()
            value = found[0] + 1 if found else start
            db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (name, value))
            return value

    def bump_counter(self, name: str, at_least: int) -> None:
        """Make the counter's next value larger than `at_least`."""
        with self.transaction() as db:
            cur = db.execute("SELECT value FROM counters WHERE name = ?", (name,))
            found = cur.fetchone()
            if not found or found[0] < at_least:
                db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (name, at_least))


def _row(cur: sqlite3.Cursor) -> dict[str, str] | None:
    found = cur.fetchone()
    if found is None:
        return None
    return dict(zip([c[0] for c in cur.description], found, strict=True))
