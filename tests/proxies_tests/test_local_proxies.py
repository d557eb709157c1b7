"""The local proxies against real clients: Telethon (SOCKS5, HTTP CONNECT, MTProxy in each of its
transports) and requests (HTTP forwarding), each relaying to the test stand-ins."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Any

import pytest
import requests
from telethon.network.connection import (
    ConnectionTcpMTProxyAbridged,
    ConnectionTcpMTProxyIntermediate,
    ConnectionTcpMTProxyRandomizedIntermediate,
)

from tests.okdesk_emulator import OkdeskEmulator
from tests.proxies import HttpProxy, MTProxy, Socks5Proxy
from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import get_me_through

pytestmark = pytest.mark.timeout(60)
SECRET = bytes.fromhex("0123456789abcdef0123456789abcdef")


def socks(proxy: Socks5Proxy | HttpProxy, kind: str, user: str | None, password: str | None) -> dict[str, Any]:
    return {"proxy_type": kind, "addr": proxy.host, "port": proxy.port, "username": user, "password": password}


def test_socks5_with_auth_relays_telethon_to_the_test_server(srv: TelegramTestServer, session: Path) -> None:
    with Socks5Proxy("bot", "s3cret-pass") as proxy:
        me = get_me_through(session, proxy=socks(proxy, "socks5", "bot", "s3cret-pass"))
        assert me.id == srv.bot.id
        (relayed,) = proxy.connections
        assert relayed.target == ("127.0.0.1", srv.port) and relayed.user == "bot"
        assert relayed.bytes_up > 0 and relayed.bytes_down > 0


def test_socks5_turns_away_a_wrong_password_and_nothing_reaches_the_server(
        srv: TelegramTestServer, session: Path) -> None:
    with Socks5Proxy("bot", "s3cret-pass") as proxy, pytest.raises(ConnectionError):
        get_me_through(session, proxy=socks(proxy, "socks5", "bot", "wrong"))
    assert proxy.auth_failures == 1 and srv.rpc_log == []


def test_http_connect_with_auth_relays_telethon(srv: TelegramTestServer, session: Path) -> None:
    with HttpProxy("bot", "s3cret-pass") as proxy:
        assert get_me_through(session, proxy=socks(proxy, "http", "bot", "s3cret-pass")).id == srv.bot.id
        assert [(r.method, r.target, r.status) for r in proxy.requests] == [
            ("CONNECT", f"127.0.0.1:{srv.port}", 200)]
        assert proxy.connections[0].mode == "connect" and proxy.connections[0].bytes_down > 0


def test_http_forwarding_for_requests_with_auth_and_407_without(emu: OkdeskEmulator) -> None:
    with HttpProxy("okd", "pa:ss") as proxy:
        url = f"{emu.base_url}/api/v1/issues/list?api_token=proxy-test-token"
        with requests.Session() as session:
            session.trust_env = False
            good = session.get(url, proxies={"http": f"http://okd:pa%3Ass@127.0.0.1:{proxy.port}"}, timeout=5)
            bad = session.get(url, proxies={"http": f"http://127.0.0.1:{proxy.port}"}, timeout=5)
            # A second request over the pool: the proxy's "Connection: close" made requests reconnect.
            again = session.get(url, proxies={"http": f"http://okd:pa%3Ass@127.0.0.1:{proxy.port}"}, timeout=5)
        assert (good.status_code, good.json(), bad.status_code, again.status_code) == (200, [], 407, 200)
        assert [(r.method, r.path, r.status) for r in proxy.requests] == [
            ("GET", "/api/v1/issues/list", 200), ("GET", "/api/v1/issues/list", 407),
            ("GET", "/api/v1/issues/list", 200)]
        # The emulator saw the requests come from the proxy's own sockets, with origin-form paths.
        relayed_from = {r.upstream_local for r in proxy.connections if r.upstream_local}
        assert [r.peer in relayed_from for r in emu.requests] == [True, True]
        assert [r.path for r in emu.requests] == ["/api/v1/issues/list"] * 2


def test_http_forwarding_carries_a_post_body(emu: OkdeskEmulator) -> None:
    emu.add_employee("Сергей", "Иванов")
    contact = emu.add_contact("Иван", "Петров", phone="+79123456789")
    issue = emu.add_issue("Принтер", contact_id=contact)
    with HttpProxy() as proxy:
        answer = requests.post(f"{emu.base_url}/api/v1/issues/{issue}/comments?api_token=proxy-test-token",
                               json={"comment": {"content": "через прокси", "author_id": contact,
                                                 "author_type": "contact", "public": True}},
                               proxies={"http": f"http://127.0.0.1:{proxy.port}"}, timeout=5)
    assert answer.status_code == 200, answer.text
    assert [c["content"] for c in emu.get_comments(issue)] == ["через прокси"]


@pytest.mark.parametrize("connection, mode", [
    (ConnectionTcpMTProxyAbridged, "abridged"),
    (ConnectionTcpMTProxyIntermediate, "intermediate"),
    (ConnectionTcpMTProxyRandomizedIntermediate, "padded"),
])
def test_mtproxy_relays_each_transport_to_the_test_server(srv: TelegramTestServer, session: Path,
                                                          connection: type, mode: str) -> None:
    with MTProxy(SECRET, dcs={2: ("127.0.0.1", srv.port)}) as proxy:
        me = get_me_through(session, connection=connection, proxy=(proxy.host, proxy.port, SECRET.hex()))
        assert me.id == srv.bot.id
        (relayed,) = proxy.connections
        assert (relayed.mode, relayed.dc_id, relayed.target) == (mode, 2, ("127.0.0.1", srv.port))
        assert relayed.bytes_up > 0 and relayed.bytes_down > 0


def test_mtproxy_hangs_up_on_a_wrong_secret_and_a_refused_transport(srv: TelegramTestServer,
                                                                     session: Path) -> None:
    with MTProxy(SECRET, dcs={2: ("127.0.0.1", srv.port)}, padded_only=True) as proxy:
        with pytest.raises(ConnectionError):
            get_me_through(session, connection=ConnectionTcpMTProxyRandomizedIntermediate,
                           proxy=(proxy.host, proxy.port, os.urandom(16).hex()))
        with pytest.raises(ConnectionError):
            get_me_through(session, connection=ConnectionTcpMTProxyAbridged,
                           proxy=(proxy.host, proxy.port, SECRET.hex()))
        assert proxy.auth_failures == 2
    assert srv.rpc_log == []


def test_a_proxy_that_is_down_closes_connections_and_counts_them() -> None:
    with Socks5Proxy() as proxy:
        proxy.down = True
        with socket.create_connection((proxy.host, proxy.port), timeout=5) as sock:
            sock.sendall(b"\x05\x01\x00")
            with contextlib.suppress(ConnectionResetError):  # closed, or reset: either way, nothing
                assert sock.recv(16) == b""
        assert proxy.refused == 1 and proxy.connections == []
