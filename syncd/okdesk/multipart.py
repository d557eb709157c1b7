"""A streaming multipart/form-data body with an exact Content-Length.

``requests`` builds multipart bodies in memory (``files=``), which for a 200 MB upload means
200+ MB of RSS. This body is an iterable of chunks read from disk 64 KiB at a time, with
``__len__`` giving the exact size: requests then sends a plain Content-Length request (no
chunked encoding, which some Okdesk front ends reject) straight from the iterator.

The body is re-iterable: every ``iter()`` starts from the beginning and reopens the files,
so a retried request sends it whole again.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 64 * 1024


class BodyFileChanged(ValueError):
    """A file changed size between building the body and sending it: the announced
    Content-Length would be a lie, so the request is abandoned."""


@dataclass(frozen=True)
class FilePart:
    """One file part: form field name, the file name announced to the server, local path."""

    name: str
    file_name: str
    path: Path
    content_type: str = "application/octet-stream"


def _quote(value: str) -> bytes:
    """A header parameter value as browsers send it (WHATWG): raw UTF-8, with only ``"``,
    CR and LF percent-escaped. Rails/Rack read such names back verbatim."""
    escaped = value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
    return escaped.encode("utf-8")


class MultipartBody:
    """``fields``: (name, value) pairs; ``files``: file parts, sent after the fields."""

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        files: Sequence[FilePart] = (),
        *,
        boundary: str | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        # 32 random hex digits: the chance of it occurring inside a file is nil.
        self.boundary = boundary or f"----syncdFormBoundary{secrets.token_hex(16)}"
        self.chunk_size = chunk_size
        delimiter = f"--{self.boundary}\r\n".encode("ascii")
        # Each segment is (prefix bytes, file part or None); the file's bytes and CRLF follow.
        self._segments: list[tuple[bytes, FilePart | None, int]] = []
        for name, value in fields:
            head = (
                delimiter
                + b'Content-Disposition: form-data; name="'
                + _quote(name)
                + b'"\r\n\r\n'
                + str(value).encode("utf-8")
                + b"\r\n"
            )
            self._segments.append((head, None, 0))
        for part in files:
            # stat now: a missing file must fail before anything is sent, and the size
            # goes into Content-Length.
            size = os.stat(part.path).st_size
            content_type = part.content_type.replace("\r", "").replace("\n", "")
            head = (
                delimiter
                + b'Content-Disposition: form-data; name="'
                + _quote(part.name)
                + b'"; filename="'
                + _quote(part.file_name)
                + b'"\r\nContent-Type: '
                + content_type.encode("ascii", "replace")
                + b"\r\n\r\n"
            )
            self._segments.append((head, part, size))
        self._tail = f"--{self.boundary}--\r\n".encode("ascii")
        self.content_length = sum(
            len(head) + size + (2 if part is not None else 0) for head, part, size in self._segments
        ) + len(self._tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        # requests' super_len() reads this and sets Content-Length instead of chunking.
        return self.content_length

    def __iter__(self) -> Iterator[bytes]:
        return self._generate()

    def _generate(self) -> Iterator[bytes]:
        # Small pieces (field parts, part headers, CRLFs) are glued to the next write so the
        # socket doesn't see a flurry of tiny sends.
        pending = b""
        for head, part, size in self._segments:
            pending += head
            if part is None:
                continue
            sent = 0
            with open(part.path, "rb") as fh:
                while sent < size:
                    chunk = fh.read(min(self.chunk_size, size - sent))
                    if not chunk:
                        raise BodyFileChanged(f"{part.file_name!r} shrank while being sent")
                    sent += len(chunk)
                    if pending:
                        chunk, pending = pending + chunk, b""
                    yield chunk
                if fh.read(1):
                    raise BodyFileChanged(f"{part.file_name!r} grew while being sent")
            pending += b"\r\n"
        yield pending + self._tail
