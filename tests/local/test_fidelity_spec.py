"""`/api/v2/swagger.json` is the workspace's Swagger 2.0 spec when one is given with
`serve --spec FILE` (404 in CML's envelope without); the server's own OpenAPI description
lives at `/api/v2/local/openapi.json`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from support.swagger import spec_file

from cml_magic.local import LocalCML


@pytest.fixture
def workspace_spec() -> Path:
    path = spec_file()
    if not path.is_file():
        pytest.skip(f"no CML spec at {path} (set $CML_SWAGGER or lay shared/ beside the repo)")
    return path


def test_the_spec_given_is_served_as_is(
    local_cml_factory: Callable[..., LocalCML], workspace_spec: Path
) -> None:
    server = local_cml_factory(seed=None, spec=workspace_spec)
    served = requests.get(server.url + "/api/v2/swagger.json", timeout=30)  # no credential
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/json")
    assert served.content == workspace_spec.read_bytes()
    assert served.json()["swagger"] == "2.0"
    own = requests.get(server.url + "/api/v2/local/openapi.json", timeout=30).json()
    assert own["openapi"].startswith("3.")
    assert "/api/v2/projects/{project_id}/jobs/{job_id}/runs/{run_id}:stop" in own["paths"]


def test_without_a_spec_swagger_json_is_a_404_in_the_envelope(local_cml: LocalCML) -> None:
    resp = requests.get(local_cml.url + "/api/v2/swagger.json", timeout=30)
    assert resp.status_code == 404
    body = resp.json()
    assert body["code"] == 5 and "--spec" in body["message"] and "openapi" not in body


def test_an_unreadable_spec_is_one_line(tmp_path: Path) -> None:
    not_json = tmp_path / "spec.json"
    not_json.write_text("swagger: 2.0\n")
    for given, says in ((tmp_path / "missing.json", "cannot read"), (not_json, "not a JSON")):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "cml_magic.local",
                "serve",
                "--data",
                str(tmp_path),
                "--spec",
                str(given),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.strip().count("\n") == 0 and says in result.stderr, result.stderr
