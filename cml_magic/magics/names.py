"""Names and ids seen in earlier results: for tab completion and run lookups, no HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

# API result class -> the completion group its names go into.
_GROUPS = {
    "Project": "projects",
    "Job": "jobs",
    "Model": "models",
    "Application": "apps",
    "JobRun": "runs",
}


class NameCache:
    """Remembers names per group (projects, jobs, models, apps) and which job each run is of."""

    def __init__(self, max_age: float = 600.0) -> None:
        self.max_age = max_age
        self._names: dict[str, dict[str, float]] = {}
        self._runs: dict[str, tuple[str, str | None]] = {}

    def remember(self, items: Iterable[Any]) -> None:
        """Note every item's name (and, for runs, its job and project)."""
        now = time.monotonic()
        for item in items:
            group = _GROUPS.get(type(item).__name__)
            if group is None:
                continue
            if group == "runs":
                self._runs[item.id] = (item.job_id, getattr(item, "project_id", None))
                self._names.setdefault(group, {})[item.id] = now
                continue
            name = getattr(item, "name", None)
            if name:
                self._names.setdefault(group, {})[name] = now

    def add(self, group: str, names: Iterable[str]) -> None:
        """Note names fetched for completion."""
        now = time.monotonic()
        bucket = self._names.setdefault(group, {})
        for name in names:
            bucket[name] = now

    def names(self, group: str) -> list[str]:
        """Names seen recently in `group`, sorted."""
        cutoff = time.monotonic() - self.max_age
        return sorted(n for n, seen in self._names.get(group, {}).items() if seen >= cutoff)

    def job_of_run(self, run_id: str) -> tuple[str, str | None] | None:
        """(job id, project id) of a run seen before, else None."""
        return self._runs.get(run_id)

    def clear(self) -> None:
        """Forget everything (after a change of host or key)."""
        self._names.clear()
        self._runs.clear()
