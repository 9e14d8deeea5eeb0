"""How many items a listing asks for per page: large pages unless told otherwise."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from support.swagger import Recorder

from cml_magic.api import CML, Project


def _page_sizes(recorder: Recorder, segment: str) -> list[str]:
    sizes = []
    for request in recorder.requests:
        url = urlsplit(request.url or "")
        if url.path.endswith(segment):
            sizes += parse_qs(url.query)["page_size"]
    return sizes


def test_unlimited_listing_asks_for_one_large_page(
    cml: CML, project: Project, recorder: Recorder
) -> None:
    for i in range(3):
        cml.jobs.create(f"page-{i}", "analysis.py", project=project.id)
    recorder.requests.clear()
    jobs = cml.jobs.list(project=project.id)
    assert sorted(j.name for j in jobs) == ["page-0", "page-1", "page-2"]
    assert _page_sizes(recorder, "/jobs") == ["100000"]


def test_limit_and_explicit_page_size_set_the_page(
    cml: CML, project: Project, recorder: Recorder
) -> None:
    for i in range(3):
        cml.jobs.create(f"page-{i}", "analysis.py", project=project.id)
    recorder.requests.clear()
    assert len(cml.jobs.list(project=project.id, limit=2)) == 2
    assert _page_sizes(recorder, "/jobs") == ["2"]
    recorder.requests.clear()
    assert len(cml.jobs.list(project=project.id, page_size=1)) == 3
    assert _page_sizes(recorder, "/jobs") == ["1", "1", "1"]
