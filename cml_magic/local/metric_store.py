"""Experiment run metrics on disk: every logged value in a table of its own (indexed by run,
key and step), and the latest value of each metric of each run kept beside it, so that a run
listing reads one small row per metric however long the histories grow (1,000 runs x 20
metrics x 100 steps is 2M values; a listing still reads 20,000 rows).

The tables live in the store's SQLite database and share its lock and transactions: a batch
is written whole or not at all, with the run's params and tags.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from cml_magic.local.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS metrics (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run_key ON metrics (run_id, key, step, timestamp);
CREATE TABLE IF NOT EXISTS latest_metrics (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    experiment_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS latest_by_experiment ON latest_metrics (experiment_id);
"""

# The latest value is MLflow's: the highest step, then the latest timestamp.
_LATEST = """
INSERT INTO latest_metrics (run_id, key, experiment_id, step, timestamp, value)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, key) DO UPDATE SET
    step = excluded.step, timestamp = excluded.timestamp, value = excluded.value
WHERE excluded.step > latest_metrics.step
    OR (excluded.step = latest_metrics.step AND excluded.timestamp >= latest_metrics.timestamp)
"""

# (key, value, step, timestamp) of one logged value; timestamps in `timeutil.now`'s format.
Point = tuple[str, float, int, str]

_READY: weakref.WeakSet[Store] = weakref.WeakSet()


def _ready(store: Store) -> Store:
    if store not in _READY:
        with store.transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        _READY.add(store)
    return store


def add(store: Store, experiment_id: str, run_id: str, points: Sequence[Point]) -> None:
    """Append `points` to the run's histories (inside the caller's transaction, if any)."""
    with _ready(store).transaction() as db:
        db.executemany(
            "INSERT INTO metrics (run_id, key, step, timestamp, value) VALUES (?, ?, ?, ?, ?)",
            [(run_id, key, step, when, value) for key, value, step, when in points],
        )
        db.executemany(
            _LATEST,
            [(run_id, key, experiment_id, step, when, value) for key, value, step, when in points],
        )


def history(store: Store, run_id: str, key: str) -> list[Point]:
    """Every value of metric `key` of the run, by step, then time, then logging order."""
    with _ready(store).transaction() as db:
        rows = db.execute(
            "SELECT key, value, step, timestamp FROM metrics WHERE run_id = ? AND key = ?"
            " ORDER BY step, timestamp, seq",
            (run_id, key),
        ).fetchall()
    return [(str(k), float(v), int(s), str(t)) for k, v, s, t in rows]


def latest(store: Store, experiment_id: str) -> dict[str, list[Point]]:
    """run id -> the latest value of each of its metrics (by key), for an experiment's runs."""
    with _ready(store).transaction() as db:
        rows = db.execute(
            "SELECT run_id, key, value, step, timestamp FROM latest_metrics"
            " WHERE experiment_id = ? ORDER BY run_id, key",
            (experiment_id,),
        ).fetchall()
    found: dict[str, list[Point]] = {}
    for run_id, key, value, step, when in rows:
        found.setdefault(run_id, []).append((key, value, step, when))
    return found


def latest_of_run(store: Store, run_id: str) -> list[Point]:
    """The latest value of each metric of one run, by key."""
    with _ready(store).transaction() as db:
        rows = db.execute(
            "SELECT key, value, step, timestamp FROM latest_metrics WHERE run_id = ? ORDER BY key",
            (run_id,),
        ).fetchall()
    return [(str(k), float(v), int(s), str(t)) for k, v, s, t in rows]


def forget(store: Store, run_id: str, keys: Iterable[str] | None = None) -> None:
    """Delete the run's metrics named `keys` (None: all of them), history and latest value."""
    with _ready(store).transaction() as db:
        if keys is None:
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM latest_metrics WHERE run_id = ?", (run_id,))
            return
        pairs: list[Any] = [(run_id, key) for key in keys]
        db.executemany("DELETE FROM metrics WHERE run_id = ? AND key = ?", pairs)
        db.executemany("DELETE FROM latest_metrics WHERE run_id = ? AND key = ?", pairs)
