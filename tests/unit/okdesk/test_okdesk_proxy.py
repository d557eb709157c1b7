"""okdesk.proxy: an https:// Okdesk reached through an HTTP proxy by CONNECT (the e2e test covers
the forwarding of http:// requests), and a dead proxy, which is an outage named as the proxy's."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from syncd.okdesk.errors import OkdeskUnavailable
from tests.proxies import HttpProxy, TlsTerminator
from tests.unit.okdesk._helpers import assert_clean, make_client, settled


def test_https_okdesk_goes_through_the_proxy_by_connect(emu, tmp_path: Path) -> None:
    emu.add_employee("Сергей", "Иванов")
    emu_port = urlsplit(emu.base_url).port
    with TlsTerminator(("127.0.0.1", emu_port), tmp_path / "tls") as front, \
            HttpProxy("okd", "pr0xy-pass") as proxy:
        client = make_client(emu, base_url=f"https://localhost:{front.port}", verify=str(front.ca_path),
                             proxy=f"http://okd:pr0xy-pass@127.0.0.1:{proxy.port}")
        try:
            assert len(client.list_statuses()) == 5
            assert "Иванов" in [e.last_name for e in client.list_employees()]
        finally:
            client.close()
        # requests tunnelled (it never sent the proxy a URL, let alone the token) ...
        assert {(r.method, r.target, r.status) for r in proxy.requests} == {
            ("CONNECT", f"localhost:{front.port}", 200)}
        # ... the TLS server saw the proxy's socket, and Okdesk the requests that came out of TLS.
        tunnel_ends = {r.upstream_local for r in proxy.connections}
        assert front.connections and all(r.client in tunnel_ends for r in front.connections)
        behind_tls = {r.upstream_local for r in front.connections}
        assert all(r.peer in behind_tls for r in settled(emu).requests)
        assert [r.path for r in emu.requests] == ["/api/v1/issues/statuses", "/api/v1/employees/list"]


def test_a_dead_proxy_is_an_outage_named_after_it_and_nothing_goes_around_it(emu) -> None:
    with HttpProxy() as proxy:
        proxy.down = True
        client = make_client(emu, proxy=f"http://127.0.0.1:{proxy.port}", get_retries=0)
        try:
            with pytest.raises(OkdeskUnavailable) as err:
                client.list_statuses()
        finally:
            client.close()
    assert err.value.kind == "proxy" and "proxy" in str(err.value)
    assert_clean(err.value)
    assert proxy.refused >= 1 and settled(emu).requests == []
