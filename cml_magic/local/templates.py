"""Project templates: the files a new project starts with."""

from __future__ import annotations

import shutil
from pathlib import Path

_FILES = Path(__file__).parent / "template_files"

# CML's template names (lower-cased); all but "python" start empty here.
NAMES = ("blank", "local", "git", "python", "r", "pyspark", "scala", "churn predictor")


def copy(name: str, folder: Path) -> None:
    """Copy template `name`'s files into `folder`, keeping files already there."""
    source = _FILES / name
    if not source.is_dir():
        return
    for item in source.iterdir():
        target = folder / item.name
        if item.is_file() and not target.exists():
            shutil.copyfile(item, target)
