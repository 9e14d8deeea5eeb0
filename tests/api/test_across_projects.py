"""Jobs and models of every project the caller can see (`GET /api/v2/jobs`, `/api/v2/models`),
against the shared local server, every request checked against CML's spec."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from support.swagger import Recorder

from cml_magic import frames
from cml_magic.api import CML, Job, Listing
from cml_magic.local import LocalCML


@dataclass(frozen=True)
class World:
    """Projects of alice and bob, each with two jobs and a model named after `tag`."""

    tag: str
    mine: str  # alice's private project
    bobs_public: str
    bobs_private: str

    def job(self, project: str, n: int) -> str:
        return f"{project}-job{n}"

    def model(self, project: str) -> str:
        return f"{project}-model"


@pytest.fixture(scope="module")
def world(local_cml: LocalCML) -> Iterator[World]:
    tag = uuid.uuid4().hex[:8]
    w = World(tag, f"across-{tag}-alice", f"across-{tag}-bobpub", f"across-{tag}-bobpriv")
    alice = CML(local_cml.url, local_cml.api_key, backoff=0.01)
    bob = CML(local_cml.url, local_cml.keys["bob"], backoff=0.01)
    made: list[tuple[CML, str]] = []
    try:
        for client, name, visibility in (
            (alice, w.mine, "private"),
            (bob, w.bobs_public, "public"),
            (bob, w.bobs_private, "private"),
        ):
            project = client.projects.create(name, template="python", visibility=visibility)
            made.append((client, project.id))
            client.jobs.create(w.job(name, 1), "analysis.py", project=project.id)
            client.jobs.create(w.job(name, 2), "fit.py", project=project.id)
            client.models.create(w.model(name), project=project.id)
        yield w
    finally:
        for client, project_id in made:
            client.projects.delete(project_id)
        alice.close()
        bob.close()


def _sent(recorder: Recorder, path: str) -> list[dict[str, list[str]]]:
    """The query of every GET of `path` the test's clients sent."""
    return [
        parse_qs(urlsplit(r.url or "").query)
        for r in recorder.requests
        if r.method == "GET" and urlsplit(r.url or "").path == path
    ]


def test_alice_sees_her_own_and_public_jobs_not_bobs_private(cml: CML, world: World) -> None:
    cml.project = None  # no default project is needed
    jobs = cml.jobs.list_in_all_projects()
    assert isinstance(jobs, Listing) and jobs.kind == "job" and jobs.across_projects
    assert all(isinstance(j, Job) for j in jobs)
    project_of = {j.name: j.project.name for j in jobs if j.project}
    assert project_of[world.job(world.mine, 1)] == world.mine
    assert project_of[world.job(world.bobs_public, 2)] == world.bobs_public
    # The seeded ones: her public and her private project.
    assert project_of["nightly"] == "risk-analysis" and project_of["train"] == "churn-model"
    assert world.job(world.bobs_private, 1) not in project_of
    assert world.job(world.bobs_private, 2) not in project_of
    assert len({j.id for j in jobs}) == len(jobs)


def test_bob_sees_his_private_and_alices_public_jobs(bob: CML, world: World) -> None:
    names = {j.name for j in bob.jobs.iter_in_all_projects()}
    assert {world.job(world.bobs_private, 1), world.job(world.bobs_public, 1)} <= names
    assert "nightly" in names  # risk-analysis is public
    assert "train" not in names and world.job(world.mine, 1) not in names


def test_models_across_projects(cml: CML, bob: CML, world: World) -> None:
    mine = {m.name: m.project.name for m in cml.models.list_in_all_projects() if m.project}
    assert mine[world.model(world.mine)] == world.mine
    assert mine[world.model(world.bobs_public)] == world.bobs_public
    assert world.model(world.bobs_private) not in mine
    bobs = {m.name for m in bob.models.list_in_all_projects(search=world.tag)}
    assert bobs == {world.model(world.bobs_public), world.model(world.bobs_private)}


