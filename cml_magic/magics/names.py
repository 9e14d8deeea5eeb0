"""Names and ids seen in earlier results: for tab completion and run lookups, no HTTP."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cml_magic.api.objects import Resource


def _group(item: Resource) -> str | None:
    """The completion group an API result's name goes into, if any."""
    # Imported here: the magics load without the API, and these items come from it.
    from cml_magic.api.objects import Job, JobRun, Project

    groups: list[tuple[type[Resource], str]] = [(Project, "projects"), (Job, "jobs")]
    groups.append((JobRun, "runs"))
    # No item is a model or an application unless their module was loaded (a job listing
    # does not load it, and should not for this).
    serving = sys.modules.get("cml_magic.api.serving_objects")
    if serving is not None:
        groups += [(serving.Model, "models"), (serving.Application, "apps")]
    return next((group for cls, group in groups if isinstance(item, cls)), None)


class NameCache:
    """Remembers names per group (projects, jobs, models, apps) and which job each run is of."""

    def __init__(self, max_age: float = 600.0) -> None:
        self.max_age = max_age
        self._names: dict[str, dict[str, float]] = {}
        self._runs: dict[str, tuple[str, str | None]] = {}

    def remember(self, items: Iterable[Resource]) -> None:
        """Note every item's name (and, for runs, its job and project)."""
        from cml_magic.api.objects import JobRun

        now = time.monotonic()
        for item in items:
            group = _group(item)
            if group is None:
                continue
            if isinstance(item, JobRun):
                self._runs[item.id] = (item.job_id, item.project_id)
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
