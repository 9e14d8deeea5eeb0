"""Paging while the list grows: every item that was there is seen once, none twice."""

from __future__ import annotations

from typing import Any

import pytest

from cml_magic.api import CML


@pytest.fixture
def project(local_cml_factory: Any) -> Any:
    server = local_cml_factory(seed="demo")
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        project = cml.projects.create("paging-under-load", template="python")
        yield cml, project


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "name", None])
def test_jobs_added_while_paging_are_neither_dropped_nor_repeated(project: Any, sort: Any) -> None:
    cml, proj = project
    before = [cml.jobs.create(f"job-{i:02d}", "analysis.py", project=proj.id) for i in range(7)]
    seen: list[str] = []
    for added, job in enumerate(cml.jobs.iter(project=proj.id, sort=sort, page_size=2)):
        seen.append(job.id)
        # A busy project: a new job lands before each next page is asked for (for a while).
        if added < 10:
            cml.jobs.create(f"a-new-{added:02d}", "analysis.py", project=proj.id)
        assert added < 40, "paging never ends"

    assert len(seen) == len(set(seen)), "an item was repeated"
    assert {j.id for j in before} <= set(seen), "an item that was there all along was dropped"


def test_projects_added_while_paging(local_cml_factory: Any) -> None:
    server = local_cml_factory(seed="demo")
    with CML(server.url, server.api_key, timeout=10.0) as cml:
        before = [cml.projects.create(f"p-{i:02d}") for i in range(5)]
        before_ids = {p.id for p in cml.projects.list()}
        assert {p.id for p in before} <= before_ids
        seen: list[str] = []
        for i, item in enumerate(cml.projects.iter(sort="-created_at", page_size=3)):
            seen.append(item.id)
            if i < 10:
                cml.projects.create(f"late-{i:02d}")
        assert len(seen) == len(set(seen))
        assert before_ids <= set(seen)
