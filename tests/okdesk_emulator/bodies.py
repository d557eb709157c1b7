"""Request bodies: Content-Length or chunked framing, then JSON / form / multipart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

from .multipart import MultipartParser, UploadedFile, boundary_of
from .params import ApiError, human_size, nest

MAX_JSON_BODY = 32 * 1024 * 1024


def msg_request_too_large(limit: int) -> str:
    return f"Размер запроса превышает допустимый ({human_size(limit)})"


class BodyReader:
    """Reads exactly one request body off a keep-alive connection.

    Framing errors raise ApiError(400); the connection must then be closed because
    the position of the next request is unknown (`broken` tells the server).
    With `limit` (Options.max_request_bytes) a body over that many bytes raises
    ApiError(413): up front for a declared Content-Length (`enforce_limit`), or once the
    bytes read pass it (chunked).  The limit is then lifted so `drain()` can skip the rest.
    """

    def __init__(self, rfile: BinaryIO, headers: Mapping[str, str], limit: int | None = None):
        self._rfile = rfile
        self._limit = limit
        self.received = 0  # body bytes read so far (chunk framing excluded)
        self.chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        self.broken = False
        self._chunk_left = 0
        self._done = False
        if self.chunked:
            self._remaining = 0
            return
        raw_length = headers.get("Content-Length")
        try:
            self._remaining = int(raw_length) if raw_length is not None else 0
        except ValueError:
            self._remaining = 0
            self._fail("Неверный заголовок Content-Length")
        if self._remaining < 0:
            self._fail("Неверный заголовок Content-Length")

    def enforce_limit(self) -> None:
        """nginx refuses a declared Content-Length over client_max_body_size before reading."""
        if self._limit is not None and not self.chunked and self._remaining > self._limit:
            self._too_large()

    def _too_large(self) -> None:
        limit, self._limit = self._limit, None
        assert limit is not None
        raise ApiError(413, msg_request_too_large(limit))

    def _fail(self, message: str) -> None:
        self.broken = True
        raise ApiError(400, message)

    def read(self, size: int) -> bytes:
        data = self._read(size)
        self.received += len(data)
        if self._limit is not None and self.received > self._limit:
            self._too_large()
        return data

    def _read(self, size: int) -> bytes:
        if self._done:
            return b""
        if self.chunked:
            return self._read_chunked(size)
        if self._remaining == 0:
            self._done = True
            return b""
        data = self._rfile.read(min(size, self._remaining))
        if not data:
            self._fail("Тело запроса обрывается")
        self._remaining -= len(data)
        return data

    def _read_chunked(self, size: int) -> bytes:
        if self._chunk_left == 0:
            line = self._rfile.readline(1024)
            try:
                self._chunk_left = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._fail("Неверное chunked-кодирование")
            if self._chunk_left == 0:
                while self._rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers are ignored
                self._done = True
                return b""
        data = self._rfile.read(min(size, self._chunk_left))
        if not data:
            self._fail("Тело запроса обрывается")
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and self._rfile.readline(1024) not in (b"\r\n", b"\n"):
            self._fail("Неверное chunked-кодирование")
        return data

    def read_all(self, limit: int) -> bytes:
        parts = []
        total = 0
        while chunk := self.read(256 * 1024):
            total += len(chunk)
            if total > limit:
                self.drain()
                raise ApiError(413, "Слишком большой запрос")
            parts.append(chunk)
        return b"".join(parts)

    def drain(self) -> None:
        """Discard the rest so the next request on the connection parses correctly."""
        while self.read(256 * 1024):
            pass


def decode_body(
    reader: BodyReader, content_type: str, incoming_dir: Path, uploads: list[UploadedFile]
) -> dict[str, Any]:
    """Decode the body into Rack-style nested params.

    File parts are appended to `uploads` as soon as they touch the disk, so the caller
    can delete the ones no handler adopted even when parsing fails half-way.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        parser = MultipartParser(reader.read, boundary_of(content_type), incoming_dir)
        try:
            pairs = parser.parse()
        finally:
            uploads.extend(parser.files)
        reader.drain()  # epilogue
        return nest(pairs)
    raw = reader.read_all(MAX_JSON_BODY)
    if not raw.strip():
        return {}
    if media_type == "application/x-www-form-urlencoded":
        return nest(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    # Rails parses JSON only for a JSON media type; other bodies carry no params.
    if media_type.endswith("json"):
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise ApiError(400, "Неверный формат JSON в теле запроса") from None
        # A top-level JSON array becomes params["_json"] in Rails: no usable fields.
        return decoded if isinstance(decoded, dict) else {"_json": decoded}
    return {}
