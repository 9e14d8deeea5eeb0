"""`%load_ext cml_magic` stays cheap: nothing heavy is imported until a command needs it."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "pandas",
    "ipywidgets",
    "requests",
    "dotenv",
    "cml_magic.api",
    "cml_magic.frames",
    "cml_magic.widgets",
    "cml_magic.magics.commands",
)

SCRIPT = f"""
import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = {{m for m in {HEAVY!r} if m in sys.modules}}
shell.run_line_magic("load_ext", "cml_magic")
assert "cml" in shell.magics_manager.magics["line"]
after = sorted(m for m in {HEAVY!r} if m in sys.modules and m not in before)
print(",".join(after))
"""


def test_load_ext_imports_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_help_needs_no_heavy_imports() -> None:
    script = SCRIPT.replace(
        "after = sorted", 'shell.run_line_magic("cml", "jobs run --help")\nafter = sorted'
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "cml_magic.magics.commands"
