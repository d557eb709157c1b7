"""telegram.proxy -> TelegramClient's proxy= and connection=: the mapping, and Telethon really
connecting with it through the local proxies (in this process, against the test server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon.network.connection import (
    ConnectionTcpMTProxyAbridged,
    ConnectionTcpMTProxyRandomizedIntermediate,
)

from syncd.telegram.mtproxy import MTProxyAbridged, MTProxyPadded
from syncd.telegram.proxy import describe, telethon_proxy_options
from tests.proxies import MTProxy, Socks5Proxy
from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import client_for, get_me_through, run

pytestmark = pytest.mark.timeout(60)
# A plain (not "dd") secret whose hex happens to start with "dd": Telethon strips a leading
# "dd"/"ee" from the secret text, which would leave it 15 bytes long.
PLAIN_DD_LOOKING = bytes.fromhex("dd112233445566778899aabbccddeeff")


def test_the_mapping() -> None:
    assert telethon_proxy_options(None) == {}
    assert telethon_proxy_options("socks5://u:p@h:1080") == {"proxy": {
        "proxy_type": "socks5", "addr": "h", "port": 1080, "username": "u", "password": "p", "rdns": True}}
    assert telethon_proxy_options("http://h:3128")["proxy"]["proxy_type"] == "http"
    plain = telethon_proxy_options(f"mtproxy://{PLAIN_DD_LOOKING.hex()}@h:443")
    assert plain == {"connection": MTProxyAbridged, "proxy": ("h", 443, "dd" + PLAIN_DD_LOOKING.hex())}
    padded = telethon_proxy_options(f"mtproxy://dd{PLAIN_DD_LOOKING.hex()}@h:443")
    assert padded["connection"] is MTProxyPadded
    # Telethon's own classes underneath (TelegramClient tells Telegram about the proxy for those).
    assert issubclass(MTProxyAbridged, ConnectionTcpMTProxyAbridged)
    assert issubclass(MTProxyPadded, ConnectionTcpMTProxyRandomizedIntermediate)
    assert describe("socks5://u:p@h:1080") == {"kind": "socks5", "host": "h", "port": 1080, "auth": True}


@pytest.fixture
def srv(tmp_path: Path):  # type: ignore[no-untyped-def]
    with TelegramTestServer(files_dir=tmp_path / "tg") as server:
        yield server


@pytest.mark.parametrize("padded", [False, True], ids=["plain", "dd"])
def test_mtproxy_secrets_reach_the_proxy_intact(srv: TelegramTestServer, tmp_path: Path, padded: bool) -> None:
    session = srv.write_session(tmp_path / "bot.session")
    with MTProxy(PLAIN_DD_LOOKING, dcs={2: ("127.0.0.1", srv.port)}, padded_only=padded) as proxy:
        written = ("dd" if padded else "") + PLAIN_DD_LOOKING.hex()
        me = get_me_through(session, **telethon_proxy_options(f"mtproxy://{written}@127.0.0.1:{proxy.port}"))
        assert me.id == srv.bot.id
        assert [c.mode for c in proxy.connections] == ["padded" if padded else "abridged"]
        assert proxy.auth_failures == 0


def test_socks5_credentials_reach_the_proxy(srv: TelegramTestServer, tmp_path: Path) -> None:
    session = srv.write_session(tmp_path / "bot.session")
    with Socks5Proxy("syncd", "p@ss:word") as proxy:
        me = get_me_through(session, **telethon_proxy_options(f"socks5://syncd:p%40ss%3Aword@127.0.0.1:{proxy.port}"))
        assert me.id == srv.bot.id and proxy.connections[0].user == "syncd"


def test_a_file_goes_through_mtproxy_at_openssl_speed(srv: TelegramTestServer, tmp_path: Path) -> None:
    """Telethon's own MTProxy cipher (pyaes) takes about 9 s for these 2 MB and stalls the event
    loop most of a second per chunk; OpenSSL's takes a fraction of a second."""
    import asyncio
    import os
    import time

    from telethon.tl import types

    session = srv.write_session(tmp_path / "bot.session")
    user = srv.add_user(first_name="Иван", phone="79123456789")
    data = os.urandom(2 * 1024 * 1024)
    with MTProxy(PLAIN_DD_LOOKING, dcs={2: ("127.0.0.1", srv.port)}) as proxy:
        async def body() -> tuple[float, float]:
            options = telethon_proxy_options(f"mtproxy://{PLAIN_DD_LOOKING.hex()}@127.0.0.1:{proxy.port}")
            client = client_for(session, receive_updates=False, **options)
            stalls: list[float] = []

            async def watch() -> None:
                while True:
                    before = time.monotonic()
                    await asyncio.sleep(0.01)
                    stalls.append(time.monotonic() - before - 0.01)

            await client.connect()
            watcher = asyncio.ensure_future(watch())
            try:
                started = time.monotonic()
                await client.send_file(types.InputPeerUser(user.id, user.access_hash), data,
                                       force_document=True, file_name="big.bin")
                return time.monotonic() - started, max(stalls)
            finally:
                watcher.cancel()
                await client.disconnect()

        took, worst_stall = run(body)
    assert srv.sent_to(user)[-1].size == len(data)
    assert took < 4 and worst_stall < 0.4, (took, worst_stall)
