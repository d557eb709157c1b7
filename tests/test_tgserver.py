"""Fidelity tests of the Telegram test server against the real, unmodified Telethon client."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import os
import random
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from telethon import Button, TelegramClient, errors, events, functions, types

from tests.tgserver import TelegramTestServer, make_png

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[TelegramTestServer]:
    with TelegramTestServer(files_dir=tmp_path) as server:
        yield server
        # A bug of the server itself must fail the test that met it.
        assert server.internal_errors == []


@pytest.fixture
def session(srv: TelegramTestServer, tmp_path: Path) -> Path:
    return srv.write_session(tmp_path / "bot.session")


def client_for(session: Path, **kwargs: Any) -> TelegramClient:
    kwargs.setdefault("receive_updates", True)
    return TelegramClient(str(session), api_id=1, api_hash="x", **kwargs)


def run(body: Callable[[], Awaitable[Any]], timeout: float = 30) -> Any:
    """Each test drives Telethon in a fresh event loop of its own."""
    try:
        return asyncio.run(asyncio.wait_for(body(), timeout))
    finally:
        # Finalize Telethon's leftovers (futures holding errors) now: CPython 3.11.7 fails
        # an unrelated later ast.parse ("AST constructor recursion depth mismatch") when
        # such finalizers happen to run inside it, e.g. in pytest's assertion rewriting.
        gc.collect()


async def connected(session: Path, **kwargs: Any) -> TelegramClient:
    client = client_for(session, **kwargs)
    await client.connect()
    return client


# ---------------------------------------------------------------- session and login


def test_connect_and_get_me_returns_the_bot(srv: TelegramTestServer, session: Path) -> None:
    assert session.stat().st_mode & 0o777 == 0o600

    async def body() -> None:
        client = await connected(session)
        try:
            me = await client.get_me()
            assert (me.id, me.username, me.bot) == (srv.bot.id, srv.bot.username, True)
            assert await client.is_user_authorized()
        finally:
            await client.disconnect()

    run(body)
    methods = [r.method for r in srv.rpc_log]
    assert methods[0] == "GetConfig"
    assert "GetUsers" in methods and "GetState" in methods


def test_start_with_matching_bot_token_needs_no_login(
    srv: TelegramTestServer, session: Path
) -> None:
    async def body() -> None:
        client = client_for(session)
        await client.start(bot_token=srv.bot_token)
        assert (await client.get_me()).id == srv.bot.id
        await client.disconnect()

    run(body)


def test_unknown_auth_key_gets_transport_404(srv: TelegramTestServer, session: Path) -> None:
    srv.revoke_sessions()

    async def body() -> None:
        client = client_for(session, connection_retries=0)
        with pytest.raises(errors.AuthKeyNotFound):
            await client.connect()
        with contextlib.suppress(errors.AuthKeyNotFound):
            await client.disconnected  # Telethon keeps the same error there

    run(body)


# ---------------------------------------------------------------- sending text


def test_send_message_returns_message_and_records_random_id(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Иван", last_name="Петров", lang_code="ru")

    async def body() -> None:
        client = await connected(session)
        try:
            peer = types.InputPeerUser(user_id=user.id, access_hash=user.access_hash)
            msg = await client.send_message(peer, "Привет **мир**")
            assert isinstance(msg, types.Message)
            assert msg.message == "Привет мир"
            # The random_id the client chose travels to the server unchanged.
            request = functions.messages.SendMessageRequest(
                peer=peer, message="second", random_id=123456789
            )
            await client(request)
            return msg
        finally:
            await client.disconnect()

    msg = run(body)
    first, second = srv.sent_to(user)
    assert (first.id, first.text, first.method, first.media_kind) == (
        msg.id,
        "Привет мир",
        "SendMessage",
        None,
    )
    assert isinstance(first.entities[0], types.MessageEntityBold)
    assert second.random_id == 123456789 and second.id == msg.id + 1


def test_random_id_duplicate_does_not_send_twice(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Anna")

    async def body() -> None:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            request = functions.messages.SendMessageRequest(
                peer=user.input_peer(), message="once", random_id=42
            )
            await client(request)
            with pytest.raises(errors.RandomIdDuplicateError):
                await client(request)
        finally:
            await client.disconnect()

    run(body)
    assert [s.text for s in srv.sent] == ["once"]
    assert srv.rpc_log[-1][1:] == ("SendMessage", "RANDOM_ID_DUPLICATE")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("x" * 4097, errors.MessageTooLongError),
        ("😀" * 2049, errors.MessageTooLongError),  # 4098 UTF-16 code units
        ("   ", errors.MessageEmptyError),
    ],
)
def test_text_limits(srv: TelegramTestServer, session: Path, text: str, error: type) -> None:
    user = srv.add_user(first_name="Limits")

    async def body() -> None:
        client = await connected(session)
        try:
            with pytest.raises(error):
                await client.send_message(user.input_peer(), text, parse_mode=None)
            await client.send_message(user.input_peer(), "x" * 4096)
            await client.send_message(user.input_peer(), "😀" * 2048)
        finally:
            await client.disconnect()

    run(body)
    assert len(srv.sent) == 2


def test_entity_bounds_are_checked_in_utf16_units(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Entities")

    async def body() -> None:
        client = await connected(session)
        try:
            # "😀ab" is 4 UTF-16 units: bold over all of them is fine, one more is not.
            ok = [types.MessageEntityBold(offset=0, length=4)]
            await client.send_message(user.input_peer(), "😀ab", formatting_entities=ok)
            bad = [types.MessageEntityBold(offset=1, length=4)]
            with pytest.raises(errors.EntityBoundsInvalidError):
                await client.send_message(user.input_peer(), "😀ab", formatting_entities=bad)
        finally:
            await client.disconnect()

    run(body)


def test_wrong_access_hash_is_peer_id_invalid(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Hash")

    async def body() -> None:
        client = await connected(session)
        try:
            peer = types.InputPeerUser(user_id=user.id, access_hash=user.access_hash ^ 1)
            with pytest.raises(errors.PeerIdInvalidError):
                await client.send_message(peer, "hi")
        finally:
            await client.disconnect()

    run(body)
    assert srv.sent == []


def test_blocked_and_deactivated_users(srv: TelegramTestServer, session: Path) -> None:
    blocker, gone = srv.add_user(first_name="Blocker"), srv.add_user(first_name="Gone")
    srv.block_user(blocker)
    srv.deactivate_user(gone)

    async def body() -> None:
        client = await connected(session)
        try:
            with pytest.raises(errors.UserIsBlockedError):
                await client.send_message(blocker.input_peer(), "hi")
            with pytest.raises(errors.InputUserDeactivatedError):
                await client.send_message(gone.input_peer(), "hi")
            srv.unblock_user(blocker)
            await client.send_message(blocker.input_peer(), "hi again")
        finally:
            await client.disconnect()

    run(body)
    assert [s.text for s in srv.sent] == ["hi again"]


# ---------------------------------------------------------------- files the bot sends


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


# ---------------------------------------------------------------- faults


def test_flood_wait_is_raised_and_windowed(
    srv: TelegramTestServer, session: Path, tmp_path: Path
) -> None:
    user = srv.add_user(first_name="Flood")
    srv.inject_flood_wait("SendMessage", seconds=7)
    other_session = srv.write_session(tmp_path / "other.session")

    async def body() -> None:
        client = await connected(session, flood_sleep_threshold=0)
        # A second client: Telethon remembers flood waits per client and constructor and
        # would refuse locally, so only a fresh client shows what the server does.
        other = await connected(other_session, flood_sleep_threshold=0)
        try:
            with pytest.raises(errors.FloodWaitError) as caught:
                await client.send_message(user.input_peer(), "hi")
            assert caught.value.seconds == 7
            with pytest.raises(errors.FloodWaitError) as again:
                await other.send_message(user.input_peer(), "still inside the window")
            assert 1 <= again.value.seconds <= 7
        finally:
            await client.disconnect()
            await other.disconnect()

    run(body)
    (window,) = srv.flood_windows
    assert window.method == "SendMessage" and window.end - window.start == 7
    refused = [r for r in srv.rpc_calls("SendMessage") if window.start <= r.at < window.end]
    assert len(refused) == 2 and all(r.error.startswith("FLOOD_WAIT_") for r in refused)
    assert srv.sent == []


def test_fail_next_scripts_an_error(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Fail")
    srv.fail_next("messages.SendMessage", "PEER_FLOOD", code=400, times=1)

    async def body() -> None:
        client = await connected(session)
        try:
            with pytest.raises(errors.PeerFloodError):
                await client.send_message(user.input_peer(), "one")
            await client.send_message(user.input_peer(), "two")
        finally:
            await client.disconnect()

    run(body)
    assert [s.text for s in srv.sent] == ["two"]


def test_unknown_method_is_a_clear_error(srv: TelegramTestServer, session: Path) -> None:
    async def body() -> None:
        client = await connected(session)
        try:
            with pytest.raises(errors.BadRequestError, match="NOT_IMPLEMENTED_IN_TEST_SERVER"):
                await client(functions.messages.GetAllStickersRequest(hash=0))
            with pytest.raises(errors.BotMethodInvalidError):
                await client.get_dialogs()
        finally:
            await client.disconnect()

    run(body)
    assert ("GetAllStickers", "METHOD_NOT_IMPLEMENTED_IN_TEST_SERVER") in [
        r[1:] for r in srv.rpc_log
    ]


def test_hold_records_the_message_before_the_client_gets_its_answer(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Hold")
    hold = srv.hold("SendMessage")

    async def body() -> None:
        client = await connected(session)
        try:
            task = asyncio.create_task(client.send_message(user.input_peer(), "held"))
            assert await asyncio.to_thread(hold.reached.wait, 10)
            assert [s.text for s in srv.sent] == ["held"]
            await asyncio.sleep(0.2)
            assert not task.done()
            hold.release()
            msg = await asyncio.wait_for(task, 10)
            assert msg.id == srv.sent[0].id
        finally:
            await client.disconnect()

    run(body)
    assert hold.delivered.is_set()


def test_answer_lost_with_the_connection_makes_resend_a_duplicate(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Lost")
    hold = srv.hold("SendMessage")

    async def body() -> None:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            task = asyncio.create_task(client.send_message(user.input_peer(), "once"))
            await asyncio.to_thread(hold.reached.wait, 10)
            srv.drop_connections()
            # Telethon reconnects and resends the unanswered request, same random_id.
            with pytest.raises(errors.RandomIdDuplicateError):
                await asyncio.wait_for(task, 15)
        finally:
            await client.disconnect()

    run(body)
    assert hold.dropped.is_set()
    assert [s.text for s in srv.sent] == ["once"]


# ---------------------------------------------------------------- what users do


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


def test_callback_query_and_answer(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Button")

    async def body() -> Any:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()

        @client.on(events.CallbackQuery)
        async def on_press(event: Any) -> None:
            await event.answer("Принято")
            await event.edit("done", buttons=None)
            await got.put(event)

        try:
            msg = await client.send_message(
                user.input_peer(), "Close?", buttons=[Button.inline("Yes", b"close:1")]
            )
            query_id = srv.press_button(user, msg.id, b"close:1")
            event = await asyncio.wait_for(got.get(), 10)
            return msg, query_id, event
        finally:
            await client.disconnect()

    msg, query_id, event = run(body)
    assert (event.data, event.sender_id, event.message_id) == (b"close:1", user.id, msg.id)
    (answer,) = srv.callback_answers
    assert (answer.query_id, answer.message, answer.data) == (query_id, "Принято", b"close:1")
    (edit,) = srv.edits
    assert (edit.msg_id, edit.text, edit.reply_markup) == (msg.id, "done", None)
    assert srv.sent[0].reply_markup is not None


def test_download_of_a_user_document_returns_same_bytes(
    srv: TelegramTestServer, session: Path
) -> None:
    user = srv.add_user(first_name="Files")
    data = os.urandom(700_000)

    async def body() -> tuple[Any, bytes]:
        client = await connected(session)
        got: asyncio.Queue[Any] = asyncio.Queue()
        client.add_event_handler(got.put, events.NewMessage(incoming=True))
        try:
            await client.get_me()
            srv.send_media(
                user, "document", data, file_name="scan.pdf", mime_type="application/pdf"
            )
            event = await asyncio.wait_for(got.get(), 10)
            return event, await client.download_media(event.message, file=bytes)
        finally:
            await client.disconnect()

    event, downloaded = run(body)
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


def test_bot_commands_typing_and_bot_sent_contact(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Misc")

    async def body() -> None:
        client = await connected(session)
        try:
            commands = [types.BotCommand(command="start", description="Начать")]
            scope = types.BotCommandScopeDefault()
            assert await client(functions.bots.SetBotCommandsRequest(scope, "ru", commands))
            with pytest.raises(errors.BotCommandInvalidError):
                bad = [types.BotCommand(command="Bad-Name", description="x")]
                await client(functions.bots.SetBotCommandsRequest(scope, "ru", bad))
            async with client.action(user.input_peer(), "typing"):
                await srv.wait_for_async(lambda: srv.rpc_calls("SetTyping"), 5)
            contact = types.InputMediaContact(
                phone_number="79001112233", first_name="Support", last_name="", vcard=""
            )
            await client.send_file(user.input_peer(), contact)
        finally:
            await client.disconnect()

    run(body)
    assert [c.command for c in srv.bot_commands[("BotCommandScopeDefault", "ru")]] == ["start"]
    assert srv.sent[0].media_kind == "contact"


def test_edit_delete_and_get_messages(srv: TelegramTestServer, session: Path) -> None:
    user = srv.add_user(first_name="Edit")
    srv.add_group(777, title="Поддержка", members=[user])

    async def body() -> None:
        client = await connected(session)
        try:
            msg = await client.send_message(user.input_peer(), "draft")
            with pytest.raises(errors.MessageNotModifiedError):
                await client.edit_message(user.input_peer(), msg.id, "draft")
            edited = await client.edit_message(user.input_peer(), msg.id, "final")
            assert (edited.id, edited.text, edited.edit_date is not None) == (msg.id, "final", True)
            incoming_id = srv.send_text(user, "from the user")
            with pytest.raises(errors.MessageAuthorRequiredError):
                await client.edit_message(user.input_peer(), incoming_id, "hijack")
            fetched = await client.get_messages(user.input_peer(), ids=[msg.id, 10_000])
            assert fetched[0].text == "final" and fetched[1] is None
            await client.delete_messages(user.input_peer(), [msg.id])
            assert await client.get_messages(user.input_peer(), ids=msg.id) is None
            group = await client.get_entity(types.PeerChat(chat_id=777))
            assert group.title == "Поддержка"
        finally:
            await client.disconnect()

    run(body)
    assert [(e.text, e.msg_id) for e in srv.edits] == [("final", srv.sent[0].id)]
    assert srv.message(srv.sent[0].id) is None


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
