"""Legacy Jobs API v1: Basic auth with the legacy key as user name, numeric job ids, `/start`."""

from __future__ import annotations

import requests
from support.rest import Api, wait_run

from cml_magic.local import LocalCML


def test_start_nightly_by_its_ui_id_with_environment(local_cml: LocalCML, alice: Api) -> None:
    base = f"{local_cml.url}/api/v1/projects/alice/risk-analysis/jobs"
    jobs = requests.get(base, auth=(local_cml.legacy_api_key, ""), timeout=10).json()
    nightly = next(j for j in jobs if j["id"] == 208)
    assert nightly["name"] == "nightly" and nightly["script"] == "analysis.py"
    resp = requests.post(
        f"{base}/208/start",
        auth=(local_cml.legacy_api_key, ""),
        json={"environment": {"ANALYSIS_FROM_V1": "yes"}},
        timeout=10,
    )
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    engine_id = resp.json()["engine_id"]
    assert len(engine_id) == 16
    project = alice.project("risk-analysis")
    run = alice.get(
        f"/projects/{project['id']}/jobs/{nightly['public_identifier']}/runs/{engine_id}"
    )
    final, _ = wait_run(alice, run)
    log = alice.download(project["id"], f".cml/runs/{engine_id}.log").text
    assert final["status"] == "ENGINE_SUCCEEDED", log
    assert "ANALYSIS_FROM_V1=yes" in log and "ANALYSIS_LEVEL=job" in log
    listed = requests.get(base, auth=(local_cml.legacy_api_key, ""), timeout=10).json()
    latest = next(j for j in listed if j["id"] == 208)["latest"]
    assert latest["id"] == engine_id and latest["status"] == "succeeded"


def test_v1_auth_and_errors(local_cml: LocalCML) -> None:
    base = f"{local_cml.url}/api/v1/projects/alice/risk-analysis/jobs"
    assert requests.get(base, timeout=10).status_code == 401
    assert requests.get(base, auth=("wrong", ""), timeout=10).status_code == 401
    missing = requests.post(f"{base}/99999/start", auth=(local_cml.legacy_api_key, ""), timeout=10)
    assert missing.status_code == 404 and "99999" in missing.json()["message"]
    private = f"{local_cml.url}/api/v1/projects/alice/churn-model/jobs"
    assert (
        requests.get(private, auth=(local_cml.legacy_keys["bob"], ""), timeout=10).status_code
        == 404
    )
    denied = requests.post(f"{base}/208/start", auth=(local_cml.legacy_keys["bob"], ""), timeout=10)
    assert denied.status_code == 403
