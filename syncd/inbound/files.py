"""Files of a client's message, from Telegram to a temporary file (streamed, never in memory).

The media is kept serialized with the message, so a job can fetch its files after a restart. A
file reference Telegram no longer accepts is renewed by fetching the message again.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from telethon import TelegramClient
from telethon.errors import RPCError
from telethon.extensions import BinaryReader

from syncd.logs import get_logger

log = get_logger(__name__)


def media_of(row: Any) -> Any | None:
    if not row.media:
        return None
    with BinaryReader(base64.b64decode(row.media)) as reader:
        return reader.tgread_object()


def _stale_reference(exc: Exception) -> bool:
    return "FILE_REFERENCE" in str(getattr(exc, "message", "") or exc).upper()


async def download(tg: TelegramClient, peer: Any, row: Any, dest: Path) -> bool:
    """Download the message's file to ``dest``; False when Telegram no longer has it (the client
    deleted the message, say). Other failures (network) raise: the job is retried later."""
    media = media_of(row)
    if media is not None:
        try:
            if await tg.download_media(media, file=str(dest)) is not None and dest.exists():
                return True
        except RPCError as exc:
            if not _stale_reference(exc):
                raise
            log.info("inbound_file_reference_renewed")
    message = await tg.get_messages(peer, ids=row.tg_message_id)
    if message is None or message.media is None:
        return False
    return await tg.download_media(message, file=str(dest)) is not None and dest.exists()
