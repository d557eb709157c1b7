"""Uploads, downloads and the media the bot sends (single files and albums)."""

from __future__ import annotations

from typing import Any

from telethon.tl import functions, types

from .images import sniff_image
from .limits import (
    PHOTO_SIZE_MAX,
    RpcFail,
    check_album_size,
    check_photo,
    check_reply_markup,
    check_text,
)
from .media import file_type, lookup, message_media, register_document, register_photo
from .rpc import Ctx, rpc
from .rpc_messages import (
    answer_updates,
    check_reply_target,
    create_outgoing,
    replay_or_check,
    replayed_updates,
    reply_to_id,
    writable_peer,
)
from .state import StoredMedia, random_long

_MiB = 1024 * 1024


@rpc(functions.upload.SaveFilePartRequest)
def save_file_part(ctx: Ctx, req: Any) -> bool:
    ctx.files.save_part(ctx.owner, req.file_id, req.file_part, req.bytes)
    return True


@rpc(functions.upload.SaveBigFilePartRequest)
def save_big_file_part(ctx: Ctx, req: Any) -> bool:
    ctx.files.save_part(
        ctx.owner, req.file_id, req.file_part, req.bytes, total_parts=req.file_total_parts
    )
    return True


@rpc(functions.upload.GetFileRequest)
def get_file(ctx: Ctx, req: Any) -> types.upload.File:
    loc = req.location
    stored = ctx.state.media.get(getattr(loc, "id", None))
    is_photo_loc = isinstance(loc, types.InputPhotoFileLocation)
    if (
        stored is None
        or not isinstance(loc, (types.InputPhotoFileLocation, types.InputDocumentFileLocation))
        or stored.tl.access_hash != loc.access_hash
        or (stored.kind == "photo") != is_photo_loc
    ):
        raise RpcFail("LOCATION_INVALID")
    # Only the full-size file exists: documents have no thumbnails here, photos one size.
    sizes = {s.type for s in stored.tl.sizes} if is_photo_loc else {""}
    if loc.thumb_size not in sizes:
        raise RpcFail("LOCATION_INVALID")
    check_reference(ctx, stored.tl.id, loc.file_reference)
    _check_range(req.offset, req.limit, precise=bool(req.precise))
    return types.upload.File(
        type=file_type(stored.mime_type),
        mtime=int(stored.tl.date.timestamp()),
        bytes=stored.blob.read(req.offset, req.limit),
    )


def check_reference(ctx: Ctx, media_id: int, ref: bytes) -> None:
    """core.telegram.org/api/file_reference: an expired reference is FILE_REFERENCE_EXPIRED; checked
    on every part, so a download slower than the lifetime fails half-way (Telethon issue #4341)."""
    age = ctx.state.reference_age(media_id, ref)
    if age is None:
        raise RpcFail("FILE_REFERENCE_INVALID")
    ttl = ctx.options.file_reference_ttl
    if ttl is not None and age > ttl:
        raise RpcFail("FILE_REFERENCE_EXPIRED")


def _check_range(offset: int, limit: int, *, precise: bool) -> None:
    """https://core.telegram.org/api/files#downloading-files"""
    if precise:
        if limit <= 0 or limit % 1024 or limit > _MiB:
            raise RpcFail("LIMIT_INVALID")
        if offset < 0 or offset % 1024:
            raise RpcFail("OFFSET_INVALID")
        return
    if limit <= 0 or limit % 4096 or _MiB % limit:
        raise RpcFail("LIMIT_INVALID")
    if offset < 0 or offset % 4096:
        raise RpcFail("OFFSET_INVALID")
    if offset // _MiB != (offset + limit - 1) // _MiB:
        raise RpcFail("LIMIT_INVALID")


