"""A bare-word `search_filter`, as Cloudera's docs write it (`?searchFilter=demo`,
`list_projects(search_filter="production")`): a case-insensitive substring match on the name
(name or description, for projects); JSON filters keep their meaning."""

from __future__ import annotations

import json
import uuid

from support.rest import Api, make_job, make_project

from cml_magic.api import CML
from cml_magic.local import LocalCML


def _names(api: Api, path: str, key: str, flt: str, alias: str = "search_filter") -> set[str]:
    found = api.get(path, params={alias: flt, "page_size": 1000})[key]
    return {item["name"] for item in found}


def test_a_bare_word_matches_project_names_and_descriptions(alice: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    named = make_project(alice, {}, name=f"Production-{tag}")
    described = make_project(alice, {}, description=f"forecasts in PRODUCTION ({tag})")
    other = make_project(alice, {}, description=f"a sandbox ({tag})")
    for alias in ("search_filter", "searchFilter"):
        assert _names(alice, "/projects", "projects", f"production-{tag}", alias) == {named["name"]}
        found = _names(alice, "/projects", "projects", "production", alias)
        assert {named["name"], described["name"]} <= found
        assert other["name"] not in found
    # The docs' own example: risk-analysis says "demo" in its description only.
    assert "risk-analysis" in _names(alice, "/projects", "projects", "demo", "searchFilter")
    # JSON stays a case-sensitive match on the keys it names.
    assert _names(alice, "/projects", "projects", json.dumps({"name": "demo"})) == set()
    exact = json.dumps({"name": f"Production-{tag}"})
    assert _names(alice, "/projects", "projects", exact) == {named["name"]}
    assert (
        _names(alice, "/projects", "projects", json.dumps({"name": f"production-{tag}"})) == set()
    )


def test_a_bare_word_matches_names_of_jobs_models_and_applications(alice: Api) -> None:
    project = make_project(alice, {"a.py": "print(1)\n"})
    pid = project["id"]
    make_job(alice, project, name="Nightly Report", script="a.py")
    make_job(alice, project, name="weekly", script="a.py")
    assert _names(alice, f"/projects/{pid}/jobs", "jobs", "REPORT") == {"Nightly Report"}
    alice.post(f"/projects/{pid}/models", json={"name": "Churn Scorer", "description": "x"})
    alice.post(f"/projects/{pid}/models", json={"name": "other", "description": "churn"})
    assert _names(alice, f"/projects/{pid}/models", "models", "churn") == {"Churn Scorer"}
    assert "Churn Scorer" in _names(alice, "/models", "models", "churn scorer")
    for name in ("Scoring App", "other app"):
        body = {"name": name, "subdomain": f"word-{uuid.uuid4().hex[:8]}", "script": "a.py"}
        alice.post(f"/projects/{pid}/applications", json=body)
    assert _names(alice, f"/projects/{pid}/applications", "applications", "scoring") == {
        "Scoring App"
    }


def test_lists_without_names_take_json_only(alice: Api) -> None:
    """Runtimes and builds have no name: a bare word there is a 400 that says what to send."""
    bad = alice.get("/runtimes", params={"search_filter": "python"}, expect=400)
    assert bad["code"] == 3 and "JSON object" in bad["message"]
    assert "image_identifier" in bad["message"]
    assert alice.get("/projects", params={"search_filter": "[1]"}, expect=400)["code"] == 3
    assert alice.get("/projects", params={"search_filter": "{bad"}, expect=400)["code"] == 3


def test_the_client_passes_a_bare_word_through(local_cml: LocalCML, alice: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    mine = make_project(alice, {}, description=f"Production forecasts {tag}")
    with CML(local_cml.url, local_cml.api_key) as cml:
        found = cml.projects.list(search_filter="production", page_size=1000)
        assert mine["name"] in {p.name for p in found}
        assert all("production" in (p.name + " " + p.description).lower() for p in found), [
            p.name for p in found
        ]
        assert [p.name for p in cml.projects.list(search_filter=tag)] == [mine["name"]]
