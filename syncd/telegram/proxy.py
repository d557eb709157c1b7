"""``telegram.proxy`` turned into TelegramClient's ``proxy=`` and ``connection=`` arguments.

What Telethon 1.45 does with them (read from telethon/network/connection/):
- SOCKS5 and HTTP CONNECT go through python-socks. Without it installed Telethon only *warns*
  that the proxy "will be ignored", then fails on the first connect; we refuse to start instead.
- MTProxy is a connection class of its own, given ``proxy=(host, port, secret)``. A "dd" secret
  means the proxy accepts only the padded intermediate transport; for a plain secret we use
  abridged, as Telegram Desktop does. Telethon strips a leading "dd"/"ee" from the secret *text*
  before decoding it, which would mangle a plain secret that happens to start with those letters,
  so it always gets "dd" + hex: the prefix it strips is our own. Fake-TLS ("ee") secrets are
  refused by the config: Telethon cannot do their handshake. Its MTProxy cipher is pure Python
  (about 0.2 MB/s, on the event loop): syncd/telegram/mtproxy.py swaps in OpenSSL's.
"""

from __future__ import annotations

from typing import Any

from syncd.proxies import TelegramProxy, parse_telegram_proxy


class ProxyUnavailable(RuntimeError):
    """A SOCKS/HTTP proxy is configured but python-socks is missing: never connect around it."""


def telethon_proxy_options(url: str | None) -> dict[str, Any]:
    """Keyword arguments for TelegramClient; empty without a proxy."""
    if not url:
        return {}
    spec = parse_telegram_proxy(url)
    if spec.kind == "mtproxy":
        from syncd.telegram.mtproxy import MTProxyAbridged, MTProxyPadded

        assert spec.secret is not None
        connection = MTProxyPadded if spec.padded else MTProxyAbridged
        return {"connection": connection, "proxy": (spec.host, spec.port, "dd" + spec.secret.hex())}
    _require_python_socks()
    return {"proxy": _socks_dict(spec)}


def describe(url: str | None) -> dict[str, Any]:
    """What a log line may say about the proxy: kind, host and port, never credentials or secret."""
    if not url:
        return {"kind": None}
    spec = parse_telegram_proxy(url)
    return {"kind": spec.kind, "host": spec.host, "port": spec.port, "auth": spec.username is not None}


def _socks_dict(spec: TelegramProxy) -> dict[str, Any]:
    # rdns: host names are resolved by the proxy, so a blocked or poisoned local DNS does not matter.
    return {"proxy_type": spec.kind, "addr": spec.host, "port": spec.port,
            "username": spec.username, "password": spec.password, "rdns": True}


def _require_python_socks() -> None:
    try:
        # Only the top package: Telethon patches python-socks' error classes into ConnectionErrors
        # just before it first imports python_socks.async_.asyncio, and an earlier import of that
        # module by us would make proxy failures crash the client instead of being retried.
        import python_socks  # noqa: F401
    except ImportError:
        raise ProxyUnavailable("telegram.proxy needs the python-socks package "
                               "(pip install 'python-socks[asyncio]')") from None
