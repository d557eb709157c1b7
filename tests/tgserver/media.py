"""Photos and documents: TL objects built from stored files, and their kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telethon.tl import types

from .files import Blob, FileStore
from .images import ImageInfo, sniff_image
from .limits import RpcFail
from .state import State, StoredMedia, now_dt, random_long

DC_ID = 2

# Telegram names photo sizes by their longest side.
_PHOTO_SIZE_TYPES = ((100, "s"), (320, "m"), (800, "x"), (1280, "y"), (2560, "w"))


def _size_type(info: ImageInfo) -> str:
    side = max(info.width, info.height)
    return next((t for limit, t in _PHOTO_SIZE_TYPES if side <= limit), "w")


def register_photo(state: State, blob: Blob, info: ImageInfo, file_name: str | None) -> StoredMedia:
    """Only one size, the original bytes: a real server re-encodes photos to JPEG, but serving
    the uploaded bytes lets tests compare sha256 end to end."""
    photo_id = random_long()
    photo = types.Photo(
        id=photo_id,
        access_hash=random_long(),
        file_reference=state.issue_reference(photo_id),
        date=now_dt(),
        sizes=[types.PhotoSize(type=_size_type(info), w=info.width, h=info.height, size=blob.size)],
        dc_id=DC_ID,
    )
    stored = StoredMedia("photo", photo, blob, file_name, info.mime_type)
    state.media[photo.id] = stored
    return stored


def register_document(
    state: State, blob: Blob, mime_type: str, attributes: list[Any], file_name: str | None
) -> StoredMedia:
    if file_name and not any(isinstance(a, types.DocumentAttributeFilename) for a in attributes):
        # Telegram names the document after the uploaded InputFile when no attribute does.
        attributes = [*attributes, types.DocumentAttributeFilename(file_name=file_name)]
    document_id = random_long()
    document = types.Document(
        id=document_id,
        access_hash=random_long(),
        file_reference=state.issue_reference(document_id),
        date=now_dt(),
        mime_type=mime_type or "application/octet-stream",
        size=blob.size,
        dc_id=DC_ID,
        attributes=attributes,
    )
    stored = StoredMedia(
        document_kind(attributes), document, blob, attr_file_name(attributes), document.mime_type
    )
    state.media[document.id] = stored
    return stored


def document_kind(attributes: list[Any]) -> str:
    by_type = {type(a): a for a in attributes}
    if types.DocumentAttributeSticker in by_type:
        return "sticker"
    if types.DocumentAttributeAnimated in by_type:
        return "animation"
    video = by_type.get(types.DocumentAttributeVideo)
    if video is not None:
        return "video_note" if video.round_message else "video"
    audio = by_type.get(types.DocumentAttributeAudio)
    if audio is not None:
        return "voice" if audio.voice else "audio"
    return "document"


def attr_file_name(attributes: list[Any]) -> str | None:
    for attr in attributes:
        if isinstance(attr, types.DocumentAttributeFilename):
            return attr.file_name
    return None


def message_media(stored: StoredMedia) -> types.MessageMediaPhoto | types.MessageMediaDocument:
    if stored.kind == "photo":
        return types.MessageMediaPhoto(photo=stored.tl)
    return types.MessageMediaDocument(
        document=stored.tl,
        video=stored.kind in ("video", "video_note") or None,
        round=stored.kind == "video_note" or None,
        voice=stored.kind == "voice" or None,
    )


def lookup(state: State, input_media_id: Any, *, photo: bool) -> StoredMedia:
    """InputPhoto / InputDocument -> stored media, checking the access hash."""
    stored = state.media.get(getattr(input_media_id, "id", None))
    if (
        stored is None
        or (stored.kind == "photo") != photo
        or stored.tl.access_hash != input_media_id.access_hash
    ):
        raise RpcFail("MEDIA_INVALID")
    return stored


def file_type(mime_type: str) -> Any:
    """storage.FileType that upload.getFile reports for a mime type."""
    return {
        "image/jpeg": types.storage.FileJpeg,
        "image/png": types.storage.FilePng,
        "image/gif": types.storage.FileGif,
        "image/webp": types.storage.FileWebp,
        "application/pdf": types.storage.FilePdf,
        "audio/mpeg": types.storage.FileMp3,
        "video/mp4": types.storage.FileMp4,
        "video/quicktime": types.storage.FileMov,
    }.get(mime_type, types.storage.FileUnknown)()


# ---------------------------------------------------------------- files users send

_DEFAULT_MIME = {
    "document": "application/octet-stream",
    "video": "video/mp4",
    "video_note": "video/mp4",
    "animation": "video/mp4",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "sticker": "image/webp",
}
_DEFAULT_NAME = {
    "document": "file.bin",
    "video": "video.mp4",
    "animation": "animation.mp4",
    "audio": "audio.mp3",
    "sticker": "sticker.webp",
}


def inbound_media(
    state: State,
    files: FileStore,
    kind: str,
    data: bytes,
    *,
    path: Path | str | None = None,
    file_name: str | None = None,
    mime_type: str | None = None,
    duration: int = 3,
    width: int = 640,
    height: int = 360,
    title: str | None = None,
    performer: str | None = None,
) -> tuple[types.MessageMediaPhoto | types.MessageMediaDocument, StoredMedia]:
    """The media of a file a user sends to the bot, stored so upload.getFile can serve it.
    path: the file on disk instead of data (copied in chunks; for big files)."""
    if path is not None and kind == "photo":
        data, path = Path(path).read_bytes(), None  # photos are small (10 MB at most)
    if kind == "photo":
        info = sniff_image(data)
        if info is None:
            raise ValueError("send_media(kind='photo') needs PNG/JPEG/GIF/WebP/BMP bytes")
        stored = register_photo(state, files.store_bytes(data), info, file_name)
        return message_media(stored), stored
    if kind not in _DEFAULT_MIME:
        raise ValueError(f"unknown media kind {kind!r}")
    attributes: list[Any] = []
    if kind in ("video", "video_note", "animation"):
        side = min(width, height) if kind == "video_note" else None
        attributes.append(
            types.DocumentAttributeVideo(
                duration=duration,
                w=side or width,
                h=side or height,
                round_message=kind == "video_note" or None,
                supports_streaming=kind == "video" or None,
            )
        )
        if kind == "animation":
            attributes.append(types.DocumentAttributeAnimated())
    elif kind in ("voice", "audio"):
        attributes.append(
            types.DocumentAttributeAudio(
                duration=duration, voice=kind == "voice" or None, title=title, performer=performer
            )
        )
    elif kind == "sticker":
        info = sniff_image(data)
        attributes.append(
            types.DocumentAttributeImageSize(
                w=info.width if info else 512, h=info.height if info else 512
            )
        )
        attributes.append(
            types.DocumentAttributeSticker(alt="🙂", stickerset=types.InputStickerSetEmpty())
        )
    name = file_name or _DEFAULT_NAME.get(kind)  # voice notes and round videos carry no name
    blob = files.store_path(Path(path)) if path is not None else files.store_bytes(data)
    stored = register_document(state, blob, mime_type or _DEFAULT_MIME[kind], attributes, name)
    return message_media(stored), stored
