"""Auth as CML does it, and who sees what: own and public projects; 404 for the rest."""

from __future__ import annotations

import requests
from support.rest import Api, make_job, make_project, run_log, start_run, wait_run

from cml_magic.local import LocalCML


def test_missing_bearer_prefix_gets_cmls_text(local_cml: LocalCML) -> None:
    url = local_cml.url + "/api/v2/projects"
    for headers in ({"authorization": local_cml.api_key}, {}):
        resp = requests.get(url, headers=headers, timeout=10)
        assert resp.status_code == 401
        body = resp.json()
        assert body["message"] == 'missing "Bearer " prefix in "authorization" header'
        assert body["code"] == 16
    assert local_cml.api_key not in resp.text


def test_unknown_key_is_401(local_cml: LocalCML) -> None:
    resp = requests.get(
        local_cml.url + "/api/v2/projects", headers={"authorization": "Bearer nope"}, timeout=10
    )
    assert resp.status_code == 401 and resp.json()["message"] == "invalid API key"


def test_validate_key_with_the_wrong_audience_is_403(alice: Api) -> None:
    body = alice.post("/auth/validate_key", expect=403, json={"audience": "Application"})
    assert body["message"] == "audience mismatch" and body["code"] == 7


def test_a_user_sees_own_and_public_projects_only(alice: Api, bob: Api) -> None:
    public = make_project(alice, {"ok.py": "print(1)\n"}, visibility="public")
    private = make_project(alice, {}, visibility="private")
    bobs = make_project(bob, {})
    listed = bob.get("/projects", params={"include_public_projects": "true", "page_size": 1000})
    names = {p["name"] for p in listed["projects"]}
    assert public["name"] in names and bobs["name"] in names and private["name"] not in names
    own_only = {p["name"] for p in bob.get("/projects", params={"page_size": 1000})["projects"]}
    assert public["name"] not in own_only and bobs["name"] in own_only

    assert bob.get(f"/projects/{public['id']}")["permissions"]["write"] is False
    missing = bob.get(f"/projects/{private['id']}", expect=404)
    assert missing["code"] == 5
    bob.get(f"/projects/{private['id']}/jobs", expect=404)
    bob.get(f"/projects/{private['id']}/files/%2F", expect=404)
    alice.get(f"/projects/{bobs['id']}", expect=404)


def test_others_may_read_but_not_change_a_public_project(alice: Api, bob: Api) -> None:
    project = make_project(alice, {"ok.py": "print(1)\n"}, visibility="public")
    job = make_job(alice, project, script="ok.py")
    assert bob.get(f"/projects/{project['id']}/jobs/{job['id']}")["name"] == job["name"]
    denied = bob.post(f"/projects/{project['id']}/jobs/{job['id']}/runs", expect=403, json={})
    assert denied["code"] == 7
    bob.patch(f"/projects/{project['id']}", expect=403, json={"description": "mine now"})
    bob.delete(f"/projects/{project['id']}", expect=403)
    bob.post(f"/projects/{project['id']}/jobs", expect=403, json={"name": "x", "script": "ok.py"})
    assert bob.download(project["id"], "ok.py").text == "print(1)\n"


def test_runs_get_the_key_of_the_user_who_started_them(local_cml_factory) -> None:
    """A run's key is its own (see test_keys.py), and it acts as the run's user."""
    server = local_cml_factory()
    carol_key = server.create_user("carol")
    carol = Api(server, "carol")
    script = (
        "import json, os, urllib.request\n"
        "key = os.environ['CDSW_APIV2_KEY']\n"
        "url = os.environ['CDSW_API_URL'].removesuffix('/api/v1') + '/api/v2/auth/validate_key'\n"
        "headers = {'authorization': 'Bearer ' + key, 'content-type': 'application/json'}\n"
        "ask = urllib.request.Request(url, b'{}', headers)\n"
        "print(key)\n"
        "print(json.load(urllib.request.urlopen(ask))['username'])\n"
    )
    project = make_project(carol, {"k.py": script})
    final, _ = wait_run(carol, start_run(carol, make_job(carol, project, script="k.py")))
    log = run_log(carol, final)
    run_key, username = log.split()[:2]
    assert username == "carol" and run_key != carol_key, log
    assert carol.post("/auth/validate_key", json={})["username"] == "carol"


def test_malformed_ids_get_cmls_message(alice: Api) -> None:
    body = alice.get("/projects/1234", expect=400)
    assert body["message"] == "Problem with field ProjectId: value length must be 19 runes"
    project = make_project(alice, {})
    body = alice.get(f"/projects/{project['id']}/jobs/5525", expect=400)
    assert body["message"] == "Problem with field JobId: value length must be 19 runes"


def test_localcml_repr_hides_the_keys(local_cml: LocalCML) -> None:
    shown = repr(local_cml)
    assert local_cml.url in shown
    assert all(key not in shown for key in local_cml.keys.values())
