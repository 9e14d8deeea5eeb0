"""`serve --max-page-size N`: the server clips every listing page to N items, as a workspace
may, and its tokens still lead to every item; the client follows them."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from support.rest import Api, make_job, make_project

from cml_magic.api import CML
from cml_magic.local import LocalCML

CAP = 3


@pytest.fixture(scope="module")
def capped() -> Any:
    with LocalCML(seed="demo", phase_delay=0.05, max_page_size=CAP) as server:
        yield server


def _walk(api: Api, path: str, **params: Any) -> tuple[list[str], list[int]]:
    """Every id of a listing by its tokens, and the size of each page."""
    ids: list[str] = []
    sizes: list[int] = []
    token = ""
    while True:
        page = api.get(path, params={**params, **({"page_token": token} if token else {})})
        sizes.append(len(page["jobs"]))
        ids += [j["id"] for j in page["jobs"]]
        token = page["next_page_token"]
        if not token:
            return ids, sizes


def test_pages_are_clipped_and_tokens_reach_every_item(capped: LocalCML) -> None:
    alice = Api(capped, "alice")
    project = make_project(alice, {"a.py": "print(1)\n"})
    made = [make_job(alice, project, script="a.py")["id"] for _ in range(8)]
    path = f"/projects/{project['id']}/jobs"
    for asked in (100_000, 5, None):  # larger than the cap, and the default page of 10
        ids, sizes = _walk(alice, path, **({"page_size": asked} if asked else {}))
        assert ids == made
        assert sizes == [3, 3, 2]
    ids, sizes = _walk(alice, path, page_size=2)  # under the cap: as asked
    assert ids == made and sizes == [2, 2, 2, 2]
    # Filtered and sorted listings are clipped alike.
    ids, sizes = _walk(alice, path, page_size=100, sort="-created_at")
    assert ids == made[::-1] and sizes == [3, 3, 2]
    # The bounds of page_size are checked before the cap.
    assert alice.get(path, params={"page_size": 100_001}, expect=400)["code"] == 3


def test_the_client_follows_the_tokens_of_clipped_pages(capped: LocalCML) -> None:
    alice = Api(capped, "alice")
    project = make_project(alice, {"a.py": "print(1)\n"})
    made = [make_job(alice, project, script="a.py")["id"] for _ in range(7)]
    sent: list[str] = []
    cml = CML(capped.url, capped.api_key)
    cml.transport.session.hooks["response"].append(lambda r, **_: sent.append(r.url))
    assert [j.id for j in cml.jobs.list(project=project["id"])] == made
    assert len(sent) == 3  # 3 + 3 + 1, each page asked for at the client's own page size
    assert all("page_size=100000" in url for url in sent)
    assert [j.id for j in cml.jobs.list(project=project["id"], limit=4)] == made[:4]


@pytest.mark.parametrize("value", ["0", "-1", "100001", "many"])
def test_a_bad_cap_is_refused_in_one_line(value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cml_magic.local", "serve", "--max-page-size", value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--max-page-size: expected a whole number of items from 1 to 100000" in done.stderr
    assert "Traceback" not in done.stderr
