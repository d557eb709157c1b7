"""Telegram test server fidelity against the real Telethon client: what users send reaches
the bot as updates (text, contacts, groups, media), live and by catch-up."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telethon import events, types

from tests.tgserver import TelegramTestServer, make_png
from tests.tgserver_tests._helpers import client_for, connected, run

pytestmark = pytest.mark.timeout(60)


def test_incoming_message_reaches_new_message_handler(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Иван", last_name="Петров", lang_code="ru")

    async def body() -> Any:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            msg_id = srv.send_text(user, "/start")
            event = await asyncio.wait_for(got.get(), 10)
            sender = await event.get_sender()
            return msg_id, event, sender
        finally:
            await client.disconnect()

    msg_id, event, sender = run(body)
    assert (event.id, event.raw_text, event.sender_id) == (msg_id, "/start", user.id)
    assert isinstance(event.message.entities[0], types.MessageEntityBotCommand)
    assert (sender.first_name, sender.last_name, sender.access_hash) == (
        "Иван",
        "Петров",
        user.access_hash,
    )


def test_contact_and_group_message(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Иван", phone="79123456789")

    async def body() -> list[Any]:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            srv.send_contact(user, phone="79123456789", first_name="Иван", user_id=user.id)
            srv.send_group_text(user, 555, "в группе")
            return [await asyncio.wait_for(got.get(), 10) for _ in range(2)]
        finally:
            await client.disconnect()

    contact, group = run(body)
    assert contact.message.media.phone_number == "79123456789"
    assert contact.message.media.user_id == user.id
    assert (group.chat_id, group.sender_id, group.raw_text) == (-555, user.id, "в группе")


def test_message_sent_while_disconnected_arrives_by_get_difference(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Away")

    async def first_run() -> None:
        client = await connected(session)
        await client.get_me()
        await client.disconnect()  # saves the pts it reached into the session file

    async def second_run() -> Any:
        client = client_for(session, catch_up=True)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        await client.connect()
        try:
            return [await asyncio.wait_for(got.get(), 10) for _ in range(2)]
        finally:
            await client.disconnect()

    run(first_run)
    srv.send_text(user, "first while away")
    srv.send_text(user, "second while away")
    events_ = run(second_run)
    assert [e.raw_text for e in events_] == ["first while away", "second while away"]
    assert "GetDifference" in [r.method for r in srv.rpc_log]


def test_updates_missed_during_a_dropped_connection_are_delivered(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Drop")
    srv.options.redeliver_after_reconnect = False  # only getDifference can recover them

    async def body() -> list[str]:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            calls = len(srv.rpc_calls("GetUsers"))
            srv.drop_connections()
            srv.send_text(user, "lost 1")  # nobody listens: not pushed
            # Telethon reconnects and makes a high-level call (get_me) to get updates again.
            await srv.wait_for_async(lambda: len(srv.rpc_calls("GetUsers")) > calls, 10)
            srv.send_text(user, "after")  # pushed: Telethon sees the pts gap
            return [(await asyncio.wait_for(got.get(), 10)).raw_text for _ in range(2)]
        finally:
            await client.disconnect()

    assert sorted(run(body)) == ["after", "lost 1"]


def test_long_catch_up_comes_in_difference_slices(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Slices")
    srv.options.difference_limit = 2

    async def first_run() -> None:
        client = await connected(session)
        await client.get_me()
        await client.disconnect()

    async def second_run() -> list[str]:
        client = client_for(session, catch_up=True)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        await client.connect()
        try:
            return [(await asyncio.wait_for(got.get(), 10)).raw_text for _ in range(5)]
        finally:
            await client.disconnect()

    run(first_run)
    for i in range(5):
        srv.send_text(user, f"m{i}")
    assert run(second_run) == [f"m{i}" for i in range(5)]
    assert len(srv.rpc_calls("GetDifference")) >= 3


def test_updates_reach_every_connected_session(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="Two")
    other_session = srv.write_session(tmp_path / "second.session")

    async def body() -> tuple[Any, Any, Any]:
        first, second = await connected(session), await connected(other_session)
        inbox: list[asyncio.Queue[Any]] = [asyncio.Queue(), asyncio.Queue()]
        first.add_event_handler(inbox[0].put, events.NewMessage(incoming=True))
        second.add_event_handler(inbox[1].put, events.NewMessage(outgoing=True))
        second.add_event_handler(inbox[1].put, events.NewMessage(incoming=True))
        try:
            await first.get_me()
            await second.get_me()
            assert srv.connection_count == 2
            srv.send_text(user, "to both")
            a = await asyncio.wait_for(inbox[0].get(), 10)
            b = await asyncio.wait_for(inbox[1].get(), 10)
            # What one session sends, the other learns about as a pushed update.
            await first.send_message(user.input_peer(), "from the first")
            c = await asyncio.wait_for(inbox[1].get(), 10)
            return a, b, c
        finally:
            await first.disconnect()
            await second.disconnect()

    a, b, c = run(body)
    assert a.raw_text == b.raw_text == "to both"
    assert (c.raw_text, c.out) == ("from the first", True)


def received_and_downloaded(session: Path, send: Callable[[], Any]) -> tuple[Any, bytes]:
    """The bot logs in, ``send`` makes a user send a file, and the bot downloads it: (event, bytes)."""
    async def body() -> tuple[Any, bytes]:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            send()
            event = await asyncio.wait_for(got.get(), 10)
            return event, await client.download_media(event.message, file=bytes)
        finally:
            await client.disconnect()

    return run(body)


def test_download_of_a_user_document_returns_same_bytes(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Files")
    data = os.urandom(700_000)

    event, downloaded = received_and_downloaded(session, lambda: srv.send_media(
        user, "document", data, file_name="scan.pdf", mime_type="application/pdf"))
    assert downloaded == data
    assert event.message.file.name == "scan.pdf"
    assert len(srv.rpc_calls("GetFile")) > 1  # several parts


def test_user_album_and_voice(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Media")

    async def body() -> tuple[Any, Any, bytes]:
        client = await connected(session)
        albums: asyncio.Queue[Any] = asyncio.Queue()
        singles: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(albums.put, events.Album())

        async def single(event: Any) -> None:
            if event.message.grouped_id is None:
                await singles.put(event)

        client.add_event_handler(single, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            srv.send_album(
                user,
                [
                    dict(kind="photo", data=make_png(10, 10), caption="one"),
                    dict(kind="video", data=os.urandom(2048), file_name="clip.mp4"),
                ],
            )
            srv.send_media(user, "voice", os.urandom(3000), duration=4)
            album = await asyncio.wait_for(albums.get(), 10)
            voice = await asyncio.wait_for(singles.get(), 10)
            photo = await client.download_media(album.messages[0], file=bytes)
            return album, voice, photo
        finally:
            await client.disconnect()

    album, voice, photo = run(body)
    assert len(album.messages) == 2 and album.messages[0].photo is not None
    assert album.messages[1].video is not None and album.text == "one"
    assert voice.message.voice is not None
    assert photo == make_png(10, 10)


def test_other_media_kinds_from_users(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Kinds")

    async def body() -> list[Any]:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            srv.send_media(user, "audio", os.urandom(1000), title="Song", performer="Band")
            srv.send_media(user, "sticker", os.urandom(100))
            srv.send_media(user, "animation", os.urandom(100))
            srv.send_media(user, "video_note", os.urandom(100))
            srv.send_media(user, "location", lat=55.75, long=37.61)
            srv.send_media(user, "contact", phone="79000000000", first_name="Пётр")
            return [(await asyncio.wait_for(got.get(), 10)).message for _ in range(6)]
        finally:
            await client.disconnect()

    audio, sticker, gif, round_video, location, contact = run(body)
    assert audio.audio is not None and audio.file.title == "Song"
    assert sticker.sticker is not None
    assert gif.gif is not None
    assert round_video.video_note is not None
    assert (location.geo.lat, location.geo.long) == (55.75, 37.61)
    assert (contact.media.first_name, contact.media.user_id) == ("Пётр", 0)


def test_a_user_file_given_by_path_is_served_as_written(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="Big")
    source = tmp_path / "clip.bin"
    data = os.urandom(1_300_000)
    source.write_bytes(data)

    event, downloaded = received_and_downloaded(session, lambda: srv.send_media(
        user, "video", path=source, file_name="clip.mp4", caption="big"))
    assert downloaded == data and event.message.file.name == "clip.mp4"
    assert event.message.video is not None and event.message.message == "big"


def test_a_gap_beyond_the_backlog_is_difference_too_long_and_its_messages_stay_fetchable(
    srv: TelegramTestServer, session: Path
) -> None:
    """Telethon 1.45 moves past such a gap without a word; the messages are still there by id."""
    user = srv.add_user(first_name="Gap")
    srv.options.difference_too_long_after = 2

    async def first_run() -> None:
        client = await connected(session)
        await client.get_me()
        await client.disconnect()

    async def second_run() -> tuple[list[str], list[Any]]:
        client = client_for(session, catch_up=True)
        got: list[str] = []
        client.add_event_handler(lambda e: got.append(e.raw_text), events.NewMessage(incoming=True))
        await client.connect()
        try:
            await srv.wait_for_async(lambda: srv.skipped_gaps)
            await asyncio.sleep(0.5)
            return got, await client.get_messages(None, ids=ids)
        finally:
            await client.disconnect()

    run(first_run)
    ids = [srv.send_text(user, f"away {n}") for n in range(4)]
    got, fetched = run(second_run)
    assert got == []  # skipped: nothing reached the handler
    (gap,) = srv.skipped_gaps
    assert gap[1] - gap[0] == 4
    assert [m.raw_text for m in fetched] == [f"away {n}" for n in range(4)]
