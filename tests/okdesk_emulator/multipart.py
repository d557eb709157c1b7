"""Streaming multipart/form-data parser.

Uploads can be hundreds of megabytes, so file parts are written straight to disk
in bounded chunks; only ordinary fields are kept in memory (with a cap).  The
stdlib `email` parser would hold the whole body, and `cgi` is gone in 3.13.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .params import ApiError

READ_SIZE = 256 * 1024
MAX_HEADER_BLOCK = 64 * 1024
MAX_FIELD_SIZE = 16 * 1024 * 1024

_PARAM_RE = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass
class UploadedFile:
    """A file part already on disk (under the emulator's incoming directory)."""

    field: str
    filename: str
    content_type: str
    path: Path
    size: int
    sha256: str = ""  # hex digest of the content, computed while streaming to disk


def boundary_of(content_type: str) -> bytes:
    params = header_params(content_type)
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise ApiError(400, "Неверный запрос: нет boundary в multipart/form-data")
    return boundary.encode("latin-1", "replace")


def header_params(value: str) -> dict[str, str]:
    """Parameters of a header like `form-data; name="a"; filename*=UTF-8''%D0%B0`."""
    params: dict[str, str] = {}
    for key, raw in _PARAM_RE.findall(value):
        key = key.lower()
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            # Browsers and urllib3 (HTML5 rule) percent-encode quotes and newlines.
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            raw = raw.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
        if key.endswith("*"):  # RFC 5987/2231: charset'lang'percent-encoded
            charset, _, rest = raw.partition("'")
            _, _, encoded = rest.partition("'")
            params[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="replace")
            continue
        params.setdefault(key, raw)  # an explicit filename* wins over filename
    return params


class MultipartParser:
    """Parse a body read through `read(n)`; returns (name, str | UploadedFile) pairs."""

    def __init__(self, read: Callable[[int], bytes], boundary: bytes, incoming_dir: Path):
        self._read = read
        # Searching for CRLF--boundary everywhere; a virtual CRLF before the body lets
        # the first boundary (which has none) match the same way.
        self._delimiter = b"\r\n--" + boundary
        self._buf = bytearray(b"\r\n")
        self._eof = False
        self._incoming = incoming_dir
        self.files: list[UploadedFile] = []  # every file written, for cleanup

    def parse(self) -> list[tuple[str, str | UploadedFile]]:
        fields: list[tuple[str, str | UploadedFile]] = []
        self._skip_to_delimiter()
        while self._after_delimiter_continues():
            headers = self._read_part_headers()
            disposition = header_params(headers.get("content-disposition", ""))
            name = disposition.get("name")
            if name is None:
                raise ApiError(400, "Неверный запрос: часть multipart без имени")
            if "filename" in disposition:
                fields.append((name, self._read_file_part(name, disposition, headers)))
            else:
                fields.append((name, self._read_field_part().decode("utf-8", "replace")))
        return fields

    # -- buffer plumbing ------------------------------------------------------------
    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._read(READ_SIZE)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def _need(self, count: int) -> None:
        while len(self._buf) < count:
            if not self._fill():
                raise ApiError(400, "Неверный запрос: multipart обрывается")

    def _skip_to_delimiter(self) -> None:
        while True:
            index = self._buf.find(self._delimiter)
            if index >= 0:
                del self._buf[: index + len(self._delimiter)]
                return
            # Preamble: keep only a tail that could be the start of the delimiter.
            del self._buf[: max(0, len(self._buf) - len(self._delimiter))]
            if not self._fill():
                raise ApiError(400, "Неверный запрос: в теле нет boundary")

    def _after_delimiter_continues(self) -> bool:
        self._need(2)
        marker = bytes(self._buf[:2])
        del self._buf[:2]
        if marker == b"--":
            return False  # closing delimiter; the epilogue is ignored
        if marker != b"\r\n":
            raise ApiError(400, "Неверный запрос: испорченный boundary")
        return True

    def _read_part_headers(self) -> dict[str, str]:
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self._buf) > MAX_HEADER_BLOCK or not self._fill():
                raise ApiError(400, "Неверный запрос: заголовки части multipart")
        block = bytes(self._buf[:end]).decode("utf-8", "replace")
        del self._buf[: end + 4]
        headers: dict[str, str] = {}
        for line in block.split("\r\n"):
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        return headers

    def _stream_part(self, sink: Callable[[bytes], None]) -> None:
        """Feed the part body to `sink` up to (not including) the next delimiter."""
        keep = len(self._delimiter) - 1  # a delimiter may straddle two reads
        while True:
            index = self._buf.find(self._delimiter)
            if index >= 0:
                sink(bytes(self._buf[:index]))
                del self._buf[: index + len(self._delimiter)]
                return
            if len(self._buf) > keep:
                cut = len(self._buf) - keep
                sink(bytes(self._buf[:cut]))
                del self._buf[:cut]
            if not self._fill():
                raise ApiError(400, "Неверный запрос: multipart обрывается")

    def _read_field_part(self) -> bytes:
        collected = bytearray()

        def sink(data: bytes) -> None:
            collected.extend(data)
            if len(collected) > MAX_FIELD_SIZE:
                raise ApiError(413, "Слишком большое значение поля")

        self._stream_part(sink)
        return bytes(collected)

    def _read_file_part(
        self, name: str, disposition: dict[str, str], headers: dict[str, str]
    ) -> UploadedFile:
        # Old browsers send full client paths; Rails keeps only the base name.
        filename = re.split(r"[\\/]", disposition["filename"])[-1]
        content_type = headers.get("content-type", "")
        handle, raw_path = tempfile.mkstemp(prefix="upload-", dir=self._incoming)
        path = Path(raw_path)
        size = 0
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out:
            uploaded = UploadedFile(name, filename, content_type, path, 0)
            self.files.append(uploaded)  # registered first so a failure still cleans up

            def sink(data: bytes) -> None:
                nonlocal size
                out.write(data)
                digest.update(data)
                size += len(data)

            self._stream_part(sink)
        uploaded.size = size
        uploaded.sha256 = digest.hexdigest()
        return uploaded
