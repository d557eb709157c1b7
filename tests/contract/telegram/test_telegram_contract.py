"""The Telegram contract: what syncd relies on from its Telegram client, run against the real client over
MTProto and against the in-memory fake (conftest.py, fixture ``side``), with the same test bodies.

Sends go through syncd's own wrappers (syncd.telegram.media) where the daemon uses them, so the contract
is the daemon's, not Telethon's at large.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telethon import Button, errors, events
from telethon.errors import MultiError
from telethon.tl import functions, types

from syncd.formatting import FormattedText
from syncd.relay.files import download
from syncd.store.repo import new_random_id
from syncd.telegram import media
from syncd.telegram.client import SyncdTelegramClient
from tests.tgserver.images import make_png
from tests.tgserver.limits import markup_callback_data
from tests.tgserver.state import TgUser

from .conftest import Side, run, until


def peer(user: TgUser) -> types.InputPeerUser:
    return types.InputPeerUser(user_id=user.id, access_hash=user.access_hash)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def text_with_button(tg: SyncdTelegramClient, user: TgUser, text: str = "Choose") -> int:
    (msg_id,) = await media.send_text(tg, peer(user), FormattedText(text), new_random_id(),
                                      reply_markup=media.inline_markup([[("Yes", "yes"), ("No", "no")]]))
    return msg_id


def test_get_me_is_the_bot(side: Side) -> None:
    async def body() -> None:
        tg = await side.bot()
        me = await tg.get_me()
        assert (me.id, me.bot, me.username) == (side.srv.bot.id, True, side.srv.bot.username)
        assert tg.is_connected()

    run(side, body)


def test_text_with_inline_buttons(side: Side) -> None:
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user(first_name="Ivan")
        msg_id = await text_with_button(tg, user, "Hello **there**")
        markup = tg.build_reply_markup([Button.inline("Menu", b"menu")])
        reply = await tg(functions.messages.SendMessageRequest(
            peer=peer(user), message="again", random_id=new_random_id(), reply_markup=markup))
        first, second = side.srv.sent_to(user)
        assert (first.id, first.text) == (msg_id, "Hello **there**")
        assert markup_callback_data(first.reply_markup) == [b"yes", b"no"]
        assert media.sent_message_ids(reply, []) == [second.id]
        assert markup_callback_data(second.reply_markup) == [b"menu"]

    run(side, body)


def test_files_with_chosen_random_ids_are_sent_once(side: Side, tmp_path: Path) -> None:
    """A send repeated with its random_ids is answered with the first call's messages."""
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        photo = write(tmp_path / "p.png", make_png(40, 30))
        doc = write(tmp_path / "d.txt", b"report " * 1000)
        rid_photo, rid_doc = new_random_id(), new_random_id()
        sent_photo = await media.send_single(tg, peer(user), photo, "p.png", "photo", rid_photo)
        sent_doc = await media.send_single(tg, peer(user), doc, "report.txt", "document", rid_doc)
        items = [(await media.prepare_album_item(tg, peer(user), p, n, "photo"), new_random_id())
                 for p, n in ((photo, "a.png"), (photo, "b.png"))]
        album = await media.send_album(tg, peer(user), items)
        sent = side.srv.sent_to(user)
        assert [s.media_kind for s in sent] == ["photo", "document", "photo", "photo"]
        assert sent[1].file_name == "report.txt" and sent[1].sha256 == hashlib.sha256(doc.read_bytes()).hexdigest()
        assert sent[2].grouped_id is not None and sent[2].grouped_id == sent[3].grouped_id
        # Again, the same random_ids: the same messages, nothing new.
        assert await media.send_single(tg, peer(user), photo, "p.png", "photo", rid_photo) == sent_photo
        assert await media.send_single(tg, peer(user), doc, "report.txt", "document", rid_doc) == sent_doc
        assert await media.send_album(tg, peer(user), items) == album
        assert len(side.srv.sent_to(user)) == 4 and len(side.srv.replays) == 3

    run(side, body)


