"""`%cml files ls|get|put|rm|mv|cat` and `%%cml_file`: a project's files.

Paths are checked before any request: a project path may not climb out with `..`, a local
file must exist. Transfers stream (never whole in memory) and show a bar for big files.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cml_magic.magics.commands import Resource, Verb
from cml_magic.magics.commands import parse_cell_line as parse_cell_options
from cml_magic.magics.context import Context, load_frames
from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser

if TYPE_CHECKING:
    from cml_magic.api.objects import FileInfo

CAT_LIMIT = 1 << 20  # bytes `cat` shows; `get` fetches a bigger file


class FileText(str):
    """The text `%cml files cat` returns: shown as it is, not as a quoted string."""

    __slots__ = ()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def remote_path(text: str, what: str = "PATH") -> str:
    """A project path from the magic line, `..` refused (CML's paths stay in the project)."""
    parts = text.strip().replace("\\", "/").split("/")
    if ".." in parts:
        raise usage_error(
            f"{what} {text!r} climbs out with '..': give a path inside the project", "bad_argument"
        )
    return "/".join(part for part in parts if part not in ("", ".")).removeprefix("home/cdsw/")


def _project(ctx: Context, args: argparse.Namespace) -> str | None:
    """The project, or a one-line error before any request when none is set."""
    project = ctx.project(args)
    if not project and not ctx.cml.project:
        raise usage_error(
            "no project: pass -p NAME, or %cml use NAME (inside CML: CDSW_PROJECT_ID)",
            "not_configured",
        )
    return project


def _entries(ctx: Context, path: str, project: str | None) -> tuple[bool, list[FileInfo]]:
    """(is it a folder, its entries, each with its project path); a file is its one entry."""
    from dataclasses import replace

    listed = list(ctx.cml.files.list(path, project=project))
    name = posixpath.basename(path)
    if path and len(listed) == 1 and not listed[0].is_dir and listed[0].path == name:
        return False, [replace(listed[0], path=path)]
    return True, [replace(e, path=posixpath.join(path, e.path)) for e in listed]


def _ls(ctx: Context, args: argparse.Namespace) -> Any:
    frames = load_frames()
    from cml_magic.magics.results import limit_display

    path = remote_path(args.path)
    _, entries = _entries(ctx, path, _project(ctx, args))
    return limit_display(frames.file_frame(entries), ctx.magic.display_limit)


def _download(
    ctx: Context, entry: FileInfo, target: Path, project: str | None, progress: Any
) -> None:
    """One file into `target`, through `target.part`: a failed transfer leaves no file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        with part.open("wb") as sink:
            ctx.cml.files.download_to(entry.path, sink, project=project, progress=progress)
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)


def _get(ctx: Context, args: argparse.Namespace) -> Path:
    from cml_magic.magics.transfer import progress_bar

    remote = remote_path(args.remote, "REMOTE")
    if not remote:
        raise usage_error("REMOTE: name a file or folder of the project", "bad_argument")
    project = _project(ctx, args)
    local = Path(args.local or posixpath.basename(remote)).expanduser()
    folder, entries = _entries(ctx, remote, project)
    if not folder:
        target = local / posixpath.basename(remote) if local.is_dir() else local
        with progress_bar(remote, entries[0].file_size) as progress:
            _download(ctx, entries[0], target, project, progress)
        return target
    files: list[FileInfo] = []
    while entries:  # the folder's tree, breadth first
        entry = entries.pop(0)
        if entry.is_dir:
            entries += _entries(ctx, entry.path, project)[1]
        else:
            files.append(entry)
    local.mkdir(parents=True, exist_ok=True)
    with progress_bar(remote, sum(f.file_size for f in files)) as progress:
        for entry in files:
            _download(ctx, entry, local / posixpath.relpath(entry.path, remote), project, progress)
    return local


def _folder_or_none(ctx: Context, path: str, project: str | None) -> bool | None:
    """Whether `path` is a folder of the project; None when nothing is there."""
    from cml_magic.api.errors import NotFoundError

    try:
        return _entries(ctx, path, project)[0]
    except NotFoundError:
        return None


def _put(ctx: Context, args: argparse.Namespace) -> list[str]:
    from cml_magic.magics.transfer import progress_bar

    local = Path(args.local).expanduser()
    if not local.exists():
        raise usage_error(f"LOCAL {args.local!r}: no such file or folder here", "bad_argument")
    remote = remote_path(args.remote if args.remote is not None else local.name, "REMOTE")
    if not remote:
        raise usage_error("REMOTE: name a destination inside the project", "bad_argument")
    project = _project(ctx, args)
    into = _folder_or_none(ctx, remote, project)
    if local.is_dir() and into is False:
        raise usage_error(f"REMOTE {remote!r} is a file; a folder cannot go there", "bad_argument")
    if not local.is_dir() and (into or (args.remote or "").endswith("/")):
        remote = posixpath.join(remote, local.name)  # into the folder, as `cp` does
    if local.is_dir():
        pairs = [
            (path, posixpath.join(remote, path.relative_to(local).as_posix()))
            for path in sorted(local.rglob("*"))
            if path.is_file()
        ]
    else:
        pairs = [(local, remote)]
    with progress_bar(remote, sum(os.path.getsize(p) for p, _ in pairs)) as progress:
        for path, destination in pairs:
            with path.open("rb") as source:
                ctx.cml.files.upload(
                    destination, source, project=project, overwrite=True, progress=progress
                )
    return [destination for _, destination in pairs]


def _rm(ctx: Context, args: argparse.Namespace) -> None:
    path = remote_path(args.path)
    if not path:
        raise usage_error("PATH: refusing to delete the whole project folder", "bad_argument")
    ctx.cml.files.delete(path, project=_project(ctx, args))
    print(f"deleted {path}")


def _mv(ctx: Context, args: argparse.Namespace) -> FileInfo:
    source, destination = remote_path(args.source, "SRC"), remote_path(args.destination, "DST")
    if not source or not destination:
        raise usage_error("SRC and DST: name paths inside the project", "bad_argument")
    return ctx.cml.files.rename(source, destination, project=_project(ctx, args))


class _Capped:
    """A sink keeping the first `limit` bytes and then stopping the transfer."""

    def __init__(self, limit: int) -> None:
        self.limit, self.data = limit, bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk[: self.limit - len(self.data)]
        if len(self.data) >= self.limit:
            raise _Enough
        return len(chunk)


class _Enough(Exception):  # noqa: N818 - control flow
    pass


def _cat(ctx: Context, args: argparse.Namespace) -> FileText:
    path = remote_path(args.path)
    project = _project(ctx, args)
    folder, entries = _entries(ctx, path, project)
    if folder:
        raise usage_error(
            f"{path or 'the project folder'} is a folder: %cml files ls {path}", "bad_argument"
        )
    sink = _Capped(CAT_LIMIT)
    with contextlib.suppress(_Enough):
        ctx.cml.files.download_to(path, sink, project=project)  # type: ignore[arg-type]
    text = sink.data.decode("utf-8", errors="replace")
    more = entries[0].file_size - len(sink.data)
    if more > 0:
        text += f"\n... ({more} more bytes: %cml files get {path})"
    return FileText(text)


def _path(parser: CommandParser) -> None:
    parser.add_argument(
        "path", metavar="PATH", nargs="?", default="", help="in the project (default: its top)"
    )


def _one_path(parser: CommandParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a file or folder of the project")


def _get_arguments(parser: CommandParser) -> None:
    parser.add_argument("remote", metavar="REMOTE", help="a file or folder of the project")
    parser.add_argument(
        "local", metavar="LOCAL", nargs="?", help="where to write it (default: its name, here)"
    )


def _put_arguments(parser: CommandParser) -> None:
    parser.add_argument("local", metavar="LOCAL", help="a local file, or a folder (recursively)")
    parser.add_argument(
        "remote", metavar="REMOTE", nargs="?", help="where in the project (default: its name)"
    )


def _mv_arguments(parser: CommandParser) -> None:
    parser.add_argument("source", metavar="SRC", help="a file or folder of the project")
    parser.add_argument("destination", metavar="DST", help="its new path (nothing may be there)")


RESOURCE = Resource(
    name="files",
    summary="files of a project",
    aliases=("file",),
    verbs=(
        Verb(
            "ls",
            "list a folder of the project",
            _ls,
            _path,
            example="%cml files ls data",
            aliases=("list",),  # as every other resource spells it
        ),
        Verb(
            "get",
            "download a file or folder",
            _get,
            _get_arguments,
            example="%cml files get data/in.csv local.csv",
        ),
        Verb(
            "put",
            "upload a file, or a folder recursively (replacing what is there)",
            _put,
            _put_arguments,
            example="%cml files put results/ out/results",
        ),
        Verb("rm", "delete a file or folder", _rm, _one_path, example="%cml files rm old.csv"),
        Verb(
            "mv",
            "rename or move a file or folder",
            _mv,
            _mv_arguments,
            example="%cml files mv a.py src/a.py",
        ),
        Verb(
            "cat",
            "show a text file (its first MiB)",
            _cat,
            _one_path,
            example="%cml files cat README.md",
        ),
    ),
)

# `%%cml_file PATH`: the cell's text becomes a project file.
CELL_VERB = Verb(
    "",
    "write the cell to a project file (replacing it)",
    lambda ctx, args: None,
    _one_path,
    example="%%cml_file src/train.py",
)


def parse_cell_line(line: str) -> argparse.Namespace:
    """The options of a `%%cml_file` line."""
    return parse_cell_options("%%cml_file", CELL_VERB, line)


def write_cell(ctx: Context, args: argparse.Namespace, cell: str) -> str:
    """Store `cell` at the line's PATH; the project path written."""
    path = remote_path(args.path)
    if not path:
        raise usage_error("PATH: name a file of the project, e.g. src/train.py", "bad_argument")
    data = cell.encode()
    ctx.cml.files.upload(path, data, project=_project(ctx, args), overwrite=True)
    print(f"wrote {path} ({len(data)} bytes)")
    return path
