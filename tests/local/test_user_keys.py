"""A user's own v2 keys on the local server (ListV2Keys, CreateV2Key, DeleteV2Key,
DeleteV2Keys): shown once, listed without the secret, revoked at once, and only one's own."""

from __future__ import annotations

from collections.abc import Callable

import requests
from support.rest import Api
from support.swagger import answer_problems

from cml_magic.local import LocalCML


def works(server: LocalCML, key: str) -> bool:
    answer = requests.post(
        server.url + "/api/v2/auth/validate_key",
        json={"audience": "API"},
        headers={"authorization": "Bearer " + key},
        timeout=10,
    )
    return answer.status_code == 200


def test_a_created_key_is_shown_once_and_works(alice: Api, local_cml: LocalCML) -> None:
    made = alice.post(
        "/users/alice/v2_keys",
        json={"expiry_date": "2099-01-01T00:00:00Z", "comments": "ci", "audiences": ["API"]},
    )
    assert made["api_key"] and made["key_id"] and made["comments"] == "ci"
    assert made["expiry_date"].startswith("2099-01-01T00:00:00")
    assert works(local_cml, made["api_key"])
    listed = alice.get("/users/alice/v2_keys")["keys"]
    mine = [k for k in listed if k["key_id"] == made["key_id"]]
    assert mine and mine[0]["audiences"] == ["API"]
    assert all("api_key" not in k for k in listed)
    assert made["api_key"] not in str(listed)
    alice.delete(f"/users/alice/v2_keys/{made['key_id']}")
    assert not works(local_cml, made["api_key"])  # revoked at once
    assert made["key_id"] not in str(alice.get("/users/alice/v2_keys"))
    alice.delete(f"/users/alice/v2_keys/{made['key_id']}", expect=404)


def test_answers_have_the_specs_shapes(alice: Api) -> None:
    made = alice.session.post(alice.base + "/users/alice/v2_keys", json={}, timeout=10)
    assert made.status_code == 200 and answer_problems(made) == []
    assert made.json()["audiences"] == ["API"] and made.json()["expiry_date"] == ""
    listed = alice.session.get(alice.base + "/users/alice/v2_keys", timeout=10)
    assert answer_problems(listed) == []
    gone = alice.session.delete(
        alice.base + f"/users/alice/v2_keys/{made.json()['key_id']}", timeout=10
    )
    assert gone.status_code == 200 and answer_problems(gone) == []


def test_only_ones_own_keys(alice: Api, bob: Api) -> None:
    bobs = bob.post("/users/bob/v2_keys", json={})
    for call in (
        lambda: alice.get("/users/bob/v2_keys", expect=None),
        lambda: alice.post("/users/bob/v2_keys", expect=None, json={}),
        lambda: alice.delete("/users/bob/v2_keys", expect=None),
        lambda: alice.delete(f"/users/bob/v2_keys/{bobs['key_id']}", expect=None),
    ):
        answer = call()
        assert answer["code"] == 7 and "may not manage the API keys of bob" in answer["message"]
    assert alice.get("/users/nobody/v2_keys", expect=404)["code"] == 5
    # Bob's key id is no key of alice's either.
    alice.delete(f"/users/alice/v2_keys/{bobs['key_id']}", expect=404)
    assert bobs["key_id"] in str(bob.get("/users/bob/v2_keys"))
    bob.delete(f"/users/bob/v2_keys/{bobs['key_id']}")


def test_bad_bodies_are_400s_and_store_nothing(alice: Api) -> None:
    before = alice.get("/users/alice/v2_keys")["keys"]
    for body, message in (
        ({"expiry_date": "2001-01-01T00:00:00Z"}, "in the past"),
        ({"expiry_date": "tomorrow"}, "RFC 3339"),
        ({"expiry_date": "2099-01-01T00:00:00"}, "time zone"),
        ({"audiences": ["Everything"]}, "not one of API, Application"),
        ({"comments": "x" * 300}, "comments"),
        ({"username": "bob"}, "differs"),
    ):
        answer = alice.post("/users/alice/v2_keys", expect=400, json=body)
        assert message in answer["message"], answer
    assert alice.get("/users/alice/v2_keys")["keys"] == before


def test_deleting_every_key_revokes_them_all(
    local_cml_factory: Callable[..., LocalCML],
) -> None:
    server = local_cml_factory()
    alice = Api(server, "alice")
    extra = alice.post("/users/alice/v2_keys", json={})["api_key"]
    assert works(server, extra) and works(server, server.api_key)
    alice.delete("/users/alice/v2_keys")
    assert not works(server, extra) and not works(server, server.api_key)
    # Bob's keys and alice's legacy key are untouched.
    assert works(server, server.keys["bob"])
    url = server.url + "/api/v1/projects/alice/risk-analysis/jobs"
    assert requests.get(url, auth=(server.legacy_api_key, ""), timeout=10).status_code == 200


def test_a_key_for_applications_only_is_refused_by_the_api(alice: Api, local_cml: LocalCML) -> None:
    made = alice.post("/users/alice/v2_keys", json={"audiences": ["Application"]})
    headers = {"authorization": "Bearer " + made["api_key"]}
    listed = requests.get(local_cml.url + "/api/v2/projects", headers=headers, timeout=10)
    assert listed.status_code == 403 and listed.json()["message"] == "audience mismatch"
    check = requests.post(
        local_cml.url + "/api/v2/auth/validate_key",
        json={"audience": "Application"},
        headers=headers,
        timeout=10,
    )
    assert check.status_code == 200 and check.json()["username"] == "alice"
    assert not works(local_cml, made["api_key"])  # audience API: 403
    alice.delete(f"/users/alice/v2_keys/{made['key_id']}")
