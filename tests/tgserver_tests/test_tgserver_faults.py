"""Telegram test server fidelity against the real Telethon client: scripted faults (flood
waits, errors, held answers, dropped connections) and unknown methods."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telethon import errors, functions

from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import connected, run

pytestmark = pytest.mark.timeout(60)


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
