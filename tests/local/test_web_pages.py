"""The HTML pages at CML's web addresses ("open in CML"), over a real socket: anonymous visitors
see public projects only; a key given in the POST login form opens the user's own."""

from __future__ import annotations

from typing import Any

import requests
from support.rest import Api, make_job, make_project, start_run, wait_run

from cml_magic.local import LocalCML
from cml_magic.widgets import links

HOSTILE = '<script>alert(1)</script> & "q"'


def _page(server: LocalCML, path: str, session: Any = requests, expect: int = 200) -> str:
    answer = session.get(server.url + path, timeout=30)
    assert answer.status_code == expect, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html")
    return str(answer.text)


def _signed_in(server: LocalCML, user: str) -> requests.Session:
    browser = requests.Session()
    answer = browser.post(
        server.url + "/login",
        data={"key": server.keys[user], "next": "/alice/churn-model"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/alice/churn-model"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert server.keys[user] not in cookie
    return browser


def test_a_public_project_page_links_its_jobs_and_runs(local_cml: LocalCML, alice: Api) -> None:
    project = alice.project("risk-analysis")
    job = alice.job(project["id"], "nightly")
    url = links.project_url(local_cml.url, "alice", "risk-analysis")
    text = _page(local_cml, url.removeprefix(local_cml.url))
    assert "<h1>Project risk-analysis</h1>" in text
    assert f'href="/alice/risk-analysis/jobs/{job["id"]}"' in text
    assert "ANALYSIS_REGION" in text and "emea" in text
    assert "Sign in" in text
    jobs = _page(local_cml, "/alice/risk-analysis/jobs")
    assert ">nightly</a>" in jobs
    assert "<h1>Job nightly</h1>" in _page(local_cml, "/alice/risk-analysis/jobs/208")


def test_a_run_page_shows_status_times_masked_environment_and_log(
    local_cml: LocalCML, alice: Api
) -> None:
    project = make_project(
        alice, {"hello.py": "print('hello from the run')\n"}, visibility="public"
    )
    job = make_job(alice, project, script="hello.py")
    run = start_run(alice, job, environment={"DB_PASSWORD": "hunter2-secret", "MODE": "fast"})
    wait_run(alice, run)
    path = links.run_url("", "alice", project["name"], run["id"])
    text = _page(local_cml, path)
    assert "ENGINE_SUCCEEDED" in text and "hello from the run" in text
    assert "DB_PASSWORD" in text and "******" in text and "hunter2-secret" not in text
    assert "fast" in text and " UTC" in text
    assert f'href="/alice/{project["name"]}/jobs/{job["id"]}"' in text
    job_page = _page(local_cml, f"/alice/{project['name']}/jobs/{job['id']}")
    assert f'href="/alice/{project["name"]}/engines/{run["id"]}"' in job_page


def test_everything_on_a_page_is_escaped(local_cml: LocalCML, alice: Api) -> None:
    project = make_project(alice, {}, visibility="public", description=HOSTILE)
    text = _page(local_cml, f"/alice/{project['name']}")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;" in text


def test_a_private_project_needs_signing_in_by_post(local_cml: LocalCML) -> None:
    text = _page(local_cml, "/alice/churn-model", expect=404)
    assert "train" not in text and 'href="/login?next=/alice/churn-model"' in text
    wrong = requests.post(local_cml.url + "/login", data={"key": "nope"}, timeout=30)
    assert wrong.status_code == 401
    browser = _signed_in(local_cml, "alice")
    text = _page(local_cml, "/alice/churn-model", browser)
    assert ">train</a>" in text and "signed in as alice" in text
    assert local_cml.keys["alice"] not in text
    job_link = text.split('href="/alice/churn-model/jobs/', 1)[1].split('"', 1)[0]
    assert "EPOCHS" in _page(local_cml, f"/alice/churn-model/jobs/{job_link}", browser)
    # bob's own session does not open alice's private project
    assert "train" not in _page(local_cml, "/alice/churn-model", _signed_in(local_cml, "bob"), 404)
    browser.post(local_cml.url + "/logout", timeout=30)
    _page(local_cml, "/alice/churn-model", browser, expect=404)


def test_model_and_application_pages(local_cml: LocalCML, alice: Api) -> None:
    project = alice.project("risk-analysis")
    model = alice.post(f"/projects/{project['id']}/models", json={"name": "page-model"})
    path = links.model_url("", "alice", "risk-analysis", model["id"])
    text = _page(local_cml, path)
    assert "<h1>Model page-model</h1>" in text and "Builds" in text
    missing = links.application_url("", "alice", "risk-analysis", "nope-nope-nope-nope")
    assert "no application" in _page(local_cml, missing, expect=404)


def test_the_api_keeps_its_json_404(local_cml: LocalCML) -> None:
    answer = requests.get(local_cml.url + "/api/v2", timeout=30)
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json"
