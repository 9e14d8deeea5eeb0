"""Fixtures of the chart tests: a job's runs as the client's DataFrame."""

from __future__ import annotations

import pandas as pd
import pytest
from support.charts import run_json

from cml_magic.api import JobRun
from cml_magic.frames import to_frame


@pytest.fixture
def runs_frame() -> pd.DataFrame:
    """Five finished runs of job `nightly`, newest first as CML lists them:
    succeeded 10 s, failed 20 s, stopped 30 s, timed out 40 s, succeeded 50 s."""
    statuses = [
        "ENGINE_SUCCEEDED",
        "ENGINE_FAILED",
        "ENGINE_STOPPED",
        "ENGINE_TIMEDOUT",
        "ENGINE_SUCCEEDED",
    ]
    runs = [run_json(i, s, started=i * 10, seconds=10.0 * (i + 1)) for i, s in enumerate(statuses)]
    objects = [JobRun.from_json(r) for r in reversed(runs)]
    return to_frame(objects, job_names={"ennq-7dum-18ab-a5ow": "nightly"})
