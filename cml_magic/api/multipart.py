"""A multipart/form-data body of one file, read from its file object as it is sent.

requests' own `files=` reads every file whole into memory before sending; this body gives
requests (and urllib3) a file-like object of known length instead, so a big upload is sent
chunk by chunk. It can seek back to the start, which urllib3 does before resending it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import IO


def _quote(text: str) -> str:
    # The field name is the destination path; quotes and line breaks would end the header.
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartFile:
    """`--boundary / headers / <the file's bytes> / --boundary--`, one file field."""

    def __init__(
        self,
        field: str,
        filename: str,
        source: IO[bytes],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.boundary = uuid.uuid4().hex
        self._source = source
        self._start = source.tell()
        self._size = source.seek(0, os.SEEK_END) - self._start
        source.seek(self._start)
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(field)}"; '
            f'filename="{_quote(filename)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._progress = progress
        self._pos = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Only back to a position already sent (urllib3 rewinds to 0 to resend)."""
        if whence == os.SEEK_END:
            offset += len(self)
        elif whence == os.SEEK_CUR:
            offset += self._pos
        self._pos = max(0, min(offset, len(self)))
        body = min(max(self._pos - len(self._head), 0), self._size)
        self._source.seek(self._start + body)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes of the body (all that is left for a negative size)."""
        left = len(self) - self._pos
        size = left if size is None or size < 0 else min(size, left)
        out = bytearray()
        while len(out) < size:
            head, body_end = len(self._head), len(self._head) + self._size
            if self._pos < head:
                piece = self._head[self._pos : self._pos + size - len(out)]
            elif self._pos < body_end:
                piece = self._source.read(min(size - len(out), body_end - self._pos))
                if not piece:
                    raise OSError("the file got shorter while it was being uploaded")
                if self._progress is not None:
                    self._progress(len(piece))
            else:
                at = self._pos - body_end
                piece = self._tail[at : at + size - len(out)]
            out += piece
            self._pos += len(piece)
        return bytes(out)
