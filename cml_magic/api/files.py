"""`cml.files`: list, download, upload, rename and delete the files of a project."""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.errors import BadRequestError, NotFoundError
from cml_magic.api.multipart import MultipartFile
from cml_magic.api.objects import FileInfo, Listing

if TYPE_CHECKING:
    from cml_magic.api.client import CML

ROOT = "/"


def clean_path(path: str) -> str:
    """A project-relative path: `./data//x.csv` -> `data/x.csv`; the folder itself -> ``."""
    text = (path or "").strip().replace("\\", "/").removeprefix("/home/cdsw")
    # Until nothing changes: stripping the slashes can bare whitespace at the ends (`/\rx`),
    # and stripping that can bare slashes again, so one pass is not always clean.
    while True:
        norm = posixpath.normpath("/" + text).lstrip("/").strip()
        if norm == text:
            return "" if norm == "." else norm
        text = norm


class Files:
    """The project folder (`/home/cdsw` in a CML session)."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def _file_path(self, path: str, project: str | None) -> str:
        # `%2F` keeps a nested path one segment, as CML's `{path}` wants.
        return f"{paths.project(self._cml.projects.resolve(project))}/files/{paths.seg(path)}"

    def list(self, path: str = "", project: str | None = None) -> Listing[FileInfo]:
        """The entries of a folder (names relative to it), or the one entry of a file."""
        clean = clean_path(path)
        answer = self._cml.transport.request("GET", self._file_path(clean or ROOT, project))
        return Listing(FileInfo, answer.get("files") or ())

    def download(self, path: str, project: str | None = None) -> bytes:
        """The bytes of a file (`NotFoundError` if there is none)."""
        clean = clean_path(path)
        if not clean:
            raise BadRequestError("download needs a file path, not the project folder")
        data: bytes = self._cml.transport.request(
            "POST",
            self._file_path(clean, project) + ":download",
            idempotent=True,
            expect="bytes",
        )
        return data

    def download_to(
        self,
        path: str,
        sink: IO[bytes],
        project: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write the bytes of a file into `sink` as they arrive (never whole in memory); the
        number written. `progress(n)` hears of each chunk. `timeout` bounds each wait, not
        the whole transfer (`Transport.transfer`)."""
        clean = clean_path(path)
        if not clean:
            raise BadRequestError("download needs a file path, not the project folder")
        written: int = self._cml.transport.transfer(
            "POST",
            self._file_path(clean, project) + ":download",
            sink=sink,
            progress=progress,
            idempotent=True,
        )
        return written

    def upload(
        self,
        path: str,
        data: bytes | str | IO[bytes],
        project: str | None = None,
        overwrite: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Store `data` at `path`; CML keeps an existing file and stores `name(1).ext`
        instead, unless `overwrite` deletes the old one first.

        A seekable file object is streamed from where it stands (never whole in memory),
        `progress(n)` hearing of each chunk sent; other data is sent at once."""
        clean = clean_path(path)
        if not clean:
            raise BadRequestError("upload needs a destination file path, e.g. data/input.csv")
        if overwrite:
            with contextlib.suppress(NotFoundError):
                self.delete(clean, project)
        project_id = self._cml.projects.resolve(project)
        url = f"{paths.project(project_id)}/files"
        name = posixpath.basename(clean)
        if not isinstance(data, str | bytes) and data.seekable():
            body = MultipartFile(clean, name, data, progress)
            self._cml.transport.transfer(
                "POST", url, data=body, headers={"Content-Type": body.content_type}
            )
            return
        # Read a file object once, so that a retried upload sends the same bytes.
        payload = data.encode() if isinstance(data, str) else data
        if not isinstance(payload, bytes):
            payload = payload.read()
        self._cml.transport.request(
            "POST", url, files={clean: (name, payload, "application/octet-stream")}
        )

    def rename(self, path: str, new_path: str, project: str | None = None) -> FileInfo:
        """Move a file or folder to `new_path` (CML refuses when something is there)."""
        clean, new = clean_path(path), clean_path(new_path)
        if not clean or not new:
            raise BadRequestError("rename needs a source and a destination path in the project")
        body: dict[str, Any] = {"path": new}
        answer = self._cml.transport.request(
            "PATCH", self._file_path(clean, project), json_body=body
        )
        return FileInfo.from_json(answer or body)

    def delete(self, path: str, project: str | None = None) -> None:
        """Delete a file or a folder."""
        clean = clean_path(path)
        if not clean:
            raise BadRequestError("refusing to delete the whole project folder")
        self._cml.transport.request("DELETE", self._file_path(clean, project))
