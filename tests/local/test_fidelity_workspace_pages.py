"""The workspace's spec page (`/api/v2/swagger.html`, from `serve --spec`) and Python client
(`/api/v2/python.tar.gz` and `/api/v2/python.html`, from `serve --python-client`): each 404 in
CML's envelope without its flag; a bad `--python-client` stops `serve` with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from support.swagger import spec_file

from cml_magic.local import LocalCML
from cml_magic.local.workspace_client import pack

HOSTILE = '<script>alert(1)</script> & "quoted"'
SMALL_SPEC = {
    "swagger": "2.0",
    "info": {"title": "a <small> API", "version": "1.2"},
    "paths": {
        "/api/v2/things/{thing_id}": {
            "get": {
                "operationId": "GetThing",
                "summary": HOSTILE,
                "tags": ["Things & more"],
                "parameters": [{"name": "thing_id", "in": "path", "required": True}],
                "responses": {"200": {"schema": {"$ref": "#/definitions/Thing"}}},
            },
            "delete": {"operationId": "DeleteThing", "responses": {"200": {}}},
        },
        "/api/v2/things": {
            "post": {
                "operationId": "CreateThing",
                "parameters": [
                    {"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Thing"}}
                ],
            }
        },
    },
    "definitions": {
        "Thing": {"properties": {"tags": {"type": "array", "items": {"type": "string"}}}}
    },
}


def _get(server: LocalCML, path: str) -> requests.Response:
    return requests.get(server.url + path, timeout=30)  # no credential: as swagger.json


def _sdist(folder: Path, *, name: str = "cmlapi") -> Path:
    """A tiny installable project packed as `build-client` packs a generated one."""
    project = folder / "project"
    (project / name / "__pycache__").mkdir(parents=True)
    (project / name / "__init__.py").write_text("class CMLServiceApi:\n    pass\n")
    (project / name / "__pycache__" / "stale.pyc").write_bytes(b"\0")
    (project / ".github").mkdir()
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.0.1"\n'
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    return pack(project, folder / "dist")


def test_without_flags_the_pages_and_the_client_are_404s(local_cml: LocalCML) -> None:
    for path, flag in (
        ("/api/v2/swagger.html", "--spec"),
        ("/api/v2/python.html", "--python-client"),
        ("/api/v2/python.tar.gz", "--python-client"),
    ):
        resp = _get(local_cml, path)
        assert resp.status_code == 404, path
        body = resp.json()
        assert body["code"] == 5 and flag in body["message"] and "detail" not in body, path


def test_the_spec_page_lists_every_operation_escaped_and_offline(
    local_cml_factory: Callable[..., LocalCML], tmp_path: Path
) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SMALL_SPEC))
    server = local_cml_factory(seed=None, spec=spec)
    page = _get(server, "/api/v2/swagger.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for op_id in ("GetThing", "DeleteThing", "CreateThing"):
        assert f'id="op-{op_id}"' in html and f'href="#op-{op_id}"' in html, op_id
    assert "<code>get_thing</code>" in html and "<code>/api/v2/things/{thing_id}</code>" in html
    assert 'id="model-Thing"' in html and 'href="#model-Thing"' in html
    assert "array of string" in html and "Things &amp; more" in html
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &lt;small&gt; API 1.2" in html
    # Readable offline: nothing is fetched from elsewhere.
    assert "src=" not in html and "<link" not in html and "//" not in html.replace("://", "")


def test_the_page_of_cmls_spec_lists_all_its_operations(
    local_cml_factory: Callable[..., LocalCML],
) -> None:
    path = spec_file()
    if not path.is_file():
        pytest.skip(f"no CML spec at {path} (set $CML_SWAGGER or lay shared/ beside the repo)")
    server = local_cml_factory(seed=None, spec=path)
    html = _get(server, "/api/v2/swagger.html").text
    ops = [op for item in json.loads(path.read_text())["paths"].values() for op in item.values()]
    assert len(ops) > 100 and html.count('<section id="op-') == len(ops)
    for op in ops:
        assert f'<section id="op-{op["operationId"]}">' in html


def test_the_client_is_served_as_given_and_installs_with_pip(
    local_cml_factory: Callable[..., LocalCML], tmp_path: Path
) -> None:
    sdist = _sdist(tmp_path)
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert "cmlapi-0.0.1/PKG-INFO" in names and "cmlapi-0.0.1/cmlapi/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or ".github" in n], names
    server = local_cml_factory(seed=None, python_client=sdist)
    tarball = server.url + "/api/v2/python.tar.gz"
    served = _get(server, "/api/v2/python.tar.gz")
    assert served.status_code == 200 and served.headers["content-type"] == "application/gzip"
    assert served.content == sdist.read_bytes()
    assert 'filename="cmlapi-0.0.1.tar.gz"' in served.headers["content-disposition"]
    page = _get(server, "/api/v2/python.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"<pre>pip3 install {tarball}</pre>" in page.text and f'href="{tarball}"' in page.text
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), tarball],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (target / "cmlapi" / "__init__.py").read_text().startswith("class CMLServiceApi")


def test_the_install_page_names_the_host_it_was_asked_by(
    local_cml_factory: Callable[..., LocalCML], tmp_path: Path
) -> None:
    """Behind a proxy the page names the address its reader used; the download's name is a
    plain one whatever the sdist's top folder is called."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    odd = tmp_path / "odd.tar.gz"
    with tarfile.open(odd, "w:gz") as tar:
        tar.add(project, arcname='cmlapi "1"')
    server = local_cml_factory(seed=None, python_client=odd)
    headers = {"host": "cml.example.com:8443"}
    page = requests.get(server.url + "/api/v2/python.html", headers=headers, timeout=30)
    assert "<pre>pip3 install http://cml.example.com:8443/api/v2/python.tar.gz</pre>" in page.text
    assert ">python.tar.gz</a>" in page.text
    served = _get(server, "/api/v2/python.tar.gz")
    assert served.headers["content-disposition"] == 'attachment; filename="python.tar.gz"'


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cml_magic.local", "serve", "--data", str(tmp_path / "d"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_python_client_is_one_line(tmp_path: Path) -> None:
    text = tmp_path / "client.tar.gz"
    text.write_text("not a tarball\n")
    bare = tmp_path / "bare"
    (bare / "cmlapi").mkdir(parents=True)
    (bare / "cmlapi" / "__init__.py").write_text("")
    no_setup = tmp_path / "no-setup.tar.gz"
    with tarfile.open(no_setup, "w:gz") as tar:
        tar.add(bare, arcname="cmlapi-1.0.0")
    for given, says in (
        (tmp_path / "missing.tar.gz", "cannot read"),
        (text, "not a gzip tarball"),
        (no_setup, "no setup.py or pyproject.toml"),
    ):
        result = _serve(tmp_path, "--python-client", str(given))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip().count("\n") == 0 and says in result.stderr, result.stderr


def test_build_client_without_its_tools_or_spec_is_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SMALL_SPEC))
    # A cache of its own: a client already generated for this spec would need no Java.
    env = {**os.environ, "JAVA": str(tmp_path / "no-java"), "CML_CLIENT_CACHE": str(tmp_path)}
    for given, says in ((spec, "cannot generate the client:"), (tmp_path / "no.json", "no such")):
        result = subprocess.run(
            [sys.executable, "-m", "cml_magic.local", "build-client", "--spec", str(given)]
            + ["--out", str(tmp_path / "out")],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip().count("\n") == 0 and says in result.stderr, result.stderr
        assert not (tmp_path / "out").exists()
