"""random_id, the idempotency key of every send, as Telegram documents it
(core.telegram.org/api/updates, "updateMessageID updates"): a repeat towards the same peer returns
the messages of the first call and sends nothing; only a repeat while the first call is still in
flight is RANDOM_ID_DUPLICATE. The "duplicate_error" variant keeps the older belief (every repeat is
RANDOM_ID_DUPLICATE) so the daemon can be shown exactly-once under both."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telethon import errors, functions, types

from tests.tgserver import TelegramTestServer
from tests.tgserver.images import make_png
from tests.tgserver_tests._helpers import connected, run

pytestmark = pytest.mark.timeout(60)


def message_ids(result: Any, random_id: int | None = None) -> dict[int, int]:
    """random_id -> message id: from the updateMessageID updates of an answer, or (the short answer to
    messages.sendMessage, which names no random_id) the id it carries for ``random_id``."""
    if isinstance(result, types.UpdateShortSentMessage):
        return {random_id: result.id} if random_id is not None else {}
    return {u.random_id: u.id for u in result.updates if isinstance(u, types.UpdateMessageID)}


@pytest.fixture(params=["short", "updates"])
def answer_form(request: pytest.FixtureRequest, srv: TelegramTestServer) -> str:
    srv.options.send_message_answer = request.param
    return request.param


def send(peer: Any, text: str, random_id: int) -> Any:
    return functions.messages.SendMessageRequest(peer=peer, message=text, random_id=random_id)


def test_a_repeat_returns_the_first_message_and_sends_nothing(srv: TelegramTestServer, session: Path,
                                                              answer_form: str) -> None:
    user = srv.add_user(first_name="Anna")

    async def body() -> tuple[Any, Any, Any]:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            first = await client(send(user.input_peer(), "once", 42))
            again = await client(send(user.input_peer(), "once", 42))
            # Telethon's own send_message maps a replayed answer back to the message it names.
            request = send(user.input_peer(), "twice?", 43)
            await client(request)
            return first, again, await client.send_message(user.input_peer(), "free", reply_to=None)
        finally:
            await client.disconnect()

    first, again, _free = run(body)
    assert message_ids(first, 42) == message_ids(again, 42) == {42: srv.sent[0].id}
    assert isinstance(first, types.UpdateShortSentMessage) == (answer_form == "short")
    assert [s.text for s in srv.sent] == ["once", "twice?", "free"]
    (replay,) = srv.replays
    assert (replay.method, replay.random_ids, replay.message_ids) == ("SendMessage", [42], [srv.sent[0].id])
    assert srv.rpc_log[-4][1:] == ("SendMessage", None)  # the repeat is an answer, not an error


def test_random_ids_are_per_peer(srv: TelegramTestServer, session: Path) -> None:
    anna, boris = srv.add_user(first_name="Anna"), srv.add_user(first_name="Boris")

    async def body() -> None:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            await client(send(anna.input_peer(), "to Anna", 7))
            await client(send(boris.input_peer(), "to Boris", 7))
        finally:
            await client.disconnect()

    run(body)
    assert [(s.peer_user_id, s.text) for s in srv.sent] == [(anna.id, "to Anna"), (boris.id, "to Boris")]


def test_duplicate_error_variant_refuses_every_repeat(srv: TelegramTestServer, session: Path) -> None:
    srv.options.random_id_repeat = "duplicate_error"
    user = srv.add_user(first_name="Anna")

    async def body() -> None:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            await client(send(user.input_peer(), "once", 42))
            with pytest.raises(errors.RandomIdDuplicateError):
                await client(send(user.input_peer(), "once", 42))
        finally:
            await client.disconnect()

    run(body)
    assert [s.text for s in srv.sent] == ["once"]
    assert srv.rpc_log[-1][1:] == ("SendMessage", "RANDOM_ID_DUPLICATE")


@pytest.mark.parametrize("outcome", ["fails", "succeeds"])
def test_a_repeat_while_the_first_call_is_in_flight_is_random_id_duplicate(
    srv: TelegramTestServer, session: Path, outcome: str, answer_form: str
) -> None:
    """The connection drops while the send is in flight; Telethon sends it again on the new one and
    hears RANDOM_ID_DUPLICATE: the outcome is not known yet. Then the first call ends either way."""
    user = srv.add_user(first_name="Lost")
    stall = srv.stall("SendMessage")

    async def body() -> Any:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            task = asyncio.create_task(client(send(user.input_peer(), "once", 99)))
            assert await asyncio.to_thread(stall.reached.wait, 10)
            srv.drop_connections()
            with pytest.raises(errors.RandomIdDuplicateError):
                await asyncio.wait_for(task, 15)
            assert srv.sent == []
            stall.release(error="INTERNAL_SERVER_ERROR" if outcome == "fails" else None)
            assert await asyncio.to_thread(stall.finished.wait, 10)
            # Asked again later with the same random_id: sent now, or the first call's message.
            return await client(send(user.input_peer(), "once", 99))
        finally:
            await client.disconnect()

    result = run(body)
    assert stall.dropped.is_set()
    (sent,) = srv.sent
    assert message_ids(result, 99) == {99: sent.id}
    assert len(srv.replays) == (1 if outcome == "succeeds" else 0)


def test_an_answer_lost_with_the_connection_is_replayed_on_resend(srv: TelegramTestServer, session: Path,
                                                                  answer_form: str) -> None:
    user = srv.add_user(first_name="Lost")
    hold = srv.hold("SendMessage")

    async def body() -> Any:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            task = asyncio.create_task(client(send(user.input_peer(), "once", 5)))
            await asyncio.to_thread(hold.reached.wait, 10)
            srv.drop_connections()
            # Telethon reconnects and resends the unanswered request, same random_id.
            return await asyncio.wait_for(task, 15)
        finally:
            await client.disconnect()

    result = run(body)
    assert hold.dropped.is_set()
    (sent,) = srv.sent
    assert message_ids(result, 5) == {5: sent.id}


def _album_items(client: Any, user: Any, tmp_path: Path, random_ids: list[int]) -> Any:
    async def items() -> list[types.InputSingleMedia]:
        out = []
        for n, rid in enumerate(random_ids):
            path = tmp_path / f"p{rid}.png"
            path.write_bytes(make_png(30 + n, 20))
            uploaded = await client(functions.messages.UploadMediaRequest(
                peer=user.input_peer(), media=types.InputMediaUploadedPhoto(file=await client.upload_file(path))))
            photo = types.InputMediaPhoto(id=types.InputPhoto(
                id=uploaded.photo.id, access_hash=uploaded.photo.access_hash,
                file_reference=uploaded.photo.file_reference))
            out.append(types.InputSingleMedia(media=photo, random_id=rid, message=""))
        return out

    return items()


@pytest.mark.parametrize("partial", ["duplicate_error", "replay_used"])
def test_albums_whole_repeat_is_replayed_and_a_partial_one_follows_the_switch(
    srv: TelegramTestServer, session: Path, tmp_path: Path, partial: str
) -> None:
    srv.options.album_partial_repeat = partial
    user = srv.add_user(first_name="Album")

    async def body() -> tuple[Any, Any]:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            items = await _album_items(client, user, tmp_path, [1, 2])
            request = functions.messages.SendMultiMediaRequest(peer=user.input_peer(), multi_media=items)
            first = await client(request)
            again = await client(request)
            wider = functions.messages.SendMultiMediaRequest(
                peer=user.input_peer(), multi_media=items + await _album_items(client, user, tmp_path, [3]))
            if partial == "duplicate_error":
                with pytest.raises(errors.RandomIdDuplicateError):
                    await client(wider)
                return first, again
            return first, await client(wider)
        finally:
            await client.disconnect()

    first, later = run(body)
    first_ids = message_ids(first)
    assert len(first_ids) == 2 and {1: first_ids[1], 2: first_ids[2]}.items() <= message_ids(later).items()
    if partial == "duplicate_error":
        assert [s.random_id for s in srv.sent] == [1, 2]
    else:
        assert [s.random_id for s in srv.sent] == [1, 2, 3]
        assert set(message_ids(later)) == {1, 2, 3}


@pytest.mark.parametrize("first", [True, False], ids=["repeat-first", "peer-first"])
def test_a_repeat_towards_a_user_who_blocked_the_bot_since(srv: TelegramTestServer, session: Path,
                                                           first: bool) -> None:
    srv.options.repeat_checked_first = first
    user = srv.add_user(first_name="Blocked")

    async def body() -> Any:
        client = await connected(session, request_retries=0, raise_last_call_error=True)
        try:
            await client(send(user.input_peer(), "before the block", 8))
            srv.block_user(user)
            if not first:
                with pytest.raises(errors.UserIsBlockedError):
                    await client(send(user.input_peer(), "before the block", 8))
                return None
            return await client(send(user.input_peer(), "before the block", 8))
        finally:
            await client.disconnect()

    result = run(body)
    (sent,) = srv.sent
    assert (result is None) == (not first)
    if first:
        assert message_ids(result, 8) == {8: sent.id}
