"""Files to Telegram media, sent as they are (never re-encoded), each with our own random_id.

We build the MTProto requests ourselves rather than calling ``send_file``: Telethon picks
random_ids itself there, and our exactly-once guarantee rests on choosing and storing them
before the first attempt.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from telethon import TelegramClient, utils
from telethon.tl import functions, types

from syncd.formatting import FormattedText
from syncd.telegram.entities import to_telethon


def _mime(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


async def uploaded_media(client: TelegramClient, path: Path, file_name: str, send_as: str) -> Any:
    """Upload ``path`` (streamed by Telethon in parts) and describe it as a photo, video or document."""
    handle = await client.upload_file(str(path), file_name=file_name)
    if send_as == "photo":
        return types.InputMediaUploadedPhoto(file=handle)
    mime = _mime(file_name)
    attributes, mime = utils.get_attributes(
        str(path), mime_type=mime, force_document=send_as == "document",
        supports_streaming=send_as == "video",
    )
    # The temporary file's name must not leak into Telegram: the client sees the original one.
    attributes = [a for a in attributes if not isinstance(a, types.DocumentAttributeFilename)]
    attributes.append(types.DocumentAttributeFilename(file_name=file_name))
    return types.InputMediaUploadedDocument(
        file=handle, mime_type=mime, attributes=attributes, force_file=send_as == "document",
    )


def sent_message_ids(result: Any, random_ids: list[int]) -> list[int]:
    """The ids Telegram gave our messages, matched by random_id (albums answer in any order)."""
    if isinstance(result, types.UpdateShortSentMessage):
        return [result.id]
    by_random = {u.random_id: u.id for u in getattr(result, "updates", []) if isinstance(u, types.UpdateMessageID)}
    return [by_random[r] for r in random_ids if r in by_random]


async def send_text(client: TelegramClient, peer: Any, text: FormattedText, random_id: int,
                    reply_markup: Any = None) -> list[int]:
    result = await client(functions.messages.SendMessageRequest(
        peer=peer, message=text.text, random_id=random_id, entities=to_telethon(text.entities) or None,
        no_webpage=True, reply_markup=reply_markup,
    ))
    return sent_message_ids(result, [random_id])


async def send_single(client: TelegramClient, peer: Any, path: Path, file_name: str, send_as: str,
                      random_id: int) -> list[int]:
    media = await uploaded_media(client, path, file_name, send_as)
    result = await client(functions.messages.SendMediaRequest(
        peer=peer, media=media, message="", random_id=random_id,
    ))
    return sent_message_ids(result, [random_id])


async def send_album(client: TelegramClient, peer: Any, items: list[tuple[Path, str, str]],
                     random_ids: list[int]) -> list[int]:
    """2..10 items: each uploaded and registered with UploadMedia, then one SendMultiMedia."""
    singles = []
    for (path, file_name, send_as), random_id in zip(items, random_ids, strict=False):
        uploaded = await uploaded_media(client, path, file_name, send_as)
        registered = await client(functions.messages.UploadMediaRequest(peer=peer, media=uploaded))
        singles.append(types.InputSingleMedia(media=utils.get_input_media(registered), random_id=random_id,
                                              message=""))
    result = await client(functions.messages.SendMultiMediaRequest(peer=peer, multi_media=singles))
    return sent_message_ids(result, random_ids)
