"""Files on disk and the short-lived download links that point at them.

Okdesk hands out an S3-like `attachment_url` valid for ~30 s (§4).  The emulator
serves those links itself under /storage/<token>/<file name>, without api_token,
and refuses expired ones the way S3 does (403 + XML body).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

COPY_CHUNK = 1024 * 1024

EXPIRED_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    "<Message>Request has expired</Message><RequestId>{request_id}</RequestId></Error>"
)
UNKNOWN_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    "<Message>The specified key does not exist.</Message>"
    "<RequestId>{request_id}</RequestId></Error>"
)


@dataclass
class StoredFile:
    """A file adopted into the blob directory, ready to become an attachment."""

    path: Path
    file_name: str
    size: int
    content_type: str
    is_public: bool
    description: str
    sha256: str  # hex digest of the content


@dataclass
class _Link:
    attachment_id: int
    file_name: str
    expires_at: float  # time.monotonic()


def guess_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


class FileStore:
    def __init__(self, root: Path):
        self.incoming = root / "incoming"  # multipart parts being received
        self.blobs = root / "blobs"  # files that belong to attachments
        self.incoming.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)
        self._links: dict[str, _Link] = {}
        self._lock = threading.Lock()

    def _blob_path(self) -> Path:
        return self.blobs / secrets.token_hex(12)

    def adopt(
        self,
        source: Path,
        file_name: str,
        content_type: str,
        is_public: bool,
        description: str,
        sha256: str,
    ) -> StoredFile:
        """Move an incoming upload into the blob directory (same filesystem: a rename).

        `sha256` was computed while the upload streamed in, so big files are not re-read.
        """
        target = self._blob_path()
        os.replace(source, target)
        if content_type in ("", "application/octet-stream"):
            # Like Okdesk's storage, detect a missing/generic type from the name.
            content_type = guess_type(file_name)
        return StoredFile(
            path=target,
            file_name=file_name,
            size=target.stat().st_size,
            content_type=content_type,
            is_public=is_public,
            description=description,
            sha256=sha256,
        )

    def ingest(
        self,
        file_name: str,
        *,
        data: bytes | None = None,
        source: Path | None = None,
        is_public: bool = True,
        description: str = "",
        content_type: str | None = None,
    ) -> StoredFile:
        """Store bytes or a copy of a file (streamed, so big fixtures stay off the heap)."""
        if (data is None) == (source is None):
            raise ValueError("give exactly one of data= or path=")
        target = self._blob_path()
        if data is not None:
            target.write_bytes(data)
            digest = hashlib.sha256(data)
        else:
            assert source is not None
            digest = hashlib.sha256()
            with open(source, "rb") as src, open(target, "wb") as dst:
                while block := src.read(COPY_CHUNK):
                    digest.update(block)
                    dst.write(block)
        return StoredFile(
            path=target,
            file_name=file_name,
            size=target.stat().st_size,
            content_type=content_type or guess_type(file_name),
            is_public=is_public,
            description=description,
            sha256=digest.hexdigest(),
        )

    def discard(self, path: Path) -> None:
        path.unlink(missing_ok=True)  # adopted uploads were moved away already

    # -- download links -------------------------------------------------------------
    def issue_link(self, base_url: str, attachment_id: int, file_name: str, ttl: float) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            # Forget links long dead so a long benchmark does not grow this dict forever.
            stale = [key for key, link in self._links.items() if link.expires_at < now - 3600]
            for key in stale:
                del self._links[key]
            self._links[token] = _Link(attachment_id, file_name, now + ttl)
        return f"{base_url}/storage/{token}/{quote(file_name, safe='')}"

    def resolve_link(self, token: str, file_name: str) -> tuple[str, int]:
        """('ok', attachment id) | ('expired', 0) | ('unknown', 0)."""
        with self._lock:
            link = self._links.get(token)
        if link is None or link.file_name != file_name:
            return "unknown", 0
        if time.monotonic() >= link.expires_at:
            return "expired", 0
        return "ok", link.attachment_id
