"""Handlers' replies (syncd.telegram.replies): a FloodWait is waited out and shared with the outbox's
Pacer, a send is one request retried as it is (one random_id, one message), and the bounds hold.

A real Telethon client, built as the daemon builds it (FloodWait raised at once, no retries of its
own), against the Telegram test server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.telegram.pacing import Pacer
from syncd.telegram.replies import Replies, Sent
from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import connected, run

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[TelegramTestServer]:
    with TelegramTestServer(files_dir=tmp_path) as server:
        yield server
        assert server.internal_errors == []


def in_client(srv: TelegramTestServer, tmp_path: Path, body: Any, flood_max: float = 10,
              in_flight_window: float = 30) -> Any:
    """Run ``body(replies, pacer)`` with the daemon's kind of client."""
    session = srv.write_session(tmp_path / "bot.session")

    async def main() -> Any:
        client = await connected(session, flood_sleep_threshold=0, request_retries=0, raise_last_call_error=True)
        try:
            pacer = Pacer(per_chat_interval=0, global_rate=1000)
            return await body(Replies(client, pacer=pacer, flood_max=flood_max, in_flight_window=in_flight_window),
                              pacer)
        finally:
            await client.disconnect()

    return run(main)


def test_a_flood_wait_is_sat_out_with_the_outbox_and_the_reply_goes_once(srv: TelegramTestServer,
                                                                          tmp_path: Path) -> None:
    user = srv.add_user(first_name="Anna")
    srv.inject_flood_wait("SendMessage", seconds=1, times=1)

    async def body(replies: Replies, pacer: Pacer) -> tuple[Sent | None, float]:
        sending = asyncio.create_task(replies.send(user.input_peer(), "Выберите действие"))
        await srv.wait_for_async(lambda: srv.flood_windows)
        await asyncio.sleep(0.1)  # the FloodWait's answer is on its way back to the client
        await pacer.wait_turn(user.id)  # the outbox's next send
        return await sending, time.time()

    sent, outbox_went = in_client(srv, tmp_path, body)
    (window,) = srv.flood_windows
    (message,) = srv.sent
    assert sent == Sent(message.id)
    assert message.at >= window.end and outbox_went >= window.end
    assert [r.error for r in srv.rpc_calls("SendMessage")] == ["FLOOD_WAIT_1", None]


@pytest.mark.parametrize("first_call", ["succeeds", "fails"])
def test_a_send_in_flight_at_a_dropped_connection_is_sent_once(srv: TelegramTestServer, tmp_path: Path,
                                                               first_call: str) -> None:
    """Telethon sends the request again on the new connection and hears RANDOM_ID_DUPLICATE (the first
    call is still in flight): asked again later with the same random_id, never a new one."""
    user = srv.add_user(first_name="Boris")
    stall = srv.stall("SendMessage")

    async def body(replies: Replies, pacer: Pacer) -> Sent | None:
        sending = asyncio.create_task(replies.send(user.input_peer(), "Готово"))
        assert await asyncio.to_thread(stall.reached.wait, 10)
        srv.drop_connections()
        await srv.wait_for_async(lambda: any(r.error == "RANDOM_ID_DUPLICATE" for r in srv.rpc_log))
        stall.release(error="INTERNAL_SERVER_ERROR" if first_call == "fails" else None)
        return await sending

    sent = in_client(srv, tmp_path, body)
    (message,) = srv.sent
    assert sent == Sent(message.id)


def test_a_send_still_in_flight_after_the_window_is_taken_as_sent_and_never_sent_again(
        srv: TelegramTestServer, tmp_path: Path) -> None:
    user = srv.add_user(first_name="Gleb")
    stall = srv.stall("SendMessage")

    async def body(replies: Replies, pacer: Pacer) -> tuple[Sent | None, float]:
        started = time.monotonic()
        sending = asyncio.create_task(replies.send(user.input_peer(), "Принято"))
        assert await asyncio.to_thread(stall.reached.wait, 10)
        srv.drop_connections()
        sent = await sending
        took = time.monotonic() - started
        stall.release()  # Telegram finally stores the first call
        await asyncio.to_thread(stall.finished.wait, 10)
        return sent, took

    sent, took = in_client(srv, tmp_path, body, in_flight_window=1.5)
    assert sent == Sent(None) and took >= 1.5  # asked again for the whole window, then taken as sent
    # One message: the first call's; every repeat was answered as in flight, none sent anew.
    assert len(srv.sent) == 1 and [r.error for r in srv.rpc_calls("SendMessage")].count(None) == 1


def test_a_flood_wait_past_the_bound_is_given_up_and_so_is_a_long_outbox_pause(srv: TelegramTestServer,
                                                                                tmp_path: Path) -> None:
    user = srv.add_user(first_name="Vera")
    srv.inject_flood_wait("SendMessage", seconds=30, times=1)

    async def body(replies: Replies, pacer: Pacer) -> tuple[Sent | None, Sent | None, float]:
        first = await replies.send(user.input_peer(), "one")
        paused = pacer.paused_for  # the outbox holds back for the whole wait
        second = await replies.send(user.input_peer(), "two")  # not even tried: the pause is too long
        return first, second, paused

    started = time.monotonic()
    first, second, paused = in_client(srv, tmp_path, body, flood_max=5)
    assert (first, second) == (None, None) and paused > 25
    assert time.monotonic() - started < 10
    assert srv.sent == [] and len(srv.rpc_calls("SendMessage")) == 1


def test_edits_and_their_no_change(srv: TelegramTestServer, tmp_path: Path) -> None:
    user = srv.add_user(first_name="Gleb")

    async def body(replies: Replies, pacer: Pacer) -> list[bool]:
        sent = await replies.send(user.input_peer(), "**Карточка**", buttons=None)
        assert sent is not None and sent.id is not None
        changed = await replies.edit(user.input_peer(), sent.id, "**Карточка** обновлена")
        unchanged = await replies.edit(user.input_peer(), sent.id, "**Карточка** обновлена")  # MESSAGE_NOT_MODIFIED
        gone = await replies.edit(user.input_peer(), sent.id + 1000, "нет такого")
        return [changed, unchanged, gone]

    assert in_client(srv, tmp_path, body) == [True, True, False]
    (message,) = srv.sent
    assert message.text == "Карточка"  # Markdown, as Telethon's send_message reads it
    assert [e.text for e in srv.edits] == ["Карточка обновлена"]


@pytest.mark.parametrize("variant", ["error", "ignored"])
def test_a_reply_to_a_message_the_client_deleted_goes_once_plain_when_telegram_refuses_it(
        srv: TelegramTestServer, tmp_path: Path, variant: str) -> None:
    srv.options.reply_to_deleted = variant
    user = srv.add_user(first_name="Vera")
    thanks = srv.send_text(user, "Спасибо!")
    srv.delete_message(user, thanks)

    async def body(replies: Replies, pacer: Pacer) -> Sent | None:
        return await replies.send(user.input_peer(), "Рады помочь!", reply_to=thanks)

    sent = in_client(srv, tmp_path, body)
    (message,) = srv.sent
    assert sent == Sent(message.id)
    calls = srv.rpc_calls("SendMessage")
    if variant == "error":  # refused, then the same random_id without the reply
        assert message.reply_to_msg_id is None
        assert [r.error for r in calls] == ["REPLY_MESSAGE_ID_INVALID", None]
    else:
        assert message.reply_to_msg_id == thanks and [r.error for r in calls] == [None]
