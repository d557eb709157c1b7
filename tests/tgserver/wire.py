"""MTProto 2.0 wire layer of the test server: TCP "full" framing, encryption, TL framing.

Everything here mirrors what Telethon does on its side (telethon/network/connection/
tcpfull.py and telethon/network/mtprotostate.py) with the server's direction of the key
derivation (x = 8 for server -> client).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import struct
import time
import zlib
from dataclasses import dataclass
from typing import Any

from telethon.crypto import AES
from telethon.tl.tlobject import TLObject

VECTOR_ID = 0x1CB5C415
BOOL_TRUE_ID = 0x997275B5
BOOL_FALSE_ID = 0xBC799737
RPC_RESULT_ID = 0xF35C6D01

# Transport error Telethon maps to AuthKeyNotFound (see InvalidBufferError, code 404).
TRANSPORT_AUTH_KEY_NOT_FOUND = -404


class WireError(Exception):
    """The peer sent something that cannot be a valid MTProto packet; close the socket."""


def auth_key_id(key: bytes) -> int:
    """auth_key_id = the 64 lower-order bits of SHA1(auth_key), read little-endian."""
    return struct.unpack("<Q", hashlib.sha1(key).digest()[12:20])[0]


# ---------------------------------------------------------------- TCP full framing


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One transport packet: int32 length | int32 seq | payload | crc32 (all little-endian)."""
    head = await reader.readexactly(8)
    length, _seq = struct.unpack("<ii", head)
    # 12 bytes of framing around a payload of at least auth_key_id; 16 MiB caps garbage.
    if length < 12 + 8 or length > 16 * 1024 * 1024:
        raise WireError(f"bad frame length {length}")
    rest = await reader.readexactly(length - 8)
    payload, crc = rest[:-4], struct.unpack("<I", rest[-4:])[0]
    if zlib.crc32(head + payload) != crc:
        raise WireError("bad frame crc32")
    return payload


def encode_frame(payload: bytes, seq: int) -> bytes:
    data = struct.pack("<ii", len(payload) + 12, seq) + payload
    return data + struct.pack("<I", zlib.crc32(data))


# ---------------------------------------------------------------- MTProto 2.0 encryption


def _aes_key_iv(key: bytes, msg_key: bytes, x: int) -> tuple[bytes, bytes]:
    a = hashlib.sha256(msg_key + key[x : x + 36]).digest()
    b = hashlib.sha256(key[x + 40 : x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


@dataclass
class Envelope:
    """The plaintext header of one decrypted client message."""

    salt: int
    session_id: int
    msg_id: int
    seq_no: int
    body: bytes


def decrypt_client_message(key: bytes, payload: bytes) -> Envelope:
    """payload = auth_key_id(8) | msg_key(16) | AES-IGE(plaintext); x = 0 (client -> server)."""
    msg_key, encrypted = payload[8:24], payload[24:]
    if len(encrypted) == 0 or len(encrypted) % 16:
        raise WireError("encrypted data is not a multiple of 16 bytes")
    aes_key, aes_iv = _aes_key_iv(key, msg_key, 0)
    plain = AES.decrypt_ige(encrypted, aes_key, aes_iv)
    if hashlib.sha256(key[88:120] + plain).digest()[8:24] != msg_key:
        raise WireError("msg_key mismatch (wrong auth key or corrupted data)")
    salt, session_id, msg_id, seq_no, length = struct.unpack("<qqqii", plain[:32])
    if length < 0 or 32 + length > len(plain):
        raise WireError("inner message length out of bounds")
    return Envelope(salt, session_id, msg_id, seq_no, plain[32 : 32 + length])


def encrypt_server_message(
    key: bytes, key_id: int, salt: int, session_id: int, msg_id: int, seq_no: int, body: bytes
) -> bytes:
    """Inverse of the above for server -> client (x = 8), padded with 12..1024 random bytes."""
    plain = struct.pack("<qqqii", salt, session_id, msg_id, seq_no, len(body)) + body
    plain += os.urandom(-(len(plain) + 12) % 16 + 12)
    msg_key = hashlib.sha256(key[96:128] + plain).digest()[8:24]
    aes_key, aes_iv = _aes_key_iv(key, msg_key, 8)
    return struct.pack("<Q", key_id) + msg_key + AES.encrypt_ige(plain, aes_key, aes_iv)


class ServerMsgIds:
    """Server msg_ids: about unixtime * 2**32, strictly increasing, and odd (Telethon rejects
    even ones): % 4 == 1 for answers to client messages, % 4 == 3 for everything else."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, *, response: bool) -> int:
        now = time.time()
        candidate = (int(now) << 32) | (int((now % 1) * (1 << 32)) & ~3)
        base = max(candidate, (self._last & ~3) + 4)
        self._last = base | (1 if response else 3)
        return self._last


# ---------------------------------------------------------------- TL framing helpers


def serialize_result(value: Any) -> bytes:
    """Serialize an RPC result: a TL object, a bool (Bool) or a list (Vector<T>)."""
    if isinstance(value, bool):
        return struct.pack("<I", BOOL_TRUE_ID if value else BOOL_FALSE_ID)
    if isinstance(value, list):
        parts = [struct.pack("<Ii", VECTOR_ID, len(value))]
        for item in value:
            parts.append(struct.pack("<q", item) if isinstance(item, int) else bytes(item))
        return b"".join(parts)
    if isinstance(value, TLObject):
        return bytes(value)
    raise TypeError(f"cannot serialize RPC result {value!r}")


def rpc_result(req_msg_id: int, result: bytes) -> bytes:
    return struct.pack("<Iq", RPC_RESULT_ID, req_msg_id) + result
