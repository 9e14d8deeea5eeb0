"""The DataFrames charts are drawn from: a metric history, typed as the experiments client
makes it, and job runs as CML sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HISTORY_COLUMNS = ("run_id", "run_name", "key", "step", "value", "timestamp")


def history(rows: list[tuple[str, str, str, int, float]]) -> pd.DataFrame:
    """A metric history frame, typed as the experiments client documents it, of
    (run_id, run_name, key, step, value) rows; each row one second after the one before."""
    frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS[:-1]))
    frame["timestamp"] = [T0 + timedelta(seconds=i) for i in range(len(rows))]
    return frame.astype(
        {
            "run_id": "string",
            "run_name": "string",
            "key": "string",
            "step": "Int64",
            "value": "float64",
            "timestamp": "datetime64[ns, UTC]",
        }
    )


def run_json(number: int, status: str, started: int, seconds: float | None) -> dict[str, Any]:
    """A job run as CML sends it: started `started` minutes after T0, taking `seconds`
    (None: not finished)."""
    start = T0 + timedelta(minutes=started)
    end = "0001-01-01T00:00:00Z" if seconds is None else start + timedelta(seconds=seconds)
    return {
        "id": f"run{number:02d}abcdefghij",
        "project_id": "llgb-lqu2-7ivf-is2r",
        "job_id": "ennq-7dum-18ab-a5ow",
        "status": status,
        "created_at": (start - timedelta(seconds=2)).isoformat(),
        "running_at": start.isoformat(),
        "finished_at": end if isinstance(end, str) else end.isoformat(),
    }
