"""HTTP plumbing: the threaded server, keep-alive handling, faults and the request log.

Built on http.server so the emulator needs nothing outside the stdlib.  Responses
are written with one send (status line, headers and JSON body together) and
TCP_NODELAY is set on every accepted socket: without both, Nagle plus the
client's delayed ACK add ~40 ms to each keep-alive request and distort benchmarks.
"""

from __future__ import annotations

import contextlib
import http
import socket
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .bodies import BodyReader, decode_body
from .context import Context, Request, RequestRecord, Response, error_response, json_response
from .faults import DEFAULT_ERROR_BODY, MALFORMED_JSON, Fault, status_text
from .multipart import UploadedFile
from .params import ApiError, parse_query
from .routing import resolve

UNAUTHORIZED = "Неверный api_token"
FORBIDDEN = "Недостаточно прав для выполнения действия"
ROUTE_NOT_FOUND = "Запрашиваемый ресурс не найден"
INTERNAL_ERROR = "Внутренняя ошибка сервера"
ANSWERING_FAULTS = frozenset({"status", "retry_after", "error_body", "malformed_json"})


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    # Do not join handler threads on close: some sleep inside injected faults.
    block_on_close = False
    # socketserver's default listen backlog of 5 overflows when a client opens a burst
    # of connections; dropped SYNs are retried after 1 s, which ruins latency figures.
    request_queue_size = 128

    def __init__(self, ctx: Context, port: int = 0):
        self.ctx = ctx
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_all_connections(self) -> None:
        """Unblock handler threads idling on keep-alive sockets (used by stop())."""
        with self._connections_lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)


def fault_response(fault: Fault) -> Response:
    if fault.kind == "retry_after":
        return error_response(429, status_text(429), {"Retry-After": str(fault.retry_after)})
    if fault.kind == "error_body":
        return json_response(fault.body if fault.body is not None else DEFAULT_ERROR_BODY)
    if fault.kind == "malformed_json":
        return Response(200, MALFORMED_JSON)
    if fault.body is not None:
        return json_response(fault.body, fault.status)
    return error_response(fault.status, status_text(fault.status))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "nginx"
    sys_version = ""
    server: EmulatorServer

    def setup(self) -> None:
        self.timeout = self.server.ctx.options.keepalive_timeout  # idle keep-alive limit
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log replaces stderr chatter

    def do_GET(self) -> None:
        ctx = self.server.ctx
        started = time.time()
        url = urlsplit(self.path)
        fault = ctx.faults.take(self.command, url.path)
        logged = False

        def record(status: int | None) -> None:
            # Logged just before the answer (or the drop) goes out, so a client that
            # has its response can already count the request.
            nonlocal logged
            if logged:
                return
            logged = True
            ctx.log.append(
                RequestRecord(
                    method=self.command,
                    path=url.path,
                    query=parse_qs(url.query, keep_blank_values=True),
                    status=status,
                    started=started,
                    finished=time.time(),
                    fault=fault.kind if fault else None,
                    peer=tuple(self.client_address[:2]),
                )
            )

        try:
            self._serve(ctx, url.path, url.query, fault, record)
        finally:
            record(None)  # an unexpected exception: no answer was sent

    # One entry point for every method: routing decides what is allowed.
    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _serve(
        self,
        ctx: Context,
        path: str,
        query: str,
        fault: Fault | None,
        record: Callable[[int | None], None],
    ) -> None:
        kind = fault.kind if fault is not None else None
        if fault is not None and kind in ("drop", "timeout"):
            if kind == "timeout":
                ctx.pause(fault.delay)
            record(None)
            self._drop()
            return
        if fault is not None and kind == "slow":
            ctx.pause(fault.delay)
        response: Response | None
        if fault is not None and kind in ANSWERING_FAULTS:
            response = fault_response(fault) if self._skip_body() else None
        else:
            response = self._dispatch(ctx, path, query)
        if fault is not None and kind == "after_effect_timeout":
            ctx.pause(fault.delay)  # the work is done but the client never learns it
            response = None
        if response is None:
            record(None)
            self._drop()
            return
        ctx.pause(ctx.options.latency)
        record(response.status)
        self._send(response)

    def _skip_body(self) -> bool:
        try:
            BodyReader(self.rfile, self.headers).drain()
        except (ApiError, OSError):
            return False
        return True

    def _dispatch(self, ctx: Context, path: str, query_string: str) -> Response | None:
        uploads: list[UploadedFile] = []  # deleted afterwards unless a handler adopted them
        reader: BodyReader | None = None
        try:
            reader = BodyReader(self.rfile, self.headers, ctx.options.max_request_bytes)
            reader.enforce_limit()  # nginx's client_max_body_size: before routing and auth
            found = resolve(self.command, path)
            if found is None:
                reader.drain()
                return error_response(404, ROUTE_NOT_FOUND)
            route, args = found
            query = parse_query(query_string)
            if route.authenticated and query.get("api_token") != ctx.api_token:
                reader.drain()
                return error_response(401, UNAUTHORIZED)
            if route.right is not None and route.right in ctx.options.denied_rights:
                reader.drain()  # refused before the body is judged: nothing is created
                return error_response(403, FORBIDDEN)
            body: dict[str, Any] = {}
            if route.reads_body:
                content_type = self.headers.get("Content-Type", "")
                body = decode_body(reader, content_type, ctx.files.incoming, uploads)
            reader.drain()
            return route.handler(ctx, Request(self.command, path, query, body), **args)
        except ApiError as exc:
            self._finish_body(reader)
            if exc.status == 413:
                # Like nginx: the whole body is read and discarded first (answering while
                # the client still sends makes it see a reset), then the connection closes.
                self.close_connection = True
            return error_response(exc.status, exc.errors, exc.headers)
        except (ConnectionError, TimeoutError):
            return None  # the client went away or stalled past the keep-alive timeout
        except Exception:
            ctx.internal_errors.append(traceback.format_exc())
            traceback.print_exc()
            self.close_connection = True  # the body may be half-read
            return error_response(500, INTERNAL_ERROR)
        finally:
            for upload in uploads:
                ctx.files.discard(upload.path)

    def _finish_body(self, reader: BodyReader | None) -> None:
        """After an error keep the connection only if the body can be skipped cleanly."""
        if reader is None or reader.broken:
            self.close_connection = True
            return
        try:
            reader.drain()
        except (ApiError, OSError):
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # already closed by the peer
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response) -> None:
        length = response.file_size if response.file is not None else len(response.body)
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            "Server: nginx",
            f"Date: {self.date_time_string(time.time() + self.server.ctx.options.clock_offset)}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {length}",
        ]
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            if self.command == "HEAD":
                self.wfile.write(head)
            elif response.file is None:
                self.wfile.write(head + response.body)
            else:
                self.wfile.write(head)
                with open(response.file, "rb") as source:
                    # sendfile streams from the page cache: no file-sized buffers.
                    self.connection.sendfile(source)
        except OSError:
            self.close_connection = True
