"""File references expire (core.telegram.org/api/file_reference): upload.getFile with an old one is
FILE_REFERENCE_EXPIRED, and fetching the message again (messages.getMessages) hands out a fresh one.
The lifetime is a switch (Options.file_reference_ttl), checked on every part."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from telethon import errors, events

from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import connected, run

pytestmark = pytest.mark.timeout(60)


def test_an_old_reference_expires_and_a_refetched_message_carries_a_fresh_one(
    srv: TelegramTestServer, session: Path
) -> None:
    srv.options.file_reference_ttl = 0.5
    user = srv.add_user(first_name="Photo")
    data = os.urandom(3000)

    async def body() -> tuple[bytes, bytes]:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            srv.send_media(user, "document", data, file_name="a.bin")
            event = await asyncio.wait_for(got.get(), 10)
            fresh_at_once = await client.download_media(event.message, file=bytes)
            await asyncio.sleep(0.7)
            # The media alone (as the daemon keeps it): Telethon refetches a message it is given itself,
            # for documents only (telethon/client/downloads.py, _DirectDownloadIter._request).
            with pytest.raises(errors.FileReferenceExpiredError):
                await client.download_media(event.message.media, file=bytes)
            again = await client.get_messages(user.input_peer(), ids=event.message.id)
            assert again.media.document.file_reference != event.message.media.document.file_reference
            return fresh_at_once, await client.download_media(again.media, file=bytes)
        finally:
            await client.disconnect()

    first, renewed = run(body)
    assert first == renewed == data
    assert any(r.error == "FILE_REFERENCE_EXPIRED" for r in srv.rpc_calls("GetFile"))


def test_a_reference_can_expire_in_the_middle_of_a_download(srv: TelegramTestServer, session: Path) -> None:
    """Checked on every part: a download slower than the lifetime fails half-way (Telethon #4341)."""
    user = srv.add_user(first_name="Slow")
    srv.options.file_reference_ttl = 1.0

    async def body() -> int:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            srv.send_media(user, "document", os.urandom(3 * 512 * 1024), file_name="big.bin")
            event = await asyncio.wait_for(got.get(), 10)
            parts = 0
            started = time.monotonic()
            with pytest.raises(errors.FileReferenceExpiredError):
                async for _chunk in client.iter_download(event.message.media, request_size=512 * 1024):
                    parts += 1
                    await asyncio.sleep(max(0.0, 1.2 - (time.monotonic() - started)))
            return parts
        finally:
            await client.disconnect()

    assert run(body) == 1


def test_an_existing_file_sent_again_is_named_by_a_reference_that_may_have_expired(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    """messages.sendMedia / sendMultiMedia with an inputMediaPhoto: its file_reference is checked too,
    and an album names the item (FILE_REFERENCE_%d_EXPIRED, messages.sendMultiMedia's errors)."""
    from telethon import functions, types

    from tests.tgserver.images import make_png

    user = srv.add_user(first_name="Again")
    srv.options.file_reference_ttl = 0.5

    async def body() -> list[str]:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            photos = []
            for n in range(2):
                path = tmp_path / f"{n}.png"
                path.write_bytes(make_png(40 + n, 30))
                uploaded = await client(functions.messages.UploadMediaRequest(
                    peer=user.input_peer(), media=types.InputMediaUploadedPhoto(file=await client.upload_file(path))))
                photos.append(types.InputMediaPhoto(id=types.InputPhoto(
                    id=uploaded.photo.id, access_hash=uploaded.photo.access_hash,
                    file_reference=uploaded.photo.file_reference)))
            await asyncio.sleep(0.7)
            seen = []
            for request in (functions.messages.SendMediaRequest(peer=user.input_peer(), media=photos[0], message="",
                                                                random_id=1),
                            functions.messages.SendMultiMediaRequest(peer=user.input_peer(), multi_media=[
                                types.InputSingleMedia(media=p, random_id=10 + n, message="")
                                for n, p in enumerate(photos)])):
                with pytest.raises(errors.RPCError) as refused:
                    await client(request)
                seen.append(refused.value)
            return [type(e).__name__ + ":" + (e.message if not isinstance(e, errors.FileReferenceExpiredError)
                                              else "FILE_REFERENCE_EXPIRED") for e in seen]
        finally:
            await client.disconnect()

    first, album = run(body)
    assert first == "FileReferenceExpiredError:FILE_REFERENCE_EXPIRED"
    assert album == "BadRequestError:FILE_REFERENCE_0_EXPIRED"  # no class of Telethon's: told by name
    assert srv.sent == []
