"""A strict Python client for CML's API v2, generated from CML's own Swagger spec with OpenAPI
Generator, as Cloudera generates `cmlapi` from it (they use swagger-codegen).

The generator is the jar the PyPI package `openapi-generator-cli` ships (no download at run
time), run by the Java found on `PATH` (`$JAVA` overrides). The package is generated once per
spec content and generator version, into a folder named by both (under `$CML_CLIENT_CACHE`,
else under the system's temporary directory), and imported as `cmlapi`. Its models are
pydantic classes with strict field types, so an answer that departs from the spec does not
parse.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.resources
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

PACKAGE = "cmlapi"
# Only the package itself: no docs, tests or packaging files.
_ONLY_CODE = "apiTests=false,modelTests=false,apiDocs=false,modelDocs=false"


class Missing(Exception):
    """What the generation needs is not installed; the message says what."""


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
    """The folder holding the generated `cmlapi` package for `spec` (generated if not cached)."""
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
            raise RuntimeError(
                f"OpenAPI Generator failed ({done.returncode}):\n{done.stdout[-3000:]}"
                f"\n{done.stderr[-3000:]}"
            )
        try:
            scratch.rename(target)  # atomic: a parallel run that won leaves its copy in place
        except OSError:
            if not (target / PACKAGE / "__init__.py").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def load(spec: Path) -> ModuleType:
    """Generate (or reuse) the client for `spec` and import it as `cmlapi`."""
    folder = str(generate(spec))
    loaded = sys.modules.get(PACKAGE)
    if loaded is not None and str(Path(loaded.__file__ or "").parents[1]) != folder:
        raise RuntimeError(f"another {PACKAGE} is imported already ({loaded.__file__})")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(PACKAGE)
