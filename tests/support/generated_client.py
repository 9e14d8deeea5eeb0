"""A strict Python client for CML's API v2, generated from CML's own Swagger spec with OpenAPI
Generator, as Cloudera generates `cmlapi` from it (they use swagger-codegen).

The generation (and its cache, one folder per spec content and generator version) is
`cml_magic.local.workspace_client`'s, the one `cml-local build-client` packs for
`serve --python-client`; this module imports the generated package as `cmlapi`. Its models are
pydantic classes with strict field types, so an answer that departs from the spec does not
parse.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from cml_magic.local.workspace_client import PACKAGE, Missing, generate

__all__ = ["Missing", "generate", "load"]


def load(spec: Path) -> ModuleType:
    """Generate (or reuse) the client for `spec` and import it as `cmlapi`."""
    folder = str(generate(spec))
    loaded = sys.modules.get(PACKAGE)
    if loaded is not None and str(Path(loaded.__file__ or "").parents[1]) != folder:
        raise RuntimeError(f"another {PACKAGE} is imported already ({loaded.__file__})")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(PACKAGE)
