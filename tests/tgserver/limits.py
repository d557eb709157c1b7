"""Telegram's limits for bots, with the error names Telegram really answers."""

from __future__ import annotations

from typing import Any

from .images import ImageInfo

MESSAGE_LENGTH_MAX = 4096  # UTF-16 code units
CAPTION_LENGTH_MAX = 1024  # UTF-16 code units (non-premium, which includes bots)
CALLBACK_DATA_MAX = 64  # bytes
ALBUM_MIN, ALBUM_MAX = 2, 10
PHOTO_SIZE_MAX = 10 * 1024 * 1024
PHOTO_SIDES_SUM_MAX = 10_000
PHOTO_RATIO_MAX = 20
UPLOAD_PART_MAX = 512 * 1024
UPLOAD_PARTS_MAX = 4000
SMALL_FILE_MAX = 10 * 1024 * 1024  # above this, Telethon switches to SaveBigFilePart
BOT_COMMANDS_MAX = 100


class RpcFail(Exception):
    """An RPC error answered to the client as rpc_error(error_code, error_message)."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(f"{code} {message}")
        self.message = message
        self.code = code


def utf16_len(text: str) -> int:
    """Telegram measures texts and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str, entities: list[Any] | None, *, caption: bool, options: Any) -> list[Any] | None:
    """Validate a message text or a media caption and its formatting entities; return the entities
    Telegram keeps (options: the server's Options, for the entity limits)."""
    length = utf16_len(text)
    if caption:
        if length > CAPTION_LENGTH_MAX:
            raise RpcFail("MEDIA_CAPTION_TOO_LONG")
    else:
        # Telegram trims surrounding whitespace; nothing left means an empty message.
        if not text.strip():
            raise RpcFail("MESSAGE_EMPTY")
        if length > MESSAGE_LENGTH_MAX:
            raise RpcFail("MESSAGE_TOO_LONG")
    check_entities(text, entities)
    return limit_entities(entities, options)


def check_entities(text: str, entities: list[Any] | None) -> None:
    length = utf16_len(text)
    for entity in entities or ():
        offset, size = entity.offset, entity.length
        if offset < 0 or size <= 0 or offset + size > length:
            raise RpcFail("ENTITY_BOUNDS_INVALID")


def entities_size(entities: list[Any] | None) -> int:
    """What the size limit measures (an approximation, see Options.max_entities_size): each entity's
    own text plus the URL it carries."""
    return sum(e.length + len(getattr(e, "url", None) or "") for e in entities or ())


def limit_entities(entities: list[Any] | None, options: Any) -> list[Any] | None:
    """ENTITIES_TOO_LONG past the size limit or (entities_over_limit="error") the count limit;
    with "ignore", the entities past the count are dropped and the message goes as it is."""
    if not entities:
        return entities
    if options.max_entities_size is not None and entities_size(entities) > options.max_entities_size:
        raise RpcFail("ENTITIES_TOO_LONG")
    if options.max_entities is not None and len(entities) > options.max_entities:
        if options.entities_over_limit == "ignore":
            return list(entities)[: options.max_entities]
        raise RpcFail("ENTITIES_TOO_LONG")
    return entities


def check_reply_markup(markup: Any) -> None:
    """Inline callback buttons carry at most 64 bytes of data (BUTTON_DATA_INVALID)."""
    for row in getattr(markup, "rows", None) or ():
        for button in getattr(row, "buttons", None) or ():
            data = callback_data(button)
            if data is not None and (not data or len(data) > CALLBACK_DATA_MAX):
                raise RpcFail("BUTTON_DATA_INVALID")


def callback_data(button: Any) -> bytes | None:
    """The callback data of an inline button, whatever the layer calls its class."""
    data = getattr(button, "data", None)
    if data is None:
        data = getattr(getattr(button, "type", None), "data", None)
    return data if isinstance(data, bytes) else None


def markup_callback_data(markup: Any) -> list[bytes]:
    found = []
    for row in getattr(markup, "rows", None) or ():
        for button in getattr(row, "buttons", None) or ():
            data = callback_data(button)
            if data is not None:
                found.append(data)
    return found


def check_photo(size: int, info: ImageInfo | None) -> None:
    """What Telegram checks before it accepts an uploaded file as a photo."""
    if size > PHOTO_SIZE_MAX:
        raise RpcFail("PHOTO_SAVE_FILE_INVALID")
    if info is None:
        raise RpcFail("IMAGE_PROCESS_FAILED")
    w, h = info.width, info.height
    if w <= 0 or h <= 0 or w + h > PHOTO_SIDES_SUM_MAX or max(w, h) > PHOTO_RATIO_MAX * min(w, h):
        raise RpcFail("PHOTO_INVALID_DIMENSIONS")


def check_album_size(count: int) -> None:
    if count > ALBUM_MAX:
        raise RpcFail("MULTI_MEDIA_TOO_LONG")
    if count < ALBUM_MIN:
        # Telegram refuses one-item albums with MEDIA_INVALID (not a "too short" error).
        raise RpcFail("MEDIA_INVALID")


def check_part_size(size: int) -> None:
    """Every part but the last: divisible by 1 KiB and a divisor of 512 KiB."""
    if size % 1024 or UPLOAD_PART_MAX % size:
        raise RpcFail("FILE_PART_SIZE_INVALID")
