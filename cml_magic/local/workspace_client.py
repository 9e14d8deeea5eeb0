"""The workspace's Python client `cmlapi`: generated from the workspace's Swagger spec with
OpenAPI Generator, packed as an sdist (`cml-local build-client`), and read back when
`cml-local serve --python-client FILE` hands it out at `/api/v2/python.tar.gz`.

CML generates the `cmlapi` it hands out from its own spec (with swagger-codegen); OpenAPI
Generator makes an equivalent one. The generator is the jar the PyPI package
`openapi-generator-cli` ships (no download at run time), run by the Java found on `PATH`
(`$JAVA` overrides). A package is generated once per spec content and generator version, into
a folder named by both (under `$CML_CLIENT_CACHE`, else under the system's temporary folder).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass
from html import escape
from pathlib import Path, PurePosixPath

PACKAGE = "cmlapi"
# Only the package and its packaging files: no docs or tests.
_ONLY_CODE = "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false"
# What the generator writes beside the package that an installer has no use for.
_NOT_PACKED = {"__pycache__", "git_push.sh"}


class Missing(Exception):
    """What the generation needs is not installed; the message says what."""


class GenerationFailed(RuntimeError):
    """OpenAPI Generator refused the spec: `reason` in one line, the full output in str()."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        super().__init__(
            f"OpenAPI Generator failed ({returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}"
        )
        self.reason = _reason(stderr + "\n" + stdout) or f"exit status {returncode}"


def _reason(output: str) -> str:
    """The generator's own words on what is wrong: its first listed error, else the message
    of the exception it ended with."""
    lines = output.splitlines()
    listed = [line.strip()[1:].strip() for line in lines if line.startswith("\t-")]
    if listed:
        return listed[0]
    ended = [line for line in lines if line.startswith("Exception in thread")]
    return ended[0].partition(": ")[2].strip() if ended else ""


def java() -> str:
    found = os.environ.get("JAVA") or shutil.which("java")
    if not found or not os.access(found, os.X_OK):
        raise Missing("no Java runtime (java on PATH, or $JAVA): OpenAPI Generator is a jar")
    return found


def generator_jar() -> Path:
    if importlib.util.find_spec("openapi_generator_cli") is None:
        raise Missing("the PyPI package openapi-generator-cli is not installed (test extra)")
    jar = Path(str(importlib.resources.files("openapi_generator_cli") / "openapi-generator.jar"))
    if not jar.is_file():
        raise Missing(f"openapi-generator-cli ships no jar at {jar}")
    return jar


def cache_root() -> Path:
    default = Path(tempfile.gettempdir()) / "cml_magic-generated-clients"
    return Path(os.environ.get("CML_CLIENT_CACHE") or default)


def generate(spec: Path) -> Path:
    """The generated project (setup.py, pyproject.toml, the `cmlapi` package) for `spec`,
    generated if not cached. Raises Missing without Java or the generator, GenerationFailed
    when the generator refuses the spec."""
    jar = generator_jar()
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()[:16]
    version = importlib.metadata.version("openapi-generator-cli")
    target = cache_root() / f"{PACKAGE}-{digest}-{version}"
    if (target / PACKAGE / "__init__.py").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        done = subprocess.run(
            [java(), "-jar", str(jar), "generate", "--input-spec", str(spec)]
            + ["--generator-name", "python", "--output", str(scratch)]
            + ["--package-name", PACKAGE, "--global-property", _ONLY_CODE],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not (scratch / PACKAGE / "__init__.py").is_file():
            raise GenerationFailed(done.returncode, done.stdout, done.stderr)
        try:
            scratch.rename(target)  # atomic: a parallel run that won leaves its copy in place
        except OSError:
            if not (target / PACKAGE / "__init__.py").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def pack(project: Path, out_dir: Path) -> Path:
    """An sdist of the generated `project`: `<out_dir>/<name>-<version>.tar.gz` holding the
    project under `<name>-<version>/`, with a PKG-INFO; returns its path."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    root = f"{meta['name']}-{meta['version']}"
    info = (
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
        f"Summary: {meta.get('description', '')}\n"
    ).encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{root}.tar.gz"

    def keep(entry: tarfile.TarInfo) -> tarfile.TarInfo | None:
        name = PurePosixPath(entry.name).name
        if name in _NOT_PACKED or name.endswith(".pyc") or name.startswith("."):
            return None
        entry.uid = entry.gid = 0
        entry.uname = entry.gname = ""
        return entry

    with tarfile.open(out, "w:gz") as tar:
        for path in sorted(project.iterdir()):
            tar.add(path, arcname=f"{root}/{path.name}", filter=keep)
        entry = tarfile.TarInfo(f"{root}/PKG-INFO")
        entry.size = len(info)
        tar.addfile(entry, io.BytesIO(info))
    return out


def build(spec: Path, out_dir: Path) -> Path:
    """Generate the client for `spec` (or reuse it) and pack it into `out_dir`."""
    return pack(generate(spec), out_dir)


@dataclass(frozen=True)
class Sdist:
    """A source distribution handed out as it was given."""

    data: bytes
    filename: str  # `<name>-<version>.tar.gz`, from its top folder (else `python.tar.gz`)


def read_sdist(path: str) -> Sdist:
    """The sdist given with `--python-client`, checked to be one (a gzip tarball whose single
    top folder holds setup.py or pyproject.toml); ValueError says why not, in one line."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"--python-client {path}: cannot read it ({exc.strerror})") from None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            names = [PurePosixPath(n) for n in tar.getnames()]
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, OSError):
        raise ValueError(f"--python-client {path}: not a gzip tarball (an sdist)") from None
    tops = {n.parts[0] for n in names if n.parts}
    if len(tops) != 1:
        raise ValueError(f"--python-client {path}: an sdist holds one top folder")
    top = tops.pop()
    if not {PurePosixPath(top, "setup.py"), PurePosixPath(top, "pyproject.toml")} & set(names):
        raise ValueError(f"--python-client {path}: no setup.py or pyproject.toml in {top}/")
    # The name goes into a Content-Disposition header: only a plain one.
    return Sdist(data, f"{top}.tar.gz" if re.fullmatch(r"[\w.+-]+", top) else "python.tar.gz")


def install_page(tarball_url: str, sdist: Sdist) -> str:
    """`/api/v2/python.html`: how to install the client from this server."""
    url, name = escape(tarball_url, quote=True), escape(sdist.filename, quote=True)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>The Python client {PACKAGE}</title></head>\n<body>"
        f"<h1>The Python client <code>{PACKAGE}</code></h1>\n"
        f'<p>Install this workspace\'s client (<a href="{url}">{name}</a>) with</p>\n'
        f"<pre>pip3 install {url}</pre>\n"
        f"<p>then <code>import {PACKAGE}</code>; <code>{PACKAGE}.CMLServiceApi</code> has one "
        'method per operation of the <a href="swagger.html">API</a>.</p>\n</body></html>\n'
    )
