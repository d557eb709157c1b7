"""An HTTP proxy: CONNECT tunnels (what Telethon, and requests for https://, use) and
absolute-URI forwarding (``GET http://host:port/path``: what requests does for http:// targets),
with optional Basic auth (407 without it).

A forwarded request is sent on as ``GET /path`` with ``Connection: close``, and its answer comes
back with ``Connection: close``: one request per client connection, so the proxy never has to
find where a keep-alive body ends.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from .base import ProxyServer, Relayed

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate",
               "te", "trailer", "upgrade"}


@dataclass(frozen=True)
class ProxiedRequest:
    method: str  # "CONNECT" for a tunnel
    target: str  # "host:port" for CONNECT, the absolute URL otherwise
    path: str  # the URL's path ("" for CONNECT)
    status: int | None  # what the client got: 200 tunnel, 407, 502, or the target's own status


class HttpProxy(ProxyServer):
    kind = "http"

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.username, self.password = username, password
        self._requests: list[ProxiedRequest] = []
        self._requests_lock = threading.Lock()

    @property
    def requests(self) -> list[ProxiedRequest]:
        with self._requests_lock:
            return list(self._requests)

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def _note(self, request: ProxiedRequest) -> None:
        with self._requests_lock:
            self._requests.append(request)
        with self._lock:
            self._lock.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: Relayed) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, version = request_line.split(" ", 2)
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines if ":" in line]
        if not self._authorized(headers):
            self._auth_failed()
            self._note(ProxiedRequest(method, target, "" if method == "CONNECT" else urlsplit(target).path, 407))
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
            await writer.drain()
            return
        if self.username is not None:
            self._update(record, user=self.username)

        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            try:
                up_reader, up_writer = await self._open_upstream(host.strip("[]"), int(port), record)
            except (OSError, ValueError):
                self._note(ProxiedRequest(method, target, "", 502))
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            self._update(record, mode="connect")
            self._note(ProxiedRequest(method, target, "", 200))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await self._relay(reader, writer, up_reader, up_writer, record)
            return

        url = urlsplit(target)
        if url.scheme != "http" or not url.hostname:
            self._note(ProxiedRequest(method, target, url.path, 400))
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return
        try:
            up_reader, up_writer = await self._open_upstream(url.hostname, url.port or 80, record)
        except OSError:
            self._note(ProxiedRequest(method, target, url.path, 502))
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return
        self._update(record, mode="forward")
        origin_form = url.path or "/"
        if url.query:
            origin_form += "?" + url.query
        kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        up_writer.write(_head(f"{method} {origin_form} {version}", [*kept, ("Connection", "close")]))
        # The body (if any) follows the head as it comes; the answer's head is rewritten on its way back.
        upload = asyncio.ensure_future(self._pump(reader, up_writer, record, "bytes_up"))
        try:
            answer = await up_reader.readuntil(b"\r\n\r\n")
            status_line, *answer_lines = answer.decode("latin-1").split("\r\n")[:-2]
            answer_headers = [tuple(p.strip() for p in line.split(":", 1)) for line in answer_lines if ":" in line]
            self._note(ProxiedRequest(method, target, url.path, int(status_line.split(" ")[1])))
            answer_kept = [(k, v) for k, v in answer_headers if k.lower() not in _HOP_BY_HOP]
            writer.write(_head(status_line, [*answer_kept, ("Connection", "close")]))
            await self._pump(up_reader, writer, record, "bytes_down")
        finally:
            upload.cancel()
            await asyncio.gather(upload, return_exceptions=True)
            self._writers.discard(up_writer)
            up_writer.transport.abort()
        await writer.drain()

    def _authorized(self, headers: list[tuple[str, ...]]) -> bool:
        if self.username is None:
            return True
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return any(k.lower() == "proxy-authorization" and v == f"Basic {expected}" for k, v in headers)


def _head(first_line: str, headers: list[tuple[str, ...]]) -> bytes:
    lines = [first_line, *(f"{k}: {v}" for k, v in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1")
