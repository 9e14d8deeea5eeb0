"""Multipart uploads streamed to disk.

Each file part is written, as it arrives, to a temporary name beside its destination and
counted against the size cap; only when the whole request has arrived are the files renamed
into place. An upload that is too large, malformed, cut off or hits a full disk leaves no file
behind, and the server never holds more than one network chunk of it in memory.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import anyio
from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from cml_magic.local.errors import RESOURCE_EXHAUSTED, ApiError, bad_request, too_large

NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
MAX_FILES = 1000  # per request
INSUFFICIENT_STORAGE = 507


@dataclass
class _File:
    destination: Path
    temp: Path
    handle: BinaryIO


@dataclass
class _Events:
    """What the parser saw in one network chunk, applied afterwards off the event loop."""

    items: list[tuple[str, bytes | None]] = field(default_factory=list)
    header_name: bytes = b""
    header_value: bytes = b""
    disposition: bytes = b""
    ended: bool = False


def _too_large(limit: int) -> ApiError:
    return too_large(f"the upload is larger than this server's limit of {limit // 2**20} MiB")


class _Receiver:
    def __init__(self, place: Callable[[str], Path]) -> None:
        self.place = place
        self.files: list[_File] = []
        self.current: _File | None = None
        self.events = _Events()

    # parser callbacks: record only -------------------------------------------------------

    def on_part_begin(self) -> None:
        self.events.disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.events.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.events.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.events.header_name.lower() == b"content-disposition":
            self.events.disposition = self.events.header_value
        self.events.header_name = self.events.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.events.disposition)
        # Only parts with a filename are files; plain form fields are ignored.
        self.events.items.append(
            ("begin", options.get(b"name") if b"filename" in options else None)
        )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.items.append(("data", data[start:end]))

    def on_part_end(self) -> None:
        self.events.items.append(("end", None))

    def on_end(self) -> None:
        self.events.ended = True

    # applied in a worker thread ----------------------------------------------------------

    def apply(self, items: list[tuple[str, bytes | None]]) -> None:
        for kind, data in items:
            if kind == "begin":
                self.current = None if data is None else self._open(data.decode("utf-8", "replace"))
            elif kind == "data" and self.current is not None and data is not None:
                self.current.handle.write(data)
            elif kind == "end" and self.current is not None:
                self.current.handle.close()
                self.current = None

    def _open(self, field_name: str) -> _File:
        if len(self.files) >= MAX_FILES:
            raise bad_request(f"an upload holds at most {MAX_FILES} files")
        destination = self.place(field_name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        temp = destination.with_name(f".cml-upload-{secrets.token_hex(8)}")
        handle = open(temp, "xb")  # noqa: SIM115 (closed at the part's end or on failure)
        opened = _File(destination, temp, handle)
        self.files.append(opened)
        return opened

    def discard(self) -> None:
        for opened in self.files:
            opened.handle.close()
            opened.temp.unlink(missing_ok=True)

    def commit(self, free_name: Callable[[Path], Path]) -> int:
        for opened in self.files:
            os.rename(opened.temp, free_name(opened.destination))
        return len(self.files)


async def receive(
    request: Request, place: Callable[[str], Path], limit: int, free_name: Callable[[Path], Path]
) -> int:
    """Store the file parts of a multipart request; the number of files stored.

    `place(field_name)` names each file's destination (or raises an ApiError); `free_name`
    picks the name it is finally stored under.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise bad_request("upload must be multipart/form-data")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    receiver = _Receiver(place)
    callbacks = {
        name: getattr(receiver, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_end",
        )
    }
    received = 0
    try:
        try:
            parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise _too_large(limit)
                parser.write(chunk)
                items, receiver.events.items = receiver.events.items, []
                await anyio.to_thread.run_sync(receiver.apply, items)
            parser.finalize()
        except FormParserError:
            raise bad_request("the upload is not well-formed multipart/form-data") from None
        if not receiver.events.ended:
            raise bad_request("the upload ended before its closing multipart boundary")
        return await anyio.to_thread.run_sync(receiver.commit, free_name)
    except OSError as exc:
        receiver.discard()
        if exc.errno in NO_SPACE:
            message = "not enough disk space to store the upload"
            raise ApiError(RESOURCE_EXHAUSTED, message, INSUFFICIENT_STORAGE) from None
        raise bad_request(f"the upload could not be stored: {exc.strerror}") from None
    except BaseException:
        receiver.discard()
        raise
