"""Telegram test server fidelity against the real Telethon client: files the bot sends,
upload parts and media limits."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path
from typing import Any

import pytest
from telethon import errors, functions, types

from tests.tgserver import TelegramTestServer, make_png
from tests.tgserver_tests._helpers import connected, run

pytestmark = pytest.mark.timeout(60)


def test_send_photo(srv: TelegramTestServer, session: Path, tmp_path: Path) -> None:
    user = srv.add_user(first_name="Photo")
    photo = tmp_path / "picture.png"
    photo.write_bytes(make_png(64, 48))

    async def body() -> Any:
        client = await connected(session)
        try:
            return await client.send_file(user.input_peer(), photo, caption="look")
        finally:
            await client.disconnect()

    msg = run(body)
    assert isinstance(msg.media, types.MessageMediaPhoto)
    (sent,) = srv.sent
    assert (sent.media_kind, sent.method, sent.text, sent.mime_type) == (
        "photo",
        "SendMedia",
        "look",
        "image/png",
    )
    assert sent.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert (msg.photo.sizes[-1].w, msg.photo.sizes[-1].h) == (64, 48)


def test_send_document_keeps_file_name(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="Doc")
    doc = tmp_path / "Акт сверки.pdf"
    doc.write_bytes(b"%PDF-1.4\n" + os.urandom(300_000))

    async def body() -> Any:
        client = await connected(session)
        try:
            return await client.send_file(user.input_peer(), doc, force_document=True)
        finally:
            await client.disconnect()

    msg = run(body)
    assert msg.file.name == "Акт сверки.pdf"
    (sent,) = srv.sent
    assert (sent.media_kind, sent.file_name, sent.mime_type, sent.size) == (
        "document",
        "Акт сверки.pdf",
        "application/pdf",
        doc.stat().st_size,
    )
    assert sent.file_path.read_bytes() == doc.read_bytes()


def test_send_12_mb_file_uses_big_parts_and_downloads_back(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="Big")
    big = tmp_path / "dump.bin"
    big.write_bytes(random.randbytes(12 * 1024 * 1024 + 5))

    async def body() -> bytes:
        client = await connected(session)
        try:
            msg = await client.send_file(user.input_peer(), big)
            return await client.download_media(msg, file=bytes)
        finally:
            await client.disconnect()

    downloaded = run(body)
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(big.read_bytes()).digest()
    methods = {r.method for r in srv.rpc_log}
    assert "SaveBigFilePart" in methods and "SaveFilePart" not in methods
    assert srv.sent[0].sha256 == hashlib.sha256(big.read_bytes()).hexdigest()


def test_album_of_three_photos_is_one_send_multi_media(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="Album")
    files = []
    for i in range(3):
        path = tmp_path / f"p{i}.png"
        path.write_bytes(make_png(30 + i, 20))
        files.append(path)

    async def body() -> list[Any]:
        client = await connected(session)
        try:
            return await client.send_file(user.input_peer(), files, caption=["a", "b", "c"])
        finally:
            await client.disconnect()

    messages = run(body)
    assert len(messages) == 3 and len({m.grouped_id for m in messages}) == 1
    assert messages[0].grouped_id is not None
    sent = srv.sent
    assert [s.method for s in sent] == ["SendMultiMedia"] * 3
    assert [s.text for s in sent] == ["a", "b", "c"]
    assert {s.grouped_id for s in sent} == {messages[0].grouped_id}
    assert len({s.random_id for s in sent}) == 3
    assert len(srv.rpc_calls("SendMultiMedia")) == 1
    assert len(srv.rpc_calls("UploadMedia")) == 3


def test_photo_with_ratio_30_to_1_is_refused(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="Ratio")
    strip = tmp_path / "strip.png"
    strip.write_bytes(make_png(3000, 100))

    async def body() -> None:
        client = await connected(session)
        try:
            with pytest.raises(errors.PhotoInvalidDimensionsError):
                await client.send_file(user.input_peer(), strip)
            # The usual fallback: the same file as a document goes through.
            await client.send_file(user.input_peer(), strip, force_document=True)
        finally:
            await client.disconnect()

    run(body)
    assert [s.media_kind for s in srv.sent] == ["document"]


def test_wrong_md5_is_md5_checksum_invalid(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Md5")
    data = os.urandom(5000)

    def send(md5: str) -> Any:
        uploaded = types.InputFile(id=77, parts=1, name="x.bin", md5_checksum=md5)
        media = types.InputMediaUploadedDocument(
            file=uploaded, mime_type="application/octet-stream", attributes=[]
        )
        return functions.messages.SendMediaRequest(peer=user.input_peer(), media=media, message="")

    async def body() -> None:
        client = await connected(session)
        try:
            assert await client(functions.upload.SaveFilePartRequest(77, 0, data)) is True
            with pytest.raises(errors.Md5ChecksumInvalidError):
                await client(send("0" * 32))
            await client(send(hashlib.md5(data).hexdigest()))
        finally:
            await client.disconnect()

    run(body)
    (sent,) = srv.sent
    assert sent.file_name == "x.bin" and sent.sha256 == hashlib.sha256(data).hexdigest()


def test_upload_part_rules(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Parts")

    async def body() -> None:
        client = await connected(session)
        try:
            with pytest.raises(errors.FilePartTooBigError):
                await client(functions.upload.SaveFilePartRequest(1, 0, b"x" * (512 * 1024 + 1)))
            with pytest.raises(errors.FilePartSizeInvalidError):
                await client(functions.upload.SaveBigFilePartRequest(2, 0, 3, b"x" * 1000))
            with pytest.raises(errors.FilePartsInvalidError):
                await client(functions.upload.SaveBigFilePartRequest(3, 0, 4001, b"x" * 1024))
            # Parts 0 and 2 of 3: part 1 missing when the file is used.
            await client(functions.upload.SaveFilePartRequest(4, 0, b"x" * 1024))
            await client(functions.upload.SaveFilePartRequest(4, 2, b"x" * 10))
            media = types.InputMediaUploadedDocument(
                file=types.InputFile(id=4, parts=3, name="f.bin", md5_checksum=""),
                mime_type="application/octet-stream",
                attributes=[],
            )
            request = functions.messages.SendMediaRequest(
                peer=user.input_peer(), media=media, message=""
            )
            with pytest.raises(errors.FilePartMissingError):
                await client(request)
        finally:
            await client.disconnect()

    run(body)
    assert srv.sent == []


def test_media_limits(srv: TelegramTestServer, session: Path, tmp_path: Path) -> None:
    user = srv.add_user(first_name="MediaLimits")
    small = tmp_path / "small.png"
    small.write_bytes(make_png(20, 20))
    huge = tmp_path / "huge.png"  # a valid PNG header, then padding: 10.5 MB
    huge.write_bytes(make_png(100, 100) + b"\0" * (10 * 1024 * 1024 + 512 * 1024))

    async def body() -> None:
        client = await connected(session)
        try:
            with pytest.raises(errors.MediaCaptionTooLongError):
                await client.send_file(user.input_peer(), small, caption="c" * 1025)
            with pytest.raises(errors.PhotoSaveFileInvalidError):
                await client.send_file(user.input_peer(), huge)
            uploaded = await client(
                functions.messages.UploadMediaRequest(
                    peer=user.input_peer(),
                    media=types.InputMediaUploadedPhoto(file=await client.upload_file(small)),
                )
            )
            photo = types.InputMediaPhoto(
                id=types.InputPhoto(
                    id=uploaded.photo.id,
                    access_hash=uploaded.photo.access_hash,
                    file_reference=uploaded.photo.file_reference,
                )
            )

            def album(count: int) -> Any:
                items = [types.InputSingleMedia(media=photo, message="") for _ in range(count)]
                return functions.messages.SendMultiMediaRequest(
                    peer=user.input_peer(), multi_media=items
                )

            with pytest.raises(errors.MultiMediaTooLongError):
                await client(album(11))
            with pytest.raises(errors.MediaInvalidError):
                await client(album(1))
            await client(album(10))
        finally:
            await client.disconnect()

    run(body)
    assert [s.method for s in srv.sent] == ["SendMultiMedia"] * 10


def test_kinds_of_files_the_bot_sends(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="BotKinds")
    clip, song, voice = tmp_path / "clip.mp4", tmp_path / "song.mp3", tmp_path / "note.ogg"
    for path in (clip, song, voice):
        path.write_bytes(os.urandom(4096))

    async def body() -> Any:
        client = await connected(session)
        try:
            video_attr = types.DocumentAttributeVideo(duration=3, w=640, h=360)
            await client.send_file(user.input_peer(), clip, attributes=[video_attr])
            # Random bytes carry no metadata Telethon could read (via hachoir): say it.
            song_attr = types.DocumentAttributeAudio(duration=5, title="Song")
            await client.send_file(user.input_peer(), song, attributes=[song_attr])
            await client.send_file(user.input_peer(), voice, voice_note=True)
            await client.send_file(user.input_peer(), clip, video_note=True)
            return await client(functions.PingRequest(ping_id=99))
        finally:
            await client.disconnect()

    pong = run(body)
    assert isinstance(pong, types.Pong) and pong.ping_id == 99
    assert [s.media_kind for s in srv.sent] == ["video", "audio", "voice", "video_note"]
    assert srv.sent[0].file_name == "clip.mp4" and srv.sent[0].mime_type == "video/mp4"
