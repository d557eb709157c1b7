"""telegram.proxy and okdesk.proxy: the daemon's traffic goes through local proxies (tests/proxies),
and only through them: with the proxy dead it waits, it never goes around it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import MTPROXY_SECRET, PROXY_PASSWORD
from tests.e2e.helpers import client_with_issue, eventually, link_client, wait_baseline, wait_text
from tests.proxies import HttpProxy, MTProxy, ProxyServer, Socks5Proxy

pytestmark = pytest.mark.e2e


@pytest.fixture
def proxies() -> Iterator[list[ProxyServer]]:
    started: list[ProxyServer] = []
    yield started
    for proxy in started:
        proxy.stop()


def telegram_proxy(kind: str, tg: Any, started: list[ProxyServer]) -> tuple[ProxyServer, str]:
    """A running local proxy of `kind` in front of the test server, and the telegram.proxy URL for it."""
    secret = bytes.fromhex(MTPROXY_SECRET)
    proxy: ProxyServer
    if kind == "socks5":
        proxy = Socks5Proxy("syncd", PROXY_PASSWORD)
    elif kind == "http":
        proxy = HttpProxy("syncd", PROXY_PASSWORD)
    else:  # a "dd" secret: the proxy takes the padded transport only, as real ones do
        proxy = MTProxy(secret, dcs={2: ("127.0.0.1", tg.port)}, padded_only=kind == "mtproxy-dd")
    started.append(proxy.start())
    where = f"127.0.0.1:{proxy.port}"
    url = {"socks5": f"socks5://syncd:{PROXY_PASSWORD}@{where}", "http": f"http://syncd:{PROXY_PASSWORD}@{where}",
           "mtproxy": f"mtproxy://{MTPROXY_SECRET}@{where}", "mtproxy-dd": f"mtproxy://dd{MTPROXY_SECRET}@{where}"}
    return proxy, url[kind]


@pytest.mark.parametrize("kind", ["socks5", "http", "mtproxy", "mtproxy-dd"])
def test_telegram_traffic_goes_through_the_proxy_and_never_around_it(kind, make_daemon, emu, tg, employee,
                                                                      proxies) -> None:
    proxy, url = telegram_proxy(kind, tg, proxies)
    # The dead-proxy phase once per connection path (mtproxy-dd differs from mtproxy only inside).
    dead_first = kind != "mtproxy-dd"
    proxy.down = dead_first
    daemon = make_daemon(telegram={"proxy": url}).start(wait_ready=False)
    if dead_first:
        # The proxy is dead: the daemon keeps knocking on it and never reaches Telegram another way.
        eventually(lambda: proxy.refused >= 2 or tg.rpc_log, timeout=20, what="two knocks on the dead proxy")
        assert tg.rpc_log == [], "the daemon reached Telegram around its dead proxy"
        assert tg.connection_count == 0 and not daemon.find("ready")
        proxy.down = False
    daemon.wait_event("ready", timeout=30)
    user, contact_id = link_client(tg, emu, daemon)
    issue_id = emu.add_issue("Нет доступа к почте", contact_id=contact_id)
    wait_baseline(daemon, issue_id)
    emu.add_comment(issue_id, "<p>Пароль сброшен</p>", author=("employee", employee))
    wait_text(tg, user, "Пароль сброшен")

    relayed = [r for r in proxy.connections if r.target is not None]
    assert relayed and all(r.target == ("127.0.0.1", tg.port) for r in relayed)
    assert sum(r.bytes_down for r in relayed) > 0
    # Every connection the test server has is one the proxy relays: none came around it.
    eventually(lambda: tg.connection_count == len(proxy.open_connections()) > 0, what="only relayed connections")
    if kind in ("socks5", "http"):
        assert {r.user for r in relayed} == {"syncd"}
    else:
        assert {(r.mode, r.dc_id) for r in relayed} == {("padded" if kind == "mtproxy-dd" else "abridged", 2)}
    assert proxy.auth_failures == 0
    assert daemon.find("telegram_proxy")[0]["kind"] == ("http" if kind == "http" else kind.split("-")[0])


def test_okdesk_requests_go_through_its_proxy_and_never_around_it(make_daemon, emu, tg, employee,
                                                                   proxies) -> None:
    proxy = HttpProxy("okd", PROXY_PASSWORD).start()
    proxies.append(proxy)
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сломался сканер", okdesk={"proxy": f"http://okd:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"})
    emu.add_comment(issue_id, "<p>Едем к вам</p>", author=("employee", employee))
    wait_text(tg, user, "Едем к вам")
    daemon.wait_cycles(2)

    assert "/api/v1/issues/list" in proxy.paths("GET")
    assert all(r.status != 407 for r in proxy.requests)
    # The emulator saw every request come from the proxy's own sockets.
    sources = {r.upstream_local for r in proxy.connections}
    assert emu.requests and all(r.peer in sources for r in emu.requests)

    # With the proxy dead, polls fail and nothing reaches Okdesk around it.
    proxy.down = True
    proxy.wait_for(lambda: proxy.refused >= 2, timeout=15)
    before = len(emu.requests)
    proxy.wait_for(lambda: proxy.refused >= 5, timeout=15)
    assert len(emu.requests) == before
    # Logged once the poll's own tries are spent: the sweep's may have made up those refusals.
    failed = eventually(lambda: daemon.find("poll_failed"), what="a failed poll logged")
    assert {e["kind"] for e in failed} == {"proxy"}