def resolve_media(ctx: Ctx, media: Any) -> tuple[Any, StoredMedia | None]:
    """InputMedia -> (MessageMedia, stored file or None), storing uploaded files."""
    state = ctx.state
    if isinstance(media, types.InputMediaUploadedPhoto):
        blob = ctx.files.take(ctx.owner, media.file)
        # Sniff the whole file: JPEG frame headers may sit after large EXIF blocks.
        info = sniff_image(blob.read_all()) if blob.size <= PHOTO_SIZE_MAX else None
        check_photo(blob.size, info)
        assert info is not None  # check_photo refuses undecodable images
        stored = register_photo(state, blob, info, media.file.name)
        return message_media(stored), stored
    if isinstance(media, types.InputMediaUploadedDocument):
        blob = ctx.files.take(ctx.owner, media.file)
        if media.thumb is not None:
            ctx.files.take(ctx.owner, media.thumb)  # checked like Telegram, then unused
        stored = register_document(
            state, blob, media.mime_type, list(media.attributes), media.file.name
        )
        return message_media(stored), stored
    if isinstance(media, (types.InputMediaPhoto, types.InputMediaDocument)):
        stored = lookup(state, media.id, photo=isinstance(media, types.InputMediaPhoto))
        # An existing file is named by its reference too, which may have expired (api/file_reference).
        check_reference(ctx, stored.tl.id, media.id.file_reference)
        return message_media(stored), stored
    if isinstance(media, types.InputMediaContact):
        known = next((u for u in state.users.values() if u.phone == media.phone_number), None)
        return (
            types.MessageMediaContact(
                phone_number=media.phone_number,
                first_name=media.first_name,
                last_name=media.last_name,
                vcard=media.vcard,
                user_id=known.id if known else 0,
            ),
            None,
        )
    if isinstance(media, types.InputMediaGeoPoint):
        point = media.geo_point
        if not isinstance(point, types.InputGeoPoint):
            raise RpcFail("MEDIA_INVALID")
        geo = types.GeoPoint(long=point.long, lat=point.lat, access_hash=random_long())
        return types.MessageMediaGeo(geo=geo), None
    if media is None or isinstance(media, types.InputMediaEmpty):
        raise RpcFail("MEDIA_EMPTY")
    raise RpcFail(f"MEDIA_{type(media).__name__.upper()}_NOT_IMPLEMENTED_IN_TEST_SERVER")


@rpc(functions.messages.SendMediaRequest)
def send_media(ctx: Ctx, req: Any) -> types.Updates:
    peer, replayed = writable_peer(ctx, req.peer, [req.random_id])
    if replayed is not None:
        return replayed
    entities = check_text(req.message, req.entities, caption=True, options=ctx.options)
    check_reply_markup(req.reply_markup)
    replayed = replay_or_check(ctx, peer, [req.random_id])
    if replayed is not None:
        return replayed
    check_reply_target(ctx, peer, req.reply_to)
    media, stored = resolve_media(ctx, req.media)
    msg, updates = create_outgoing(
        ctx,
        method="SendMedia",
        peer=peer,
        random_id=req.random_id,
        text=req.message,
        entities=entities,
        reply_markup=req.reply_markup,
        reply_to_msg_id=reply_to_id(req.reply_to),
        stored=stored,
        media=media,
    )
    return answer_updates(ctx, updates, [msg])


@rpc(functions.messages.UploadMediaRequest)
def upload_media(ctx: Ctx, req: Any) -> Any:
    ctx.state.resolve_peer(req.peer, zero_access_hash=ctx.options.zero_access_hash)
    media, _stored = resolve_media(ctx, req.media)
    return media


@rpc(functions.messages.SendMultiMediaRequest)
def send_multi_media(ctx: Ctx, req: Any) -> types.Updates:
    peer, replayed = writable_peer(ctx, req.peer, [item.random_id for item in req.multi_media])
    if replayed is not None:
        return replayed
    items = req.multi_media
    check_album_size(len(items))
    for item in items:
        if isinstance(
            item.media, (types.InputMediaUploadedPhoto, types.InputMediaUploadedDocument)
        ):
            # Albums take media uploaded beforehand with messages.uploadMedia.
            raise RpcFail("MEDIA_INVALID")
        item.entities = check_text(item.message, item.entities, caption=True, options=ctx.options)
    replayed = replay_or_check(ctx, peer, [item.random_id for item in items], album=True)
    if isinstance(replayed, types.Updates):
        return replayed
    # album_partial_repeat="replay_used": the used items are answered as they were, the others sent.
    fresh = [item for item in items if replayed is None or item.random_id in replayed]
    old_updates, old_messages, _ids = replayed_updates(
        ctx.state, peer, [item.random_id for item in items if item not in fresh]
    )
    resolved = []
    for index, item in enumerate(fresh):
        try:
            resolved.append(resolve_media(ctx, item.media))
        except RpcFail as fail:
            # Documented for albums: the item is named (messages.sendMultiMedia, FILE_REFERENCE_%d_EXPIRED).
            if fail.message == "FILE_REFERENCE_EXPIRED":
                raise RpcFail(f"FILE_REFERENCE_{index}_EXPIRED") from None
            raise

    grouped_id = random_long()
    updates: list[Any] = []
    messages = []
    for item, (media, stored) in zip(fresh, resolved, strict=True):
        msg, item_updates = create_outgoing(
            ctx,
            method="SendMultiMedia",
            peer=peer,
            random_id=item.random_id,
            text=item.message,
            entities=item.entities,
            reply_to_msg_id=reply_to_id(req.reply_to),
            stored=stored,
            media=media,
            grouped_id=grouped_id if len(fresh) > 1 else None,
        )
        messages.append(msg)
        updates.extend(item_updates)
    answer = answer_updates(ctx, updates, messages)
    if old_updates:
        answer.updates[:0] = old_updates
        answer.users, answer.chats = ctx.state.entities_for(old_messages + messages)
    return answer
