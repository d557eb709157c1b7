"""Local proxies for the tests: SOCKS5, HTTP (CONNECT and forwarding) and MTProxy, on 127.0.0.1.

See docs/dev/test-harness-api.md ("Local proxies").
"""

from __future__ import annotations

from .base import ProxyServer, Relayed
from .http import HttpProxy, ProxiedRequest
from .mtproxy import MTProxy
from .socks5 import Socks5Proxy
from .tls import TlsTerminator

__all__ = ["HttpProxy", "MTProxy", "ProxiedRequest", "ProxyServer", "Relayed", "Socks5Proxy", "TlsTerminator"]