@pytest.mark.parametrize("size, kind", [(768_000, types.InputFile), (10 * 1024 * 1024 + 1, types.InputFileBig)])
def test_upload_file(side: Side, tmp_path: Path, size: int, kind: type) -> None:
    """Several parts (saveFilePart, with its md5), and over 10 MiB saveBigFilePart."""
    async def body() -> None:
        tg = await side.bot()
        data = (bytes(range(256)) * (size // 256 + 1))[:size]
        handle = await tg.upload_file(str(write(tmp_path / "x.bin", data)), file_name="x.bin")
        assert isinstance(handle, kind) and handle.parts > 1 and handle.name == "x.bin"
        user = side.srv.add_user()
        document = types.InputMediaUploadedDocument(file=handle, mime_type="application/octet-stream",
                                                    attributes=[], force_file=True)
        await tg(functions.messages.SendMediaRequest(peer=peer(user), media=document, message="",
                                                     random_id=new_random_id()))
        (sent,) = side.srv.sent_to(user)
        assert (sent.size, sent.sha256) == (len(data), hashlib.sha256(data).hexdigest())

    run(side, body)


def test_get_messages_and_downloads_of_a_clients_files(side: Side, tmp_path: Path) -> None:
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        png, blob = make_png(64, 48), b"\x00\x01" * 300_000  # the document: two 512 KiB parts
        text_id = side.srv.send_text(user, "see attached")
        photo_id = side.srv.send_media(user, "photo", png)
        doc_id = side.srv.send_media(user, "document", blob, file_name="dump.bin")
        text, photo, doc = await tg.get_messages(peer(user), ids=[text_id, photo_id, doc_id])
        assert (text.id, text.message, text.out) == (text_id, "see attached", False)
        assert isinstance(photo.media, types.MessageMediaPhoto) and doc.file.name == "dump.bin"
        for msg_id, expected in ((photo_id, png), (doc_id, blob)):
            row = SimpleNamespace(media=None, tg_message_id=msg_id)  # an inbox row: fetched afresh
            dest = tmp_path / f"{msg_id}.out"
            assert await download(tg, peer(user), row, dest)
            assert dest.read_bytes() == expected
        assert await tg.get_messages(peer(user), ids=10_000) is None

    run(side, body)


def test_an_expired_file_reference_is_renewed(side: Side, tmp_path: Path) -> None:
    """FILE_REFERENCE_EXPIRED by its class; syncd's download fetches the message again and goes on."""
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        blob = b"\x07" * 700_000
        msg_id = side.srv.send_media(user, "document", blob, file_name="a.bin")
        side.srv.fail_next("GetFile", "FILE_REFERENCE_EXPIRED")
        message = await tg.get_messages(peer(user), ids=msg_id)
        with pytest.raises(errors.FileReferenceExpiredError):
            async for _chunk in tg.iter_download(message.media.document):
                pass
        side.srv.fail_next("GetFile", "FILE_REFERENCE_EXPIRED")
        row = SimpleNamespace(media=None, tg_message_id=msg_id)
        assert await download(tg, peer(user), row, tmp_path / "a.out")
        assert (tmp_path / "a.out").read_bytes() == blob
        assert len(side.srv.rpc_calls("GetMessages")) == 3  # the first fetch, download's, its renewal

    run(side, body)


def test_edit_message(side: Side) -> None:
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        msg_id = await text_with_button(tg, user)
        edit = functions.messages.EditMessageRequest(peer=peer(user), id=msg_id, message="Chosen: yes",
                                                     reply_markup=None)
        await tg(edit)
        (done,) = side.srv.edits
        assert (done.msg_id, done.text, done.reply_markup) == (msg_id, "Chosen: yes", None)
        with pytest.raises(errors.MessageNotModifiedError):
            await tg(functions.messages.EditMessageRequest(peer=peer(user), id=msg_id, message="Chosen: yes"))

    run(side, body)


def test_events_for_a_clients_text_photo_and_album(side: Side) -> None:
    async def body() -> None:
        tg, seen = side.listening()
        await side.bot(tg)
        user = side.srv.add_user(first_name="Ivan")
        side.srv.send_text(user, "/start")
        side.srv.send_media(user, "photo", make_png(20, 20), caption="look")
        side.srv.send_album(user, [dict(kind="photo", data=make_png(10, 10)),
                                   dict(kind="document", data=b"abc", file_name="a.txt")])
        await until(lambda: len(seen) >= 4)
        text, photo, *album = seen
        assert (text.raw_text, text.sender_id, text.is_private) == ("/start", user.id, True)
        assert photo.photo is not None and photo.raw_text == "look"
        assert album[0].grouped_id is not None and album[0].grouped_id == album[1].grouped_id
        assert album[1].file.name == "a.txt"
        sender = await text.get_sender()
        assert (sender.id, sender.first_name, sender.access_hash) == (user.id, "Ivan", user.access_hash)

    run(side, body)


def test_button_press_fires_and_is_answered(side: Side) -> None:
    async def body() -> None:
        tg = side.new_client()
        presses: list[Any] = []

        async def on_press(event: Any) -> None:
            presses.append(event)
            await event.answer("Noted", alert=True)

        tg.add_event_handler(on_press, events.CallbackQuery())
        await side.bot(tg)
        user = side.srv.add_user()
        msg_id = await text_with_button(tg, user)
        side.srv.press_button(user, msg_id, b"no")
        (answer,) = await until(lambda: side.srv.callback_answers)
        (press,) = presses
        assert (press.data, press.sender_id, press.message_id) == (b"no", user.id, msg_id)
        assert (answer.message, answer.alert, answer.accepted) == ("Noted", True, True)

    run(side, body)


def test_flood_wait_is_its_class(side: Side) -> None:
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        side.srv.inject_flood_wait("SendMessage", seconds=7)
        with pytest.raises(errors.FloodWaitError) as raised:
            await media.send_text(tg, peer(user), FormattedText("hi"), new_random_id())
        assert raised.value.seconds == 7
        assert side.srv.sent_to(user) == []

    run(side, body)


def test_blocked_user_is_its_class(side: Side) -> None:
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        side.srv.block_user(user)
        with pytest.raises(errors.UserIsBlockedError):
            await media.send_text(tg, peer(user), FormattedText("hi"), new_random_id())

    run(side, body)


@pytest.mark.parametrize("method, error, cls", [
    ("SendMessage", "PEER_ID_INVALID", errors.PeerIdInvalidError),
    ("SendMessage", "INPUT_USER_DEACTIVATED", errors.InputUserDeactivatedError),
    ("SendMedia", "PHOTO_INVALID_DIMENSIONS", errors.PhotoInvalidDimensionsError),
])
def test_refusals_are_their_classes(side: Side, tmp_path: Path, method: str, error: str, cls: type) -> None:
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        side.srv.fail_next(method, error)
        with pytest.raises(cls):
            if method == "SendMessage":
                await media.send_text(tg, peer(user), FormattedText("hi"), new_random_id())
            else:
                photo = write(tmp_path / "p.png", make_png(8, 8))
                await media.send_single(tg, peer(user), photo, "p.png", "photo", new_random_id())

    run(side, body)


def test_random_id_in_flight_is_its_class(side: Side) -> None:
    """A repeat while the first call is in flight: RANDOM_ID_DUPLICATE, by class (asked in a batch of
    two, as media.send_each does: alone, Telethon would sleep 2 s on it as on any server error)."""
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        rid = new_random_id()
        request = functions.messages.SendMessageRequest(peer=peer(user), message="once", random_id=rid)
        stall = side.srv.stall("SendMessage")
        first = asyncio.ensure_future(tg(request))
        await asyncio.to_thread(stall.reached.wait, 5)
        with pytest.raises(MultiError) as raised:
            await tg([functions.messages.SendMessageRequest(peer=peer(user), message="once", random_id=rid),
                      functions.updates.GetStateRequest()])
        duplicate, fine = raised.value.exceptions
        assert isinstance(duplicate, errors.RandomIdDuplicateError) and fine is None
        stall.release()
        assert media.sent_message_ids(await first, [rid]) == [s.id for s in side.srv.sent_to(user)]

    run(side, body)


def test_catch_up_brings_what_was_sent_while_away(side: Side) -> None:
    async def body() -> None:
        first = await side.bot()
        await first.disconnect()
        user = side.srv.add_user()
        side.srv.send_text(user, "while you were away")
        tg, seen = side.listening(lambda event: event.raw_text)
        differences: list[Any] = []
        tg.difference_watcher = lambda request, result, error: differences.append(result)
        await side.bot(tg)
        await tg.catch_up()
        assert await until(lambda: seen) == ["while you were away"]
        assert any(isinstance(d, types.updates.Difference) for d in differences)

    run(side, body)


def test_a_dropped_connection_comes_back(side: Side) -> None:
    async def body() -> None:
        tg, seen = side.listening(lambda event: event.raw_text)
        await side.bot(tg)
        user = side.srv.add_user()
        await asyncio.to_thread(side.srv.drop_connections)
        await media.send_text(tg, peer(user), FormattedText("after the drop"), new_random_id())
        await until(lambda: side.srv.connection_count and side.srv.rpc_calls("GetUsers")[1:])
        side.srv.send_text(user, "still there?")
        assert await until(lambda: seen) == ["still there?"]
        assert [s.text for s in side.srv.sent_to(user)] == ["after the drop"]

    run(side, body)


def test_the_bots_own_sends_move_its_update_state(side: Side, tmp_path: Path) -> None:
    """Telethon reads the pts off the answers to the bot's sends: the client's next message comes
    without a gap, so without a getDifference."""
    async def body() -> None:
        tg, seen = side.listening(lambda event: event.raw_text)
        await side.bot(tg)
        user = side.srv.add_user()
        await media.send_text(tg, peer(user), FormattedText("one"), new_random_id())
        await media.send_single(tg, peer(user), write(tmp_path / "f.txt", b"x"), "f.txt", "document",
                                new_random_id())
        before = len(side.srv.rpc_calls("GetDifference"))
        side.srv.send_text(user, "thanks")
        assert await until(lambda: seen) == ["thanks"]
        assert len(side.srv.rpc_calls("GetDifference")) == before

    run(side, body)


def test_an_answer_lost_with_the_connection_is_asked_again_and_replayed(side: Side) -> None:
    """The send executed, its answer lost with the connection: Telethon sends the same request again
    after reconnecting, and Telegram answers with the message the first one created."""
    async def body() -> None:
        tg = await side.bot()
        user = side.srv.add_user()
        rid = new_random_id()
        hold = side.srv.hold("SendMessage")
        sending = asyncio.ensure_future(media.send_text(tg, peer(user), FormattedText("once"), rid))
        await asyncio.to_thread(hold.reached.wait, 5)
        await asyncio.to_thread(side.srv.drop_connections)
        hold.release()
        ids = await sending
        (sent,) = side.srv.sent_to(user)
        assert ids == [sent.id] and hold.dropped.is_set()
        assert [r.random_ids for r in side.srv.replays] == [[rid]]

    run(side, body)
