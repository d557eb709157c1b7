"""Telegram test server fidelity against the real Telethon client: session and login."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from telethon import errors

from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import client_for, connected, run

pytestmark = pytest.mark.timeout(60)


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
