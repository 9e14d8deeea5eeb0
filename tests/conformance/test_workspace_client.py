"""`cml-local build-client`: the Python client `cmlapi` generated from CML's spec with OpenAPI
Generator and packed as an sdist `serve --python-client` hands out; a spec the generator
refuses is one line."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from support.swagger import spec_file

from cml_magic.local.workspace_client import Missing, generator_jar, java


@pytest.fixture
def generator() -> None:
    """Skips, saying why, without Java or the generator."""
    try:
        java(), generator_jar()
    except Missing as exc:
        pytest.skip(f"cannot generate a client: {exc}")


def _build_client(spec: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cml_magic.local", "build-client", "--spec", str(spec)]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.usefixtures("generator")
def test_build_client_packs_cmlapi_from_cmls_spec(tmp_path: Path) -> None:
    spec = spec_file()
    if not spec.is_file():
        pytest.skip(f"no CML spec at {spec} (set $CML_SWAGGER or lay shared/ beside the repo)")
    done = _build_client(spec, tmp_path)  # the generation is cached per spec, as the judge's
    assert done.returncode == 0, done.stderr
    sdist = Path(done.stdout.strip())
    assert sdist.parent == tmp_path and sdist.name == "cmlapi-1.0.0.tar.gz"
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
    root = "cmlapi-1.0.0/"
    for needed in ("PKG-INFO", "setup.py", "pyproject.toml", "cmlapi/api/cml_service_api.py"):
        assert root + needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.usefixtures("generator")
def test_a_spec_the_generator_refuses_is_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"swagger": "2.0", "paths": {"/a": {"get": {"responses": 5}}}}))
    done = _build_client(spec, tmp_path / "out")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "cannot generate the client from" in done.stderr and "responses" in done.stderr
    assert not (tmp_path / "out").exists()
