"""State on disk: one SQLite database (WAL) holding users, hashed API keys and JSON documents
per resource kind.

Documents are small and few, so filtering and sorting happen in Python; SQLite gives atomic,
crash-safe writes (state survives `kill -9`). One connection shared by the server's threads,
serialised by a lock.

Keys are never stored: only their SHA-256 (hex), so a copy of the database lets no one in. A key
is shown once, by whoever made it (`create_user`, `issue_user_keys`, `mint_workload_keys`).
The state folder is private to its owner (0700) and the database files are 0600.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cml_magic.local import ids
from cml_magic.local.timeutil import now

DB_NAME = "cml-local.sqlite3"

# `owner` is NULL for a user's own keys, else the workload (e.g. `run:<id>`) the key was made
# for: revoking a workload's keys deletes its rows. `expires_at` (the `now()` format, NULL: never)
# is set on keys minted with an expiry date.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_by_owner ON api_keys (owner);
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

V2_KEY = "v2"
LEGACY_KEY = "legacy"
KEY_KINDS = (V2_KEY, LEGACY_KEY)

Doc = dict[str, Any]


class Store:
    """Users, keys and resource documents (`project`, `job`, `run`, `model`, ...)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        _private_dir(self.data_dir)
        self.projects_dir = self.data_dir / "projects"
        _private_dir(self.projects_dir, ours=True)
        db_path = self.data_dir / DB_NAME
        # SQLite gives the -wal and -shm files the database file's mode.
        os.close(os.open(db_path, os.O_CREAT | os.O_RDWR, 0o600))
        for path in (db_path, *(Path(f"{db_path}{end}") for end in ("-wal", "-shm"))):
            if path.exists():
                path.chmod(0o600)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (revoked key hashes, the clear keys of an old folder) are zeroed on disk.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._migrate_clear_keys()

    def run_console(self, run_id: str) -> Path:
        """Where the console output (stdout and stderr) of run `run_id` is kept."""
        return run_console_path(self.data_dir, run_id)

    def _migrate_clear_keys(self) -> None:
        """A folder made before keys were hashed holds them in clear in `users`: keep them
        working by storing their hashes, then drop the clear columns."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(users)")}
        if "api_key" not in columns:
            return
        with self.transaction() as db:
            rows = db.execute(
                "SELECT username, name, email, api_key, legacy_key, created_at FROM users"
            ).fetchall()
            db.execute(
                "CREATE TABLE users_hashed (username TEXT PRIMARY KEY, name TEXT NOT NULL,"
                " email TEXT NOT NULL, created_at TEXT NOT NULL)"
            )
            for username, name, email, v2_key, legacy, created in rows:
                db.execute(
                    "INSERT INTO users_hashed VALUES (?, ?, ?, ?)", (username, name, email, created)
                )
                for key, kind in ((v2_key, V2_KEY), (legacy, LEGACY_KEY)):
                    db.execute(
                        "INSERT OR IGNORE INTO api_keys (hash, username, kind, owner, created_at)"
                        " VALUES (?, ?, ?, NULL, ?)",
                        (key_hash(key), username, kind, created),
                    )
            db.execute("DROP TABLE users")
            db.execute("ALTER TABLE users_hashed RENAME TO users")
        # Nothing of the clear keys stays in the write-ahead log either.
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    # users and keys ------------------------------------------------------------------------

    def create_user(self, username: str, name: str = "", email: str = "") -> dict[str, str]:
        """Create a user with a fresh v2 key and legacy key; return the user row with both
        keys in clear (`api_key`, `legacy_key`): the only time they can be shown."""
        row = {
            "username": username,
            "name": name or username.capitalize(),
            "email": email or f"{username}@example.com",
            "created_at": now(),
        }
        with self.transaction() as db:
            if self.user(username) is not None:
                raise ValueError(f"user {username!r} already exists")
            db.execute("INSERT INTO users VALUES (:username, :name, :email, :created_at)", row)
            return {**row, **self._issue(username, None)}

    def issue_user_keys(self, username: str) -> dict[str, str]:
        """Replace a user's own keys by fresh ones; answers `{"api_key", "legacy_key"}`."""
        with self.transaction() as db:
            if self.user(username) is None:
                raise ValueError(f"no user {username!r}")
            db.execute("DELETE FROM api_keys WHERE username = ? AND owner IS NULL", (username,))
            return self._issue(username, None)

    def mint_v2_key(self, username: str, expiry_date: str | None = None) -> str | None:
        """One more v2 key of `username`'s own (`POST /api/v1/users/<user>/apikey`), valid
        until `expiry_date` (ISO 8601 with a zone; None: no expiry); None for an unknown user."""
        expires = None
        if expiry_date is not None:
            when = datetime.fromisoformat(expiry_date.replace("Z", "+00:00"))
            if when.tzinfo is None:
                raise ValueError(f"expiry date {expiry_date[:40]!r} has no time zone")
            expires = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        key = ids.api_key()
        with self.transaction() as db:
            if self.user(username) is None:
                return None
            db.execute(
                "INSERT INTO api_keys (hash, username, kind, owner, created_at, expires_at)"
                " VALUES (?, ?, ?, NULL, ?, ?)",
                (key_hash(key), username, V2_KEY, now(), expires),
            )
        return key

    def mint_workload_keys(self, username: str, owner: str) -> dict[str, str]:
        """Fresh keys acting as `username`, valid until `revoke_keys(owner)`."""
        with self.transaction():
            return self._issue(username, owner)

    def revoke_keys(self, owner: str) -> None:
        """Every key made for the workload `owner` stops working."""
        with self.transaction() as db:
            db.execute("DELETE FROM api_keys WHERE owner = ?", (owner,))

    def revoke_workload_keys(self) -> None:
        """Every workload's keys stop working (after a restart no workload lives on)."""
        with self.transaction() as db:
            db.execute("DELETE FROM api_keys WHERE owner IS NOT NULL")

    def _issue(self, username: str, owner: str | None) -> dict[str, str]:
        keys = {"api_key": ids.api_key(), "legacy_key": ids.legacy_key()}
        stamp = now()
        for field, kind in (("api_key", V2_KEY), ("legacy_key", LEGACY_KEY)):
            self._db.execute(
                "INSERT INTO api_keys (hash, username, kind, owner, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (key_hash(keys[field]), username, kind, owner, stamp),
            )
        return keys

    def user(self, username: str) -> dict[str, str] | None:
        with self._lock:
            cur = self._db.execute("SELECT * FROM users WHERE username = ?", (username,))
            return _row(cur)

    def user_by_key(self, key: str, kind: str = V2_KEY) -> dict[str, str] | None:
        """The user a key of `kind` (`v2` or `legacy`) acts as; None for any other key."""
        if kind not in KEY_KINDS:
            raise ValueError(f"unknown key kind {kind!r}")
        digest = key_hash(key)
        with self._lock:
            found = self._db.execute(
                "SELECT hash, username, expires_at FROM api_keys WHERE hash = ? AND kind = ?",
                (digest, kind),
            ).fetchone()
        if found is None or not hmac.compare_digest(found[0], digest):
            return None
        if found[2] is not None and found[2] <= now():
            return None
        return self.user(found[1])

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


def run_console_path(data_dir: Path, run_id: str) -> Path:
    """A run's console (stdout and stderr) in the state folder `data_dir`: kept outside its
    project, as CML keeps it, and shown on the run's web page; the API reaches a run's output
    only where the job saves it in the project itself (`cml_magic.runlog`)."""
    return Path(data_dir) / "consoles" / "runs" / f"{run_id}.log"


def key_hash(key: str) -> str:
    """What the store keeps of a key: its SHA-256, in hex."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _private_dir(path: Path, ours: bool = False) -> None:
    """Make `path` (and missing parents) private to its owner (0700). An existing folder is
    made private only when it is `ours`, empty or already a state folder: `--data /tmp` must
    not close /tmp."""
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
    if not any(path.iterdir()) or (path / DB_NAME).exists() or ours:
        path.chmod(0o700)


@contextmanager
def private_files() -> Iterator[None]:
    """Files made meanwhile (by this process) are private to their owner: umask 077."""
    before = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(before)


def _row(cur: sqlite3.Cursor) -> dict[str, str] | None:
    found = cur.fetchone()
    if found is None:
        return None
    return dict(zip([c[0] for c in cur.description], found, strict=True))
