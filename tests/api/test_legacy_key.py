"""The legacy (API v1) key is a setting of its own: never the v2 key sent in its place; a v1 call
without it fails before any request, in one line that says where to find it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cml_magic.api import CML, AuthError, ConfigError
from cml_magic.api.config import resolve
from cml_magic.local import LocalCML

V2_KEY = "v2-key-abcdefghijklmnopqrstuvwx.0123"
LEGACY_KEY = "legacykeyabcdefghijklmnopqrstuvw"
NO_FILE = {"CML_MAGIC_CONFIG": "/nonexistent/config.toml", "CML_MAGIC_HOST": "h"}


def test_the_legacy_key_never_falls_back_to_the_v2_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'api_key = "{V2_KEY}"\n')
    for env in (
        NO_FILE | {"CML_MAGIC_API_KEY": V2_KEY},
        NO_FILE | {"CDSW_APIV2_KEY": V2_KEY},
        {"CML_MAGIC_HOST": "h", "CML_MAGIC_CONFIG": str(config)},
    ):
        assert resolve(env=env).legacy_api_key == ""
    assert resolve(api_key=V2_KEY, env=NO_FILE).legacy_api_key == ""


def test_where_the_legacy_key_comes_from(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('api_key = "k"\nlegacy_api_key = "from-file"\n')
    env = {"CML_MAGIC_HOST": "h", "CML_MAGIC_CONFIG": str(config)}
    assert resolve(env=env).legacy_api_key == "from-file"
    env |= {"CDSW_API_KEY": "from-the-workload"}  # inside a CML workload
    assert resolve(env=env).legacy_api_key == "from-the-workload"
    env |= {"CML_MAGIC_LEGACY_API_KEY": "ours"}
    assert resolve(env=env).legacy_api_key == "ours"
    assert resolve(legacy_api_key=" given\n", env=env).legacy_api_key == "given"


def test_reprs_never_show_the_legacy_key() -> None:
    settings = resolve(api_key=V2_KEY, legacy_api_key=LEGACY_KEY, env=NO_FILE)
    cml = CML.from_settings(settings)
    for shown in (repr(settings), str(settings), repr(cml), repr(cml.transport)):
        assert LEGACY_KEY not in shown and V2_KEY not in shown
        assert LEGACY_KEY[:8] not in shown
    assert cml.has_legacy_key
    assert not CML("h", V2_KEY).has_legacy_key
    with pytest.raises(ConfigError, match="legacy API key contains spaces") as caught:
        CML("h", V2_KEY, legacy_api_key="two words")
    assert "two words" not in str(caught.value)


def test_a_v1_call_without_the_legacy_key_fails_before_any_request(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/api/v1/projects/alice/risk/jobs/208/start").respond_with_json(
        {"engine_id": "abcdefgh12345678"}
    )
    httpserver.expect_request("/api/v1/projects/alice/risk/jobs").respond_with_json([])
    cml = CML(httpserver.url_for("/"), V2_KEY, max_retries=0)
    calls = (
        lambda: cml.start_job_v1("alice", "risk", 208),
        lambda: cml.legacy.jobs("alice", "risk"),
        lambda: cml.transport.request("GET", "/api/v1/projects/alice/risk/jobs", legacy=True),
    )
    for call in calls:
        with pytest.raises(ConfigError) as caught:
            call()
        message = str(caught.value)
        assert "\n" not in message and V2_KEY not in message
        assert "CML_MAGIC_LEGACY_API_KEY" in message and "CDSW_API_KEY" in message
        assert "User Settings > API Keys > Legacy API Key" in message
    assert httpserver.log == []  # nothing was sent, least of all the v2 key


def test_v1_sends_the_legacy_key_and_v2_the_v2_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/runtimes").respond_with_json({"runtimes": []})
    httpserver.expect_request(
        "/api/v1/projects/alice/risk/jobs/208/start", method="POST"
    ).respond_with_json({"engine_id": "abcdefgh12345678"})
    cml = CML(httpserver.url_for("/"), V2_KEY, legacy_api_key=LEGACY_KEY)
    cml.runtimes.list()
    assert cml.start_job_v1("alice", "risk", 208) == "abcdefgh12345678"
    (v2, _), (v1, _) = httpserver.log
    assert v2.headers["Authorization"] == f"Bearer {V2_KEY}"
    assert (
        v1.headers["Authorization"]
        == "Basic " + base64.b64encode(f"{LEGACY_KEY}:".encode()).decode()
    )


def test_against_the_local_server(local_cml: LocalCML) -> None:
    """The local server, like CML, takes only the legacy key on v1."""
    with CML(local_cml.url, local_cml.api_key, legacy_api_key=local_cml.legacy_api_key) as cml:
        engine_id = cml.start_job_v1("alice", "risk-analysis", 208)
        nightly = cml.jobs.get("208", project="risk-analysis")
        run = cml.runs.get(engine_id, nightly.id, project="risk-analysis")
        assert cml.wait_for_run(run, timeout=60, poll_interval=0.05).succeeded
    wrong = CML(local_cml.url, local_cml.api_key, legacy_api_key=local_cml.api_key)
    with wrong, pytest.raises(AuthError) as caught:
        wrong.start_job_v1("alice", "risk-analysis", 208)
    assert caught.value.status == 401 and local_cml.api_key not in str(caught.value)
    with CML(local_cml.url, local_cml.api_key) as v2_only, pytest.raises(ConfigError):
        v2_only.jobs.get("208", project="risk-analysis")  # a web-address number needs v1
