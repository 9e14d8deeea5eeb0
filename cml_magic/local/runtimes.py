"""The runtime catalogue this server offers (a fixed list), and the check that a request
names one of them."""

from __future__ import annotations

from typing import Any

RUNTIME_FILTER = ("image_identifier", "editor", "kernel", "edition", "description", "full_version")

_REPO = "docker.repository.cloudera.com/cloudera/cdsw"


def _runtime(editor: str, kernel: str, edition: str, version: str, status: str) -> dict[str, Any]:
    slug_editor = {
        "Workbench": "workbench",
        "JupyterLab": "jupyterlab",
        "PBJ Workbench": "pbj-workbench",
    }[editor]
    slug_kernel = kernel.lower().replace(" ", "")
    slug_edition = edition.lower().replace(" ", "-")
    return {
        "image_identifier": (
            f"{_REPO}/ml-runtime-{slug_editor}-{slug_kernel}-{slug_edition}:{version}"
        ),
        "editor": editor,
        "kernel": kernel,
        "edition": edition,
        "description": f"{edition} edition {kernel} runtime with {editor}",
        "full_version": version,
        "status": status,
        "register_user_id": 0,
    }


RUNTIMES = [
    _runtime(editor, kernel, edition, version, status)
    for (kernel, version, status) in (
        ("Python 3.12", "2025.09.1-b5", "ENABLED"),
        ("Python 3.11", "2025.09.1-b5", "ENABLED"),
        ("Python 3.10", "2025.01.2-b15", "ENABLED"),
        ("Python 3.9", "2024.05.1-b8", "DEPRECATED"),
        ("R 4.4", "2025.09.1-b5", "ENABLED"),
    )
    for editor in ("PBJ Workbench", "JupyterLab")
    for edition in ("Standard", "Nvidia GPU")
    if not (kernel.startswith("R") and edition != "Standard")
]

KNOWN = frozenset(r["image_identifier"] for r in RUNTIMES)


def check_identifier(value: Any) -> Any:
    """A pydantic validator: `runtime_identifier` is blank (engines) or a known runtime."""
    if isinstance(value, str) and value.strip() and value.strip() not in KNOWN:
        raise ValueError(f"unknown runtime {value!r}; GET /api/v2/runtimes lists the runtimes")
    return value.strip() if isinstance(value, str) else value
