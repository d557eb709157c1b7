"""A local MTProxy: the obfuscated2 handshake keyed with the proxy's secret, then the client's
MTProto packets re-framed for the Telegram test server, which speaks TCP "full" framing.

The server side of what telethon/network/connection/tcpmtproxy.py does as the client:
- the client's first 64 bytes are random but for bytes 56..64, which carry, AES-CTR encrypted,
  the transport tag (abridged 0xefefefef, intermediate 0xeeeeeeee, padded intermediate
  0xdddddddd) and the DC id (int16, little-endian);
- client -> proxy is AES-256-CTR with key sha256(init[8:40] + secret), IV init[40:56], the
  stream starting at the init's first byte (so 64 bytes are already used up);
- proxy -> client uses the same over init[8:56] reversed: key sha256(rev[0:32] + secret), IV rev[32:48].
A wrong secret decrypts the tag to garbage: the proxy hangs up, as a real one does.
A real MTProxy forwards to Telegram's DC `dc_id`; this one to `dcs[dc_id]`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import struct
import zlib
from collections.abc import Awaitable, Callable

from telethon.crypto import AESModeCTR

try:  # OpenSSL's AES when there (pyaes, Telethon's own, does about 0.5 MB/s)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:  # pragma: no cover
    Cipher = None  # type: ignore[assignment,misc]

from .base import ProxyServer, Relayed

TAGS = {b"\xef" * 4: "abridged", b"\xee" * 4: "intermediate", b"\xdd" * 4: "padded"}


class MTProxy(ProxyServer):
    """`secret`: the 16 bytes; `padded_only`: accept only the padded transport, as a real proxy
    does for a "dd" secret (its secure mode)."""

    kind = "mtproxy"

    def __init__(self, secret: bytes, dcs: dict[int, tuple[str, int]], padded_only: bool = False) -> None:
        super().__init__()
        assert len(secret) == 16
        self.secret, self.dcs, self.padded_only = secret, dict(dcs), padded_only

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: Relayed) -> None:
        init = await reader.readexactly(64)
        decrypt = _ctr(hashlib.sha256(init[8:40] + self.secret).digest(), init[40:56])
        plain = decrypt.encrypt(init)  # CTR: the same operation both ways; uses up 64 bytes
        mode = TAGS.get(plain[56:60])
        dc_id = int.from_bytes(plain[60:62], "little", signed=True)
        if mode is None or (self.padded_only and mode != "padded"):
            self._auth_failed()  # a wrong secret (or transport): hang up, like a real MTProxy
            return
        self._update(record, mode=mode, dc_id=dc_id)
        if abs(dc_id) not in self.dcs:
            return
        reversed_init = init[55:7:-1]
        encrypt = _ctr(hashlib.sha256(reversed_init[:32] + self.secret).digest(), reversed_init[32:48])
        up_reader, up_writer = await self._open_upstream(*self.dcs[abs(dc_id)], record)

        async def read_plain(n: int) -> bytes:
            return decrypt.encrypt(await reader.readexactly(n))

        async def upward() -> None:
            seq = 0
            while True:
                payload = await _read_inner(read_plain, mode)
                up_writer.write(_full_frame(payload, seq))
                seq += 1
                self._add(record, "bytes_up", len(payload))
                await up_writer.drain()

        async def downward() -> None:
            while True:
                payload = await _read_full_frame(up_reader)
                writer.write(encrypt.encrypt(_encode_inner(payload, mode)))
                self._add(record, "bytes_down", len(payload))
                await writer.drain()

        await self._both_ways(upward(), downward(), up_writer)


class _OpenSslCtr:
    def __init__(self, key: bytes, iv: bytes) -> None:
        self._cipher = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()

    def encrypt(self, data: bytes) -> bytes:
        return self._cipher.update(data)


def _ctr(key: bytes, iv: bytes) -> _OpenSslCtr | AESModeCTR:
    """AES-256-CTR, one continuous stream (encrypting and decrypting are the same operation)."""
    return _OpenSslCtr(key, iv) if Cipher is not None else AESModeCTR(key, iv)


async def _read_inner(read_plain: Callable[[int], Awaitable[bytes]], mode: str) -> bytes:
    if mode == "abridged":
        (length,) = await read_plain(1)
        length &= 0x7F  # the high bit asks for a quick ack
        if length == 0x7F:
            length = int.from_bytes(await read_plain(3), "little")
        return await read_plain(length * 4)
    (length,) = struct.unpack("<I", await read_plain(4))
    data = await read_plain(length & 0x7FFFFFFF)
    # Padded intermediate: 0..3 random bytes after the packet; MTProto packets are 4-byte aligned.
    return data[: len(data) - len(data) % 4] if mode == "padded" else data


def _encode_inner(payload: bytes, mode: str) -> bytes:
    if mode == "abridged":
        words = len(payload) // 4
        head = bytes([words]) if words < 0x7F else b"\x7f" + words.to_bytes(3, "little")
        return head + payload
    if mode == "padded":
        payload += os.urandom(random.randint(0, 3))
    return struct.pack("<I", len(payload)) + payload


async def _read_full_frame(reader: asyncio.StreamReader) -> bytes:
    """TCP full: length | seq | payload | crc32. Lenient about size: a transport error is 4 bytes."""
    head = await reader.readexactly(8)
    (length,) = struct.unpack("<i", head[:4])
    rest = await reader.readexactly(length - 8)
    payload, crc = rest[:-4], struct.unpack("<I", rest[-4:])[0]
    if zlib.crc32(head + payload) != crc:
        raise ConnectionError("test server sent a frame with a bad crc32")
    return payload


def _full_frame(payload: bytes, seq: int) -> bytes:
    data = struct.pack("<ii", len(payload) + 12, seq) + payload
    return data + struct.pack("<I", zlib.crc32(data))
