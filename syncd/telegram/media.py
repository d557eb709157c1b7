"""Files to Telegram media, sent as they are (never re-encoded), each with our own random_id.

We build the MTProto requests ourselves rather than calling ``send_file``: Telethon picks
random_ids itself there, and our exactly-once guarantee rests on choosing and storing them
before the first attempt.
"""

from __future__ import annotations

import contextlib
import mimetypes
from pathlib import Path
from typing import Any

from telethon import Button, errors, utils
from telethon.errors import MultiError
from telethon.tl import functions, types

from syncd.formatting import FormattedText
from syncd.formatting.entity_limits import attempts
from syncd.logs import get_logger
from syncd.telegram.entities import to_telethon
from syncd.telegram.errors import REPLY_TARGET_REFUSED, error_name
from syncd.telegram.port import TelegramPort

with contextlib.suppress(ImportError):
    # hachoir (which Telethon asks for a video's size and duration) prints its parsers' warnings
    # to stdout, in the middle of our JSON log lines.
    import hachoir.core.config as _hachoir_config

    _hachoir_config.quiet = True

log = get_logger(__name__)


def _mime(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


async def uploaded_media(client: TelegramPort, path: Path, file_name: str, send_as: str) -> Any:
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


def inline_markup(buttons: Any) -> Any:
    """Rows of (label, callback data) as Telegram's inline keyboard; None without buttons."""
    if not buttons:
        return None
    # Telethon builds the buttons: its layer's button types change between releases.
    return types.ReplyInlineMarkup(rows=[
        types.KeyboardButtonRow(buttons=[Button.inline(label, data.encode()) for label, data in row])
        for row in buttons])


async def send_text(client: TelegramPort, peer: Any, text: FormattedText, random_id: int,
                    reply_markup: Any = None, reply_to: int | None = None) -> list[int]:
    """One text message. Formatting Telegram finds too much (ENTITIES_TOO_LONG) is reduced step by
    step (syncd.formatting.entity_limits), never the words: the message must arrive, plainer if need
    be, rather than fail until it is parked. Every version goes under the same random_id, which
    stays exactly-once: Telegram keeps no trace of a request it refused."""
    versions = attempts(text)
    version = next(versions)
    while True:
        try:
            result = await client(functions.messages.SendMessageRequest(
                peer=peer, message=version.text.text, random_id=random_id,
                entities=to_telethon(version.text.entities) or None, no_webpage=True, reply_markup=reply_markup,
                reply_to=types.InputReplyToMessage(reply_to_msg_id=reply_to) if reply_to else None,
            ))
        except REPLY_TARGET_REFUSED as exc:
            # The message replied to is gone (the client deleted it): the same message goes as a plain
            # one, at once, under the same random_id. A refused send created nothing, so the random_id
            # is still free (Telegram deduplicates by the messages it made; the test server records a
            # random_id only with the message it creates). Keeping it stays exactly-once should the
            # first send have gone after all: its repeat is answered with that message, not a second one.
            if not reply_to:
                raise
            log.info("reply_target_refused_sent_plain", error=error_name(exc), reply_to=reply_to)
            reply_to = None
            continue
        except errors.EntitiesTooLongError:
            plainer = next(versions, None)
            if plainer is None:  # nothing left to take away (not expected: the last has no entity)
                raise
            log.warning("entities_too_long", entities=len(version.text.entities))
            version = plainer
            continue
        if version.text != text:
            # urls_lost: links whose address the client cannot see (no room left to write them out).
            (log.warning if version.urls_lost else log.info)(
                "formatting_reduced", entities=len(text.entities), kept=len(version.text.entities),
                urls_lost=version.urls_lost)
        return sent_message_ids(result, [random_id])


async def send_single(client: TelegramPort, peer: Any, path: Path, file_name: str, send_as: str,
                      random_id: int) -> list[int]:
    media = await uploaded_media(client, path, file_name, send_as)
    result = await client(functions.messages.SendMediaRequest(
        peer=peer, media=media, message="", random_id=random_id,
    ))
    return sent_message_ids(result, [random_id])


async def prepare_album_item(client: TelegramPort, peer: Any, path: Path, file_name: str, send_as: str) -> Any:
    """Upload one album item and register it with UploadMedia; Telegram refuses a bad photo here,
    before anything is sent, so the caller can still send that one item another way."""
    uploaded = await uploaded_media(client, path, file_name, send_as)
    registered = await client(functions.messages.UploadMediaRequest(peer=peer, media=uploaded))
    return utils.get_input_media(registered)


async def send_prepared(client: TelegramPort, peer: Any, input_media: Any, random_id: int) -> list[int]:
    """One already registered file as its own message (no second upload)."""
    result = await client(functions.messages.SendMediaRequest(
        peer=peer, media=input_media, message="", random_id=random_id,
    ))
    return sent_message_ids(result, [random_id])


async def send_album(client: TelegramPort, peer: Any, items: list[tuple[Any, int]]) -> list[int]:
    """2..10 registered items (input media, random_id) as one SendMultiMedia: one album."""
    singles = [types.InputSingleMedia(media=m, random_id=r, message="") for m, r in items]
    result = await client(functions.messages.SendMultiMediaRequest(peer=peer, multi_media=singles))
    return sent_message_ids(result, [r for _m, r in items])


async def send_each(client: TelegramPort, peer: Any, items: list[tuple[Any, int]]) -> list[tuple[list[int], Exception | None]]:
    """2+ registered items, each its own message, in one batch: (message ids, error) per item.

    One batch rather than one call each: Telethon sleeps 2 s after every error it classes as a
    server error, RANDOM_ID_DUPLICATE included, but not when several requests go together.
    Not ``ordered``: a request chained with invokeAfterMsg fails (MSG_WAIT_FAILED) when the one
    before it failed, and here the ones before are expected to fail as duplicates.
    """
    requests = [functions.messages.SendMediaRequest(peer=peer, media=m, message="", random_id=r)
                for m, r in items]
    try:
        results = await client(requests)
        errors: list[Exception | None] = [None] * len(items)
    except MultiError as multi:
        results, errors = multi.results, multi.exceptions
    return [([] if res is None else sent_message_ids(res, [r]), err)
            for (_m, r), res, err in zip(items, results, errors, strict=True)]
