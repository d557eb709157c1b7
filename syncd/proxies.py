"""Proxy URLs of the config: ``telegram.proxy`` and ``okdesk.proxy``, parsed and checked.

Pure parsing, no network and no Telethon: the config validates with it (every problem at
once), the daemon builds Telethon's arguments from it (syncd/telegram/proxy.py), and the log
redaction learns from it which parts are secrets. Error messages never repeat the URL: it may
hold a password or an MTProxy secret.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

TELEGRAM_FORMS = ("socks5://[user:password@]host:port, http://[user:password@]host:port "
                  "or mtproxy://SECRET@host:port")
_HEX = re.compile(r"[0-9a-fA-F]+")


class ProxyUrlError(ValueError):
    """What is wrong with a proxy URL, in plain words, without the URL's secrets."""


@dataclass(frozen=True)
class TelegramProxy:
    kind: str  # "socks5" | "http" | "mtproxy"
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # MTProxy: the 16-byte key, and whether the proxy wants padded intermediate ("dd" secrets).
    secret: bytes | None = field(default=None, repr=False)
    padded: bool = False


def parse_telegram_proxy(url: str) -> TelegramProxy:
    """``socks5://``, ``socks5h://``, ``http://`` or ``mtproxy://SECRET@host:port``; also the
    ``tg://proxy?server=&port=&secret=`` and ``https://t.me/proxy?...`` links MTProxy owners share."""
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("tg", "https") and _is_share_link(parts):
        return _parse_share_link(parts.query)
    if scheme not in ("socks5", "socks5h", "http", "mtproxy"):
        shown = f"{scheme}://" if scheme else "no scheme"
        raise ProxyUrlError(f"must be {TELEGRAM_FORMS} (got {shown})")
    host, port = _host_port(parts, need_port=True)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxyUrlError("must end with host:port (nothing after the port)")
    if scheme == "mtproxy":
        if parts.username is None or parts.password is not None:
            raise ProxyUrlError("an MTProxy URL is mtproxy://SECRET@host:port (the secret, no user name)")
        secret, padded = parse_mtproxy_secret(unquote(parts.username))
        return TelegramProxy("mtproxy", host, port, secret=secret, padded=padded)
    username, password = _credentials(parts)
    # socks5h (names resolved by the proxy) is what Telethon does for socks5 anyway.
    return TelegramProxy("http" if scheme == "http" else "socks5", host, port, username, password)


def check_okdesk_proxy(url: str) -> None:
    """requests speaks HTTP and HTTPS proxies (CONNECT for https:// Okdesk, absolute URLs for http://)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}://" if scheme else "no scheme"
        raise ProxyUrlError(f"must be http://[user:password@]host:port or https://... (got {shown})")
    _host_port(parts, need_port=False)
    _credentials(parts)


def parse_mtproxy_secret(text: str) -> tuple[bytes, bool]:
    """32 hex digits (plain), or ``dd`` and 32 hex digits (padded), or the same in base64."""
    text = text.strip()
    raw: bytes | None = None
    if _HEX.fullmatch(text) and len(text) % 2 == 0:
        raw = bytes.fromhex(text)
    else:
        try:
            raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raw = None
    if raw and len(raw) == 16:
        return raw, False
    if raw and len(raw) == 17 and raw[0] == 0xDD:
        return raw[1:], True
    if raw and len(raw) > 17 and raw[0] == 0xEE:
        # Fake-TLS: Telethon cannot do the TLS-looking handshake these proxies demand.
        raise ProxyUrlError("fake-TLS MTProxy secrets (starting with ee) are not supported; "
                            "ask the proxy's owner for its plain or dd secret")
    raise ProxyUrlError("the MTProxy secret must be 32 hex digits, or dd followed by 32 hex digits")


def proxy_secrets(url: str | None) -> list[str]:
    """The parts of a proxy URL that must never reach a log: the credentials (with the password
    also alone) and an MTProxy secret in each form it may be printed in. Never raises. The user
    name alone is not hidden: it is often a plain word ("syncd") that would blank out log lines."""
    if not url:
        return []
    values: list[str] = []
    try:
        parts = urlsplit(url.strip())
        secrets = parse_qs(parts.query).get("secret", [])
        if "@" in parts.netloc:
            userinfo = parts.netloc.rsplit("@", 1)[0]
            values += [userinfo, unquote(userinfo)]
            if ":" in userinfo:
                password = userinfo.split(":", 1)[1]
                values += [password, unquote(password)]
            else:  # mtproxy://SECRET@host:port
                secrets.append(unquote(userinfo))
        for written in secrets:
            values.append(written)
            try:
                key, _padded = parse_mtproxy_secret(written)
            except ProxyUrlError:
                continue
            hexed = key.hex()
            values += [hexed, hexed.upper(), "dd" + hexed, base64.b64encode(key).decode(),
                       base64.urlsafe_b64encode(key).decode().rstrip("=")]
    except ValueError:
        pass
    return [v for v in dict.fromkeys(values) if v]


def _is_share_link(parts: SplitResult) -> bool:
    netloc, path = parts.netloc.lower(), parts.path.rstrip("/")
    return (parts.scheme.lower() == "tg" and netloc == "proxy") or (
        netloc in ("t.me", "telegram.me") and path == "/proxy")


def _parse_share_link(query: str) -> TelegramProxy:
    params = {k: v[0] for k, v in parse_qs(query).items() if v}
    if not params.get("server") or not params.get("port") or not params.get("secret"):
        raise ProxyUrlError("an MTProxy link needs server=, port= and secret=")
    port = _port_number(params["port"])
    secret, padded = parse_mtproxy_secret(params["secret"])
    return TelegramProxy("mtproxy", params["server"], port, secret=secret, padded=padded)


def _host_port(parts: SplitResult, *, need_port: bool) -> tuple[str, int]:
    """(host, port); port 0 when it is missing and allowed to be (the scheme's default)."""
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ProxyUrlError("the port must be a number from 1 to 65535") from None
    if not host:
        raise ProxyUrlError("the proxy's host is missing")
    if port is None and need_port:
        raise ProxyUrlError("the proxy's port is missing (host:port)")
    if port is not None and not 0 < port < 65536:
        raise ProxyUrlError("the port must be a number from 1 to 65535")
    return host, port or 0


def _port_number(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ProxyUrlError("the port must be a number from 1 to 65535")
    return int(text)


def _credentials(parts: SplitResult) -> tuple[str | None, str | None]:
    username, password = parts.username, parts.password
    if username is None and password is None:
        return None, None
    if not username or not password:
        raise ProxyUrlError("give both a user name and a password (user:password@host), or neither")
    return unquote(username), unquote(password)
