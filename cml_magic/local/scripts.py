"""Checks of the project files a workload names: a job's or application's script, a model
build's `file_path` and `function_name`. A path must stay inside the project folder (relative,
no `..`, no symlink out) and name a file; a model function must be defined in its file (found
by parsing it, never by importing it)."""

from __future__ import annotations

import ast
import keyword
from pathlib import Path, PurePosixPath

from cml_magic.local.errors import ApiError, bad_request

MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255
MAX_MODEL_FILE_BYTES = 10 * 1024 * 1024
QUOTED_CHARS = 100
OUTSIDE = "not found in project directory (a path stays inside the project folder)"


def quoted(text: str) -> str:
    """`text` for a message: at most ~100 characters, with anything unprintable escaped."""
    shown = text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "..."
    return repr(shown)


def path_problem(folder: Path, path: str) -> str | None:
    """Why `path` does not name a file inside `folder`, or None when it does."""
    if not path or not path.strip():
        return "is empty"
    if len(path) > MAX_PATH_CHARS or "\0" in path:
        return "is not a valid file name"
    try:
        parts = PurePosixPath(path).parts
        if any(len(p.encode("utf-8")) > MAX_NAME_BYTES for p in parts):
            return "is not a valid file name"
    except UnicodeEncodeError:
        return "is not a valid file name"
    if path.startswith("/") or "\\" in path or ".." in parts:
        return OUTSIDE
    try:
        root = folder.resolve()
        target = (root / path).resolve()
        if root not in target.parents:
            return OUTSIDE
        if not target.is_file():
            return "not found in project directory"
    except (OSError, ValueError, RuntimeError):  # loops, odd names
        return "not found in project directory"
    return None


def check_script(folder: Path, script: str, field: str = "script") -> None:
    """A 400 unless `script` names a file inside the project folder `folder`."""
    problem = path_problem(folder, script)
    if problem is not None:
        raise bad_request(f"{field} {quoted(script)} {problem}")


def function_problem(source: str, function_name: str) -> str | None:
    """Why `source` does not define `function_name` at its top level, or None when it does.

    Source that does not parse passes: the build runs it and fails, with the error in its log,
    as a CML build fails on broken code."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    if function_name in _top_level_names(tree):
        return None
    return f"does not define function {quoted(function_name)}"


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):  # `import m` names a module, not a function
            names.update(a.asname or a.name for a in node.names)
    return names


def check_model_function(folder: Path, file_path: str, function_name: str) -> None:
    """A 400 unless `file_path` is a Python file in the project defining `function_name`."""
    check_script(folder, file_path, "file_path")
    if not function_name.isidentifier() or keyword.iskeyword(function_name):
        raise bad_request(f"function_name {quoted(function_name)} is not a Python name")
    target = (folder.resolve() / file_path).resolve()
    try:
        if target.stat().st_size > MAX_MODEL_FILE_BYTES:
            raise bad_request(f"file_path {quoted(file_path)} is too large for a model file")
        source = target.read_text(encoding="utf-8")
    except ApiError:
        raise
    except (OSError, UnicodeDecodeError):
        raise bad_request(f"file_path {quoted(file_path)} is not a readable text file") from None
    problem = function_problem(source, function_name)
    if problem is not None:
        raise bad_request(f"file_path {quoted(file_path)} {problem}")