def test_search_filter_and_limit(cml: CML, world: World, recorder: Recorder) -> None:
    found = cml.jobs.list_in_all_projects(search=world.tag)
    assert {j.name for j in found} == {
        world.job(p, n) for p in (world.mine, world.bobs_public) for n in (1, 2)
    }
    by_script = cml.jobs.list_in_all_projects(search=world.tag, search_filter={"script": "fit.py"})
    assert {j.name for j in by_script} == {
        world.job(world.mine, 2),
        world.job(world.bobs_public, 2),
    }
    as_text = cml.jobs.list_in_all_projects(search=world.tag, search_filter='{"script": "fit.py"}')
    assert [j.id for j in as_text] == [j.id for j in by_script]
    assert len(cml.jobs.list_in_all_projects(search=world.tag, limit=3)) == 3
    one = cml.models.list_in_all_projects(search=world.tag, limit=1)
    assert len(one) == 1 and world.tag in one[0].name
    assert cml.jobs.list_in_all_projects(search=f"{world.tag}-nothing") == []
    queries = _sent(recorder, "/api/v2/jobs") + _sent(recorder, "/api/v2/models")
    assert len(queries) == 6  # one page each
    assert all("sort" not in q for q in queries)  # CML's cross-project listing takes none
    assert queries[0]["search_filter"] == [f'{{"name":"{world.tag}"}}']
    assert queries[3]["page_size"] == ["3"]  # a limit asks for no more than it keeps


def test_small_pages_give_every_item_once(cml: CML, world: World, recorder: Recorder) -> None:
    whole = [j.id for j in cml.jobs.list_in_all_projects()]
    paged = [j.id for j in cml.jobs.iter_in_all_projects(page_size=2)]
    assert sorted(paged) == sorted(whole) and len(set(paged)) == len(paged)
    pages = _sent(recorder, "/api/v2/jobs")[1:]
    assert len(pages) >= len(whole) // 2  # really paged, following tokens
    assert all(q["page_size"] == ["2"] for q in pages)
    assert "page_token" not in pages[0] and all("page_token" in q for q in pages[1:])
    models = [m.id for m in cml.models.iter_in_all_projects(search=world.tag, page_size=1)]
    assert len(models) == len(set(models)) == 2


def test_iteration_is_lazy(cml: CML, world: World, recorder: Recorder) -> None:
    lazy = cml.jobs.iter_in_all_projects(search=world.tag, page_size=1)
    assert recorder.requests == []
    assert world.tag in next(lazy).name
    assert len(_sent(recorder, "/api/v2/jobs")) == 1


def test_the_frame_names_each_rows_project(cml: CML, world: World) -> None:
    frame = frames.to_frame(cml.jobs.list_in_all_projects(search=world.tag))
    expected = ("id", "name", "project", *frames.COLUMNS["job"][2:])
    assert tuple(frame.columns) == expected == frames.with_project_column(frames.COLUMNS["job"])
    assert dict(zip(frame["name"], frame["project"], strict=True)) == {
        world.job(p, n): p for p in (world.mine, world.bobs_public) for n in (1, 2)
    }
    empty = frames.to_frame(cml.jobs.list_in_all_projects(search=f"{world.tag}-nothing"))
    assert tuple(empty.columns) == expected and empty.empty
    models = frames.to_frame(cml.models.list_in_all_projects(search=world.tag))
    assert list(models.columns[:3]) == ["id", "name", "project"]
    assert set(models["project"]) == {world.mine, world.bobs_public}
    # One project's listing keeps its pinned columns; a plain list can ask for the column.
    one = cml.jobs.list(project=world.mine)
    assert tuple(frames.to_frame(one).columns) == frames.COLUMNS["job"]
    asked = frames.to_frame(list(one), "job", project_column=True)
    assert set(asked["project"]) == {world.mine}


def test_only_jobs_and_models_list_across_projects(cml: CML) -> None:
    assert not hasattr(cml.applications, "list_in_all_projects")
    assert not hasattr(cml.applications, "iter_in_all_projects")
