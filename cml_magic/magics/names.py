"""Names and ids seen in earlier results: for tab completion and run lookups, no HTTP."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from cml_magic.api.objects import Resource
    from cml_magic.api.run_objects import JobRun


def _group(item: Resource) -> str | None:
    """The completion group an API result's name goes into, if any."""
    # Imported here: the magics load without the API, and these items come from it.
    from cml_magic.api.objects import Job, Project

    groups: list[tuple[type[Resource], str]] = [(Project, "projects"), (Job, "jobs")]
    # No item is a run, a model or an application unless their module was loaded (a job
    # listing does not load them, and should not for this).
    runs = sys.modules.get("cml_magic.api.run_objects")
    if runs is not None:
        groups.append((runs.JobRun, "runs"))
    serving = sys.modules.get("cml_magic.api.serving_objects")
    if serving is not None:
        groups += [(serving.Model, "models"), (serving.Application, "apps")]
    experiments = sys.modules.get("cml_magic.api.experiment_objects")
    if experiments is not None:
        groups.append((experiments.Experiment, "experiments"))
    registry = sys.modules.get("cml_magic.api.registry_objects")
    if registry is not None:
        groups.append((registry.RegisteredModel, "registered models"))
    return next((group for cls, group in groups if isinstance(item, cls)), None)


def _project_id_of(item: Any) -> str | None:
    """The id of the project an item lives in (None where it does not say)."""
    own = getattr(item, "project_id", None)
    if own:
        return str(own)
    project = getattr(item, "project", None)
    found = getattr(project, "public_identifier", None) or getattr(project, "id", None)
    return str(found) if found else None


class NameCache:
    """Remembers names per group (projects, jobs, models, apps), the project each name was
    seen in, and which job each run is of."""

    def __init__(self, max_age: float = 600.0) -> None:
        self.max_age = max_age
        # group -> (name, project id or None) -> when it was seen
        self._names: dict[str, dict[tuple[str, str | None], float]] = {}
        self._runs: dict[str, tuple[str, str | None]] = {}
        self._project_ids: dict[str, str] = {}  # a project's name (and id) -> its id
        self._ids: dict[str, str] = {}  # id of a job, model or application -> its name

    def remember(self, items: Iterable[Resource]) -> None:
        """Note every item's name (and, for runs, its job and project)."""
        now = time.monotonic()
        for item in items:
            group = _group(item)
            if group is None:
                continue
            if group == "runs":
                run = cast("JobRun", item)
                self._runs[run.id] = (run.job_id, run.project_id)
                self._names.setdefault(group, {})[(run.id, None)] = now
                continue
            name = getattr(item, "name", None)
            item_id = getattr(item, "id", None)
            if group == "projects":
                if name and item_id:
                    self._project_ids[name] = self._project_ids[item_id] = item_id
                if name:
                    self._names.setdefault(group, {})[(name, None)] = now
                continue
            if name:
                self._names.setdefault(group, {})[(name, _project_id_of(item))] = now
                if item_id:
                    self._ids[str(item_id)] = name

    def add(self, group: str, names: Iterable[str], project_id: str | None = None) -> None:
        """Note names fetched for completion (of the project `project_id`, if given)."""
        now = time.monotonic()
        bucket = self._names.setdefault(group, {})
        for name in names:
            bucket[(name, project_id)] = now

    def note_project(self, ref: str, project_id: str) -> None:
        """Note that the project reference `ref` (a name or an id) is the project `project_id`."""
        self._project_ids[ref] = project_id

    def ids(self) -> dict[str, str]:
        """The names of the jobs, models and applications seen, by id."""
        return dict(self._ids)

    def project_name(self, project_id: str) -> str | None:
        """The name of the project `project_id`, if seen before."""
        found = [n for n, i in self._project_ids.items() if i == project_id and n != project_id]
        return found[0] if found else None

    def project_id(self, ref: str) -> str | None:
        """The id of the project `ref` names, if seen before."""
        return self._project_ids.get(ref)

    def names(self, group: str, project_id: str | None = None) -> list[str]:
        """Names seen recently in `group`, sorted; with `project_id`, only those of that
        project (and names seen where no project was said)."""
        cutoff = time.monotonic() - self.max_age
        return sorted(
            {
                name
                for (name, where), seen in self._names.get(group, {}).items()
                if seen >= cutoff and (project_id is None or where in (None, project_id))
            }
        )

    def job_of_run(self, run_id: str) -> tuple[str, str | None] | None:
        """(job id, project id) of a run seen before, else None."""
        return self._runs.get(run_id)

    def clear(self) -> None:
        """Forget everything (after a change of host or key)."""
        self._names.clear()
        self._runs.clear()
        self._project_ids.clear()
        self._ids.clear()
