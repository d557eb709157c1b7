"""Telegram test server fidelity against the real Telethon client: sending text and its
limits, peers that refuse it, edits, deletes, buttons and bot commands."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telethon import Button, errors, events, functions, types

from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import connected, run

pytestmark = pytest.mark.timeout(60)


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


@pytest.mark.parametrize("variant", ["error", "ignored"])
def test_a_reply_to_a_message_the_user_deleted(srv: TelegramTestServer, session: Path, variant: str) -> None:
    srv.options.reply_to_deleted = variant
    user = srv.add_user(first_name="Вера")
    kept = srv.send_text(user, "останется")
    gone = srv.send_text(user, "удалено")
    srv.delete_message(user, gone)
    assert srv.message(gone) is None

    async def body() -> list[str]:
        client = await connected(session)
        outcomes: list[str] = []
        try:
            peer = types.InputPeerUser(user_id=user.id, access_hash=user.access_hash)
            geo = types.InputMediaGeoPoint(geo_point=types.InputGeoPoint(lat=55.75, long=37.62))
            requests = [
                functions.messages.SendMessageRequest(peer=peer, message="ответ", random_id=11,
                                                      reply_to=types.InputReplyToMessage(reply_to_msg_id=gone)),
                functions.messages.SendMediaRequest(peer=peer, media=geo, message="", random_id=12,
                                                    reply_to=types.InputReplyToMessage(reply_to_msg_id=gone)),
                functions.messages.SendMessageRequest(peer=peer, message="никогда не было", random_id=13,
                                                      reply_to=types.InputReplyToMessage(reply_to_msg_id=10**6)),
            ]
            for request in requests:
                try:
                    await client(request)
                    outcomes.append("sent")
                except errors.BadRequestError:  # Telethon 1.45 has no class of its own for it
                    outcomes.append("refused")
            # Refused, nothing was made: the same random_id goes without the reply; a kept target is fine.
            await client(functions.messages.SendMessageRequest(peer=peer, message="ответ", random_id=11))
            await client(functions.messages.SendMessageRequest(
                peer=peer, message="на месте", random_id=14, reply_to=types.InputReplyToMessage(reply_to_msg_id=kept)))
        finally:
            await client.disconnect()
        return outcomes

    outcomes = run(body)
    errors_seen = [r.error for r in srv.rpc_calls("SendMessage")] + [r.error for r in srv.rpc_calls("SendMedia")]
    sent = srv.sent_to(user)
    if variant == "error":
        assert outcomes == ["refused"] * 3
        assert errors_seen.count("REPLY_MESSAGE_ID_INVALID") == 3
        assert [(m.text, m.random_id, m.reply_to_msg_id) for m in sent] == [("ответ", 11, None), ("на месте", 14, kept)]
        assert srv.replays == []
    else:
        assert outcomes == ["sent"] * 3 and "REPLY_MESSAGE_ID_INVALID" not in errors_seen
        assert sent[0].reply_to_msg_id == gone and [r.message_ids for r in srv.replays] == [[sent[0].id]]
