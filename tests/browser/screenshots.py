"""The screenshots of the docs, taken again: `python3 dev.py screenshots` (or this file).

Runs the browser tests (`tests/browser/`: JupyterLab and the local server's pages in headless
Chromium, light and dark) with their screenshots going to a scratch folder, then copies into
docs/img exactly the images the docs show (`img/<name>.png` in docs/*.md) and removes the ones
no page shows any more. A shown image no browser test takes (a chart drawn by matplotlib's own
tests) is kept and named. After a failed test nothing is copied. Extra arguments go to pytest
(e.g. `-k gallery`: then only the images those tests took are replaced).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
IMAGES = DOCS / "img"


def shown_images() -> set[str]:
    """The file names of every image a doc page shows from docs/img."""
    names: set[str] = set()
    for page in DOCS.glob("*.md"):
        names.update(re.findall(r"\]\(img/([\w.-]+\.png)\)", page.read_text(encoding="utf-8")))
    return names


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="cml-screenshots-") as scratch:
        env = {**os.environ, "BROWSER_TEST_ARTIFACTS": scratch}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/browser"]
        done = subprocess.run([*cmd, *argv], cwd=ROOT, env=env, check=False)
        if done.returncode != 0:
            print("the browser tests failed: docs/img is unchanged", file=sys.stderr)
            return done.returncode
        taken = {p.name: p for p in Path(scratch).glob("*.png")}
        wanted = shown_images()
        IMAGES.mkdir(exist_ok=True)
        for name in sorted(wanted & set(taken)):
            shutil.copyfile(taken[name], IMAGES / name)
            print(f"docs/img/{name}: {(IMAGES / name).stat().st_size // 1024} KB")
        for old in sorted(set(p.name for p in IMAGES.glob("*.png")) - wanted):
            (IMAGES / old).unlink()
            print(f"docs/img/{old}: removed (no page shows it)")
        for kept in sorted(wanted - set(taken)):
            print(f"docs/img/{kept}: kept as it is (no browser test took it)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
