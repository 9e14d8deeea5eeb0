"""The layer rule, read from the source: the local server imports nothing of the client, no
widget or magic imports `requests` (they go through `cml_magic.api`), and widgets never send
HTTP themselves: only `widgets/controller.py` talks to the client."""

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
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
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


# What sends HTTP or opens sockets, the client's own transport among them.
NETWORK = ("requests", "urllib3", "http.client", "urllib.request", "socket", "httpx")
CLIENT = ("cml_magic.api.client", "cml_magic.api.transport")


@pytest.mark.parametrize(
    "path",
    [p for p in sources("widgets") if p.name != "controller.py"],
    ids=lambda p: str(p.relative_to(PACKAGE / "widgets")),
)
def test_only_the_widgets_controller_talks_to_the_client(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reach = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "cml"]
    assert not reach, f"{path.name} uses the client directly at lines {reach}: ask the Controller"
    banned = NETWORK + CLIENT
    inside = tuple(f"{b}." for b in banned)
    assert not {m for m in imported(path) if m in banned or m.startswith(inside)}
