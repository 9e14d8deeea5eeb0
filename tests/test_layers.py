"""The layer rule, read from the source: the local server imports nothing of the client, and
no widget or magic imports `requests` (they go through `cml_magic.api`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cml_magic"


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (lazy imports inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def sources(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize("path", sources("local"), ids=lambda p: p.name)
def test_the_local_server_imports_nothing_of_the_client(path: Path) -> None:
    client = ("cml_magic.api", "cml_magic.magics", "cml_magic.widgets", "cml_magic.frames")
    assert not {m for m in imported(path) if m.startswith(client)}


@pytest.mark.parametrize("path", sources("widgets") + sources("magics"), ids=lambda p: p.name)
def test_widgets_and_magics_never_import_requests(path: Path) -> None:
    assert not {m for m in imported(path) if m == "requests" or m.startswith("requests.")}
