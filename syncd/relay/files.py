"""Files of a client's message, from Telegram to a temporary file (streamed, never in memory).

The media is kept serialized with the message, so a job can fetch its files after a restart. Its
``file_reference`` expires (core.telegram.org/api/file_reference): upload.getFile then fails with
FILE_REFERENCE_EXPIRED (or another FILE_REFERENCE_* error), and the message is fetched again for a
fresh one. A reference may also expire in the middle of a long download (Telethon issue #4341): the
download goes on from the bytes already written instead of starting over.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from telethon import errors
from telethon.extensions import BinaryReader
from telethon.tl import types

from syncd.logs import get_logger
from syncd.relay.content import largest_photo_size
from syncd.store.rows import InboxMessage
from syncd.telegram.errors import error_name
from syncd.telegram.port import TelegramPort

log = get_logger(__name__)
# Bytes per upload.getFile: Telegram's largest part, and a divisor of 1 MiB as a resumed offset must be.
PART = 512 * 1024
# Renewals in a row that brought no new byte: the reference is not the problem, give up this try.
MAX_IDLE_RENEWALS = 3


def media_of(row: InboxMessage) -> Any | None:
    if not row.media:
        return None
    with BinaryReader(base64.b64decode(row.media)) as reader:
        return reader.tgread_object()


def stale_reference(exc: BaseException) -> bool:
    """Telegram no longer takes the file_reference we gave (told by the error's class; for the
    FILE_REFERENCE_* errors Telethon has no class of, by the name it maps the class to)."""
    if isinstance(exc, (errors.FileReferenceExpiredError, errors.FileReferenceInvalidError)):
        return True
    return isinstance(exc, errors.RPCError) and error_name(exc).startswith("FILE_REFERENCE_")


def file_location(media: Any) -> tuple[Any, int | None, int | None]:
    """(InputFileLocation, size in bytes or None, data centre) of a message's photo or document."""
    document = getattr(media, "document", None)
    if isinstance(document, types.Document):
        location = types.InputDocumentFileLocation(id=document.id, access_hash=document.access_hash,
                                                   file_reference=document.file_reference, thumb_size="")
        return location, document.size, document.dc_id
    photo = getattr(media, "photo", None)
    if isinstance(photo, types.Photo):
        thumb, size = largest_photo_size(photo)
        location = types.InputPhotoFileLocation(id=photo.id, access_hash=photo.access_hash,
                                                file_reference=photo.file_reference, thumb_size=thumb)
        return location, size, photo.dc_id
    raise ValueError(f"no file in {type(media).__name__}")


async def _fetch(tg: TelegramPort, where: tuple[Any, int | None, int | None], dest: Path) -> None:
    """Download (file_location's answer) into ``dest``, going on from the whole parts already there."""
    location, size, dc_id = where
    have = dest.stat().st_size if dest.exists() else 0
    have -= have % PART  # a part cut off by a crash is fetched again
    if size is not None and have >= size:
        return
    with open(dest, "r+b" if dest.exists() else "wb") as fh:
        fh.seek(have)
        fh.truncate()
        async for chunk in tg.iter_download(location, offset=have, request_size=PART, dc_id=dc_id):
            fh.write(chunk)


async def _fresh_media(tg: TelegramPort, peer: Any, row: InboxMessage) -> Any | None:
    message = await tg.get_messages(peer, ids=row.tg_message_id)
    return None if message is None else message.media


async def download(tg: TelegramPort, peer: Any, row: Any, dest: Path) -> bool:
    """Download the message's file to ``dest``; False when Telegram no longer has it (the client
    deleted the message, say). Other failures (network) raise: the job is retried later, and goes on
    from what this try wrote."""
    media = media_of(row)
    idle_renewals = 0
    while True:
        if media is None:
            media = await _fresh_media(tg, peer, row)
            if media is None:
                return False
        try:
            where = file_location(media)
        except ValueError:  # the message no longer holds a file (edited into something else)
            return False
        before = dest.stat().st_size if dest.exists() else 0
        try:
            await _fetch(tg, where, dest)
            return dest.exists()
        except errors.RPCError as exc:
            if not stale_reference(exc):
                raise
            after = dest.stat().st_size if dest.exists() else 0
            idle_renewals = 0 if after > before else idle_renewals + 1
            if idle_renewals > MAX_IDLE_RENEWALS:
                raise
            log.info("inbound_file_reference_renewed", error=error_name(exc), downloaded=after)
            media = None
