"""A SOCKS5 proxy (RFC 1928), CONNECT only, with optional user/password auth (RFC 1929)."""

from __future__ import annotations

import asyncio
import ipaddress
import struct

from .base import ProxyServer, Relayed

NO_AUTH, USER_PASSWORD, NO_ACCEPTABLE = 0x00, 0x02, 0xFF
SUCCEEDED, GENERAL_FAILURE, REFUSED, COMMAND_NOT_SUPPORTED = 0x00, 0x01, 0x05, 0x07


class Socks5Proxy(ProxyServer):
    """With `username`/`password`, only clients that offer and pass user/password auth get through."""

    kind = "socks5"

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.username, self.password = username, password

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: Relayed) -> None:
        version, count = await reader.readexactly(2)
        if version != 5:
            return
        methods = await reader.readexactly(count)
        wanted = USER_PASSWORD if self.username is not None else NO_AUTH
        if wanted not in methods:
            writer.write(bytes([5, NO_ACCEPTABLE]))
            self._auth_failed()
            return
        writer.write(bytes([5, wanted]))
        if wanted == USER_PASSWORD:
            _sub_version, ulen = await reader.readexactly(2)
            user = (await reader.readexactly(ulen)).decode("utf-8", "replace")
            (plen,) = await reader.readexactly(1)
            password = (await reader.readexactly(plen)).decode("utf-8", "replace")
            if (user, password) != (self.username, self.password):
                writer.write(b"\x01\x01")
                await writer.drain()
                self._auth_failed()
                return
            writer.write(b"\x01\x00")
            self._update(record, user=user)

        _version, command, _reserved, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif atyp == 3:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode("idna")
        elif atyp == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            writer.write(_reply(GENERAL_FAILURE))
            return
        (port,) = struct.unpack(">H", await reader.readexactly(2))
        if command != 1:  # CONNECT; no BIND, no UDP ASSOCIATE
            writer.write(_reply(COMMAND_NOT_SUPPORTED))
            return
        try:
            up_reader, up_writer = await self._open_upstream(host, port, record)
        except OSError:
            writer.write(_reply(REFUSED))
            await writer.drain()
            return
        bound_host, bound_port = up_writer.get_extra_info("sockname")[:2]
        writer.write(_reply(SUCCEEDED, bound_host, bound_port))
        await writer.drain()
        await self._relay(reader, writer, up_reader, up_writer, record)


def _reply(code: int, host: str = "0.0.0.0", port: int = 0) -> bytes:
    address = ipaddress.ip_address(host)
    atyp = 1 if address.version == 4 else 4
    return bytes([5, code, 0, atyp]) + address.packed + struct.pack(">H", port)
