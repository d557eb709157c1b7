"""Downloading an attachment: a fresh short-lived link, then a streamed copy to disk.

Okdesk hands out a storage link valid for about 30 s. It is fetched right before each
try, never reused; a link that answers 403/404/410 has expired and is replaced once.
Files are streamed in 1 MiB chunks to ``<dest>.part`` and renamed when complete, so a
half-written file never appears under its final name.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import requests

from .errors import OkdeskPrivateFile, OkdeskTooLarge, OkdeskUnavailable
from .models import AttachmentLink
from .transport import Transport, log

CHUNK = 1024 * 1024
EXPIRED_LINK = (403, 404, 410)


def download(
    transport: Transport,
    get_link: Callable[[], AttachmentLink],
    dest: Path,
    *,
    label: str,
    max_bytes: int | None = None,
    background: bool = False,
    public_only: bool = False,
) -> int:
    """Returns the bytes written. OkdeskTooLarge past ``max_bytes`` (nothing kept);
    OkdeskPrivateFile with ``public_only`` when the attachment's own answer says it is private;
    OkdeskUnavailable when the storage keeps failing after the transport's GET retries."""
    expired_left = 1
    failures_left = transport.get_retries
    attempt = 0
    while True:
        link = get_link()
        if public_only and link.is_public is False:
            raise OkdeskPrivateFile(f"{label}: private", kind="private")
        if max_bytes is not None and link.size is not None and link.size > max_bytes:
            raise OkdeskTooLarge(
                f"{label}: {link.size} bytes > limit {max_bytes}", kind="max_bytes"
            )
        try:
            resp = transport.storage_get(link.url, background=background)
            with contextlib.closing(resp):
                status = resp.status_code
                if status in EXPIRED_LINK and expired_left:
                    expired_left -= 1
                    log.debug("okdesk_link_expired", label=label, status=status)
                    continue
                if not 200 <= status < 300:
                    raise OkdeskUnavailable(
                        f"{label}: storage link answered", status=status, kind="storage_link"
                    )
                return _write(transport, resp, Path(dest), max_bytes, label)
        except OkdeskUnavailable:
            if failures_left <= 0:
                raise
            failures_left -= 1
            wait = min(transport.retry_cap, transport.backoff_base * 2**attempt) * random.uniform(
                0.75, 1.0
            )
            attempt += 1
            time.sleep(wait)


def _write(
    transport: Transport, resp: requests.Response, dest: Path, max_bytes: int | None, label: str
) -> int:
    length = resp.headers.get("Content-Length", "")
    if max_bytes is not None and length.isdigit() and int(length) > max_bytes:
        raise OkdeskTooLarge(f"{label}: {length} bytes > limit {max_bytes}", kind="max_bytes")
    part = dest.with_name(dest.name + ".part")
    written = 0
    done = False
    try:
        with open(part, "wb") as fh:
            for chunk in transport.iter_storage(resp, CHUNK):
                written += len(chunk)
                if max_bytes is not None and written > max_bytes:
                    raise OkdeskTooLarge(f"{label}: more than {max_bytes} bytes", kind="max_bytes")
                fh.write(chunk)
        if length.isdigit() and int(length) != written:
            raise OkdeskUnavailable(
                f"{label}: got {written} of {length} bytes", kind="storage_short"
            )
        os.replace(part, dest)
        done = True
        return written
    finally:
        if not done:
            with contextlib.suppress(OSError):
                part.unlink()
