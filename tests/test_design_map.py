"""docs/design.md's module map against the modules: every module of the package has its line,
every line names a module that exists, and each line says what that module's own docstring
says (lines are written by hand, shorter than the docstrings; a line copied from another module
of the same file name, as `app.py` or `context.py` once were, fails here)."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "docs" / "design.md"
# Most of a line's words come from its module's docstring (the shortest faithful lines reach
# about 0.7; a line copied from another module shares under 0.2 with its own).
OWN_WORDS = 0.6


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9_]{3,}", text.lower()))


@functools.cache
def docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def map_lines() -> dict[Path, str]:
    """Module path (relative to the repository) -> its line in the Modules section."""
    section = DESIGN.read_text(encoding="utf-8").split("\n## Modules", 1)[1].split("\n## ", 1)[0]
    lines: dict[Path, str] = {}
    folder: str | None = None
    for line in section.splitlines():
        if heading := re.match(r"### `(cml_magic/[^`]*)`", line):
            folder = heading.group(1).rstrip("/")
        elif (item := re.match(r"- `([^`]+\.py)`: (.+)", line)) and folder:
            lines[Path(folder) / item.group(1)] = item.group(2)
    return lines


LINES = map_lines()
MODULES = sorted(p.relative_to(ROOT) for p in (ROOT / "cml_magic").rglob("*.py"))


def test_every_module_has_a_line_and_every_line_a_module() -> None:
    assert LINES, "no module lines found in docs/design.md"
    assert sorted(set(MODULES) - set(LINES)) == [], "modules missing from docs/design.md"
    assert sorted(set(LINES) - set(MODULES)) == [], "lines of modules that do not exist"


@pytest.mark.parametrize("path", sorted(LINES), ids=str)
def test_each_line_says_what_its_module_says(path: Path) -> None:
    said = words(LINES[path])
    own = len(said & words(docstring(ROOT / path))) / len(said)
    assert own >= OWN_WORDS, (
        f"docs/design.md says of {path}: {LINES[path]!r}; its docstring: "
        f"{docstring(ROOT / path).split(chr(10) + chr(10))[0]!r}"
    )
    # No other module's docstring fits the line better than the module's own.
    rival = max(
        (m for m in MODULES if m != path), key=lambda m: len(said & words(docstring(ROOT / m)))
    )
    assert len(said & words(docstring(ROOT / rival))) / len(said) <= own, (
        f"docs/design.md's line of {path} reads like {rival}'s docstring"
    )
