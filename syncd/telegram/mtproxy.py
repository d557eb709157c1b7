"""Telethon's MTProxy connections with OpenSSL's AES-CTR instead of pyaes.

Telethon 1.45 obfuscates MTProxy traffic with pyaes, pure Python (cryptg only does IGE): about
0.2 MB/s, on the event loop, so a file relayed through an MTProxy stalled every other task for
most of a second per chunk. The stream is the same; only the cipher is swapped, right after
Telethon built the 64-byte header (whose bytes 8..56 are sent in clear, so the keys can be
derived again from it: sha256(init[8:40] + secret) with IV init[40:56] one way, the same over
init[8:56] reversed the other way; the sending stream has already used 64 bytes on the header).
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from telethon.network.connection.tcpmtproxy import (
    ConnectionTcpMTProxyAbridged,
    ConnectionTcpMTProxyRandomizedIntermediate,
    MTProxyIO,
)


class _Ctr:
    """AES-256-CTR as one continuous stream; `encrypt` is also `decrypt` (Telethon calls both)."""

    def __init__(self, key: bytes, iv: bytes, used: int = 0) -> None:
        self._cipher = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
        if used:
            self._cipher.update(bytes(used))

    def encrypt(self, data: bytes) -> bytes:
        return self._cipher.update(bytes(data))

    decrypt = encrypt


class FastMTProxyIO(MTProxyIO):
    def __init__(self, connection: Any) -> None:
        super().__init__(connection)
        init, secret = bytes(self.header), connection._secret  # the 16 bytes Telethon keyed with
        reverse = init[55:7:-1]
        self._encrypt = _Ctr(hashlib.sha256(init[8:40] + secret).digest(), init[40:56], used=64)
        self._decrypt = _Ctr(hashlib.sha256(reverse[:32] + secret).digest(), reverse[32:48])


class MTProxyAbridged(ConnectionTcpMTProxyAbridged):
    obfuscated_io = FastMTProxyIO


class MTProxyPadded(ConnectionTcpMTProxyRandomizedIntermediate):
    obfuscated_io = FastMTProxyIO
