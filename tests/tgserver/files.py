"""Uploaded parts and stored files, kept on disk under files_dir.

Parts go to files_dir/uploads/<owner>-<file_id>/<part> as SaveFilePart/SaveBigFilePart
deliver them; when a request uses the InputFile they are checked the way Telegram checks
them and joined into files_dir/files/<name>, which upload.getFile then serves. Tests can
compare Blob.sha256 or open Blob.path.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from telethon.tl import types

from .limits import (
    UPLOAD_PART_MAX,
    UPLOAD_PARTS_MAX,
    RpcFail,
    check_part_size,
)


@dataclass(frozen=True)
class Blob:
    """One stored file."""

    path: Path
    size: int
    sha256: str
    md5: str

    def read(self, offset: int, limit: int) -> bytes:
        with self.path.open("rb") as fh:
            fh.seek(offset)
            return fh.read(limit)

    def read_all(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class _Upload:
    directory: Path
    parts: dict[int, int] = field(default_factory=dict)  # part index -> byte length
    total_parts: int | None = None  # file_total_parts of SaveBigFilePart; None for small files
    blob: Blob | None = None  # once joined; an InputFile may be used again
    blob_parts: int = 0


class FileStore:
    def __init__(self, root: Path) -> None:
        self._uploads_dir = root / "uploads"
        self._files_dir = root / "files"
        self._uploads_dir.mkdir(parents=True, exist_ok=True)
        self._files_dir.mkdir(parents=True, exist_ok=True)
        self._uploads: dict[tuple[int, int], _Upload] = {}

    # ------------------------------------------------------------ upload.saveFilePart & co

    def save_part(
        self, owner: int, file_id: int, part: int, data: bytes, total_parts: int | None = None
    ) -> None:
        """Store one part. owner is the auth key id: uploads belong to the session."""
        if not data:
            raise RpcFail("FILE_PART_EMPTY")
        if len(data) > UPLOAD_PART_MAX:
            raise RpcFail("FILE_PART_TOO_BIG")
        if total_parts is not None and not 1 <= total_parts <= UPLOAD_PARTS_MAX:
            raise RpcFail("FILE_PARTS_INVALID")
        limit = total_parts if total_parts is not None else UPLOAD_PARTS_MAX
        if not 0 <= part < limit:
            raise RpcFail("FILE_PART_INVALID")
        if total_parts is not None and part < total_parts - 1:
            # For big files the server knows which part is the last one, so it checks now.
            check_part_size(len(data))

        key = (owner, file_id)
        upload = self._uploads.get(key)
        if upload is None or upload.blob is not None:
            # A file_id used again after a successful send starts a new upload.
            directory = self._uploads_dir / f"{owner:x}-{file_id & (2**64 - 1):x}"
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
            upload = self._uploads[key] = _Upload(directory=directory)
        if total_parts is not None:
            if upload.total_parts not in (None, total_parts):
                raise RpcFail("FILE_PARTS_INVALID")
            upload.total_parts = total_parts
        (upload.directory / str(part)).write_bytes(data)
        upload.parts[part] = len(data)

    # ------------------------------------------------------------ using an InputFile

    def take(self, owner: int, input_file: object) -> Blob:
        """Join and check the parts an InputFile / InputFileBig names."""
        if not isinstance(input_file, (types.InputFile, types.InputFileBig)):
            raise RpcFail("FILE_ID_INVALID")
        upload = self._uploads.get((owner, input_file.id))
        parts = input_file.parts
        if upload is None:
            raise RpcFail("FILE_PART_0_MISSING")
        if upload.blob is not None and upload.blob_parts == parts:
            return upload.blob
        if not 1 <= parts <= UPLOAD_PARTS_MAX:
            raise RpcFail("FILE_PARTS_INVALID")
        if isinstance(input_file, types.InputFileBig) and upload.total_parts != parts:
            raise RpcFail("FILE_PARTS_INVALID")
        for index in range(parts):
            if index not in upload.parts:
                raise RpcFail(f"FILE_PART_{index}_MISSING")
        part_size = upload.parts[0]
        if parts > 1:
            check_part_size(part_size)
            if any(upload.parts[i] != part_size for i in range(parts - 1)):
                raise RpcFail("FILE_PART_SIZE_INVALID")
            if upload.parts[parts - 1] > part_size:
                raise RpcFail("FILE_PART_SIZE_INVALID")

        blob = self._join(upload, parts)
        md5 = getattr(input_file, "md5_checksum", "")
        if md5 and md5.lower() != blob.md5:
            blob.path.unlink()
            raise RpcFail("MD5_CHECKSUM_INVALID")
        shutil.rmtree(upload.directory, ignore_errors=True)
        upload.blob, upload.blob_parts = blob, parts
        return blob

    def _join(self, upload: _Upload, parts: int) -> Blob:
        target = self._files_dir / uuid.uuid4().hex
        sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
        with target.open("wb") as out:
            for index in range(parts):
                chunk = (upload.directory / str(index)).read_bytes()
                sha.update(chunk)
                md5.update(chunk)
                size += len(chunk)
                out.write(chunk)
        return Blob(path=target, size=size, sha256=sha.hexdigest(), md5=md5.hexdigest())

    # ------------------------------------------------------------ files users send

    def store_path(self, source: Path, chunk: int = 1 << 20) -> Blob:
        """A copy of a file on disk, made in chunks: a big file is never held in memory."""
        target = self._files_dir / uuid.uuid4().hex
        sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
        with source.open("rb") as src, target.open("wb") as out:
            while block := src.read(chunk):
                sha.update(block)
                md5.update(block)
                size += len(block)
                out.write(block)
        return Blob(path=target, size=size, sha256=sha.hexdigest(), md5=md5.hexdigest())

    def store_bytes(self, data: bytes) -> Blob:
        target = self._files_dir / uuid.uuid4().hex
        target.write_bytes(data)
        return Blob(
            path=target,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            md5=hashlib.md5(data).hexdigest(),
        )
