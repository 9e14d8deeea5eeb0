"""The layer rule for widgets: only `controller.py` talks to the client; no other widget module
reaches the client (`controller.cml`) or opens a connection of its own.

(The import rules, `local/` importing nothing of the client and no widget or magic importing
`requests`, are in `tests/test_layers.py`.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WIDGETS = Path(__file__).resolve().parents[2] / "cml_magic" / "widgets"
# Modules that send HTTP or open sockets; the client's own transport among them.
NETWORK = ("requests", "urllib3", "http.client", "urllib.request", "socket", "httpx")
CLIENT = ("cml_magic.api.client", "cml_magic.api.transport")


def modules_besides_the_controller() -> list[Path]:
    return sorted(p for p in WIDGETS.rglob("*.py") if p != WIDGETS / "controller.py")


def imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(
    "path", modules_besides_the_controller(), ids=lambda p: str(p.relative_to(WIDGETS))
)
def test_only_the_controller_talks_to_the_client(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reach = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "cml"]
    assert not reach, f"{path.name} uses the client directly at lines {reach}: ask the Controller"
    banned = NETWORK + CLIENT
    inside = tuple(f"{b}." for b in banned)
    assert not {m for m in imported(tree) if m in banned or m.startswith(inside)}


def test_the_rule_sees_a_widget_that_reaches_the_client() -> None:
    tree = ast.parse("def pick(controller):\n    return controller.cml.projects.get('x')\n")
    assert [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "cml"]
    assert "cml_magic.api.client.CML" in imported(ast.parse("from cml_magic.api.client import CML"))
