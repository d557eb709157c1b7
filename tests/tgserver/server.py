"""Connections and dispatch: MTProto service messages, RPC execution, pushed updates."""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
import traceback
from typing import Any

from telethon.errors import TypeNotFoundError
from telethon.extensions import BinaryReader
from telethon.tl import functions, types
from telethon.tl.core import GzipPacked, MessageContainer
from telethon.tl.tlobject import TLRequest

from . import rpc_account, rpc_media, rpc_messages  # noqa: F401  (they register handlers)
from .endpoint import Endpoint
from .faults import Faults, Hold, Stall
from .files import FileStore
from .limits import RpcFail
from .rpc import HANDLERS, Ctx, Options, method_names
from .state import RpcRecord, State, peer_key
from .wire import (
    TRANSPORT_AUTH_KEY_NOT_FOUND,
    ServerMsgIds,
    WireError,
    auth_key_id,
    decrypt_client_message,
    encode_frame,
    encrypt_server_message,
    read_frame,
    rpc_result,
    serialize_result,
)

log = logging.getLogger("tests.tgserver")

# Wrappers around the real call; InvokeWithoutUpdates also means "no updates for me".
_WRAPPERS = (
    functions.InvokeWithLayerRequest,
    functions.InitConnectionRequest,
    functions.InvokeAfterMsgRequest,
    functions.InvokeAfterMsgsRequest,
    functions.InvokeWithoutUpdatesRequest,
)

def unwrap(request: Any) -> tuple[Any, bool]:
    without_updates = False
    while isinstance(request, _WRAPPERS):
        without_updates |= isinstance(request, functions.InvokeWithoutUpdatesRequest)
        request = request.query
    return request, without_updates


class ServerCore:
    """Owns the listening socket and the connections; runs only on the server loop."""

    def __init__(self, state: State, files: FileStore, options: Options, faults: Faults) -> None:
        self.state, self.files, self.options, self.faults = state, files, options, faults
        self.keys: dict[int, bytes] = {}  # auth_key_id -> authorized bot key
        self.connections: set[Endpoint] = set()  # TCP and in-process clients alike
        self.salt = struct.unpack("<q", random.randbytes(8))[0]
        self.seen_sessions: set[tuple[int, int]] = set()
        # Updates produced while no connection listened (see Options.redeliver_after_reconnect).
        self.pending: list[types.Updates] = []
        self.port = 0
        self.stopping = False  # stop() began: closed connections are not dropped ones
        self._server: asyncio.Server | None = None

    async def start(self, *, tcp: bool = True) -> None:
        """tcp=False: no listening socket, only in-process clients (tests/fakes/telegram.py)."""
        if tcp:
            self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.stopping = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close(abort=True)
        if self._server is not None:
            await self._server.wait_closed()
        # Answers still held by a Hold nobody released.
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = ClientConnection(self, reader, writer)
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)
            conn.close()

    def add_key(self, key: bytes) -> None:
        self.keys[auth_key_id(key)] = key

    def drop_connections(self) -> int:
        conns = list(self.connections)
        for conn in conns:
            conn.close(abort=True)  # like a network failure: no FIN handshake niceties
        return len(conns)

    # ------------------------------------------------------------ updates

    def push(self, updates: types.Updates, exclude: Endpoint | None = None) -> None:
        targets = [c for c in self.connections if c.subscribed and c is not exclude]
        if targets:
            for conn in targets:
                conn.send(bytes(updates), response=False, content=True)
        elif exclude is None and self.options.redeliver_after_reconnect:
            self.pending.append(updates)

    def subscribe(self, conn: Endpoint) -> None:
        if conn.subscribed:
            return
        conn.subscribed = True
        pending, self.pending = self.pending, []
        for updates in pending:
            conn.send(bytes(updates), response=False, content=True)

    # ------------------------------------------------------------ RPC execution

    @staticmethod
    def _in_flight_keys(state: State, request: Any) -> set[tuple[tuple[str, int], int]]:
        """The (peer, random_id) pairs a send holds while it is in flight."""
        items = getattr(request, "multi_media", None)
        random_ids = [i.random_id for i in items] if items else [getattr(request, "random_id", None)]
        try:
            key = peer_key(state.resolve_peer(request.peer))
        except Exception:  # noqa: BLE001 - no peer, or a bad one: the call will fail on its own
            return set()
        return {(key, rid) for rid in random_ids if isinstance(rid, int)}

    def start_stall(self, request: Any) -> Stall | None:
        """A Stall armed for this call: mark its random_ids in flight and keep it from executing."""
        with self.state.cond:
            stall = self.faults.take_stall(method_names(request), request)
            if stall is not None:
                stall.keys = self._in_flight_keys(self.state, request)
                self.state.in_flight |= stall.keys
                stall.reached.set()
                self.state.cond.notify_all()
        return stall

    def finish_stall(self, conn: Endpoint, stall: Stall, request: Any) -> bytes:
        with self.state.cond:
            self.state.in_flight -= stall.keys
            if stall.error is not None:
                message, code = stall.error
                self.state.rpc_log.append(RpcRecord(time.time(), method_names(request)[0], message))
                self.state.cond.notify_all()
                return bytes(types.RpcError(error_code=code, error_message=message))
        body, _hold = self.execute(conn, request)
        return body

    def execute(self, conn: Endpoint, request: Any) -> tuple[bytes, Hold | None]:
        """Run one RPC; returns the serialized result (or rpc_error) and a hold, if armed."""
        names = method_names(request)
        state = self.state
        with state.cond:
            error = None
            try:
                self.faults.check(names, request)
                handler = HANDLERS.get(type(request))
                if handler is None:
                    log.warning("test server: %s is not implemented", names[1])
                    raise RpcFail("METHOD_NOT_IMPLEMENTED_IN_TEST_SERVER")
                ctx = Ctx(
                    state=state,
                    files=self.files,
                    options=self.options,
                    owner=conn.key_id,
                    port=self.port,
                    method=names[0],
                    push_others=lambda updates: self.push(updates, exclude=conn),
                )
                body = serialize_result(handler(ctx, request))
            except RpcFail as fail:
                error = fail.message
                body = bytes(types.RpcError(error_code=fail.code, error_message=fail.message))
            except Exception:
                # A bug of the test server: answer loudly (400, not retried by Telethon).
                state.internal_errors.append(traceback.format_exc())
                log.exception("test server failed on %s", names[1])
                error = "TEST_SERVER_INTERNAL_ERROR"
                body = bytes(types.RpcError(error_code=400, error_message=error))
            state.rpc_log.append(RpcRecord(time.time(), names[0], error))
            hold = self.faults.take_hold(names)
            state.cond.notify_all()
        return body, hold


class ClientConnection(Endpoint):
    """A TCP client: the "full" framing, MTProto 2.0 encryption and the service messages."""

    def __init__(
        self, core: ServerCore, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        super().__init__(core)
        self.reader, self.writer = reader, writer
        self.key = b""
        self.session_id: int | None = None
        self._msg_ids = ServerMsgIds()
        self._frame_seq = 0
        self._content_seq = 0

    async def run(self) -> None:
        try:
            while not self.closed:
                await self._on_packet(await read_frame(self.reader))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away (or drop_connections closed the socket)
        except WireError as exc:
            log.warning("test server: closing connection: %s", exc)
        except Exception:
            # A bug of the test server: make the test that met it fail (srv.internal_errors).
            log.exception("test server: connection handler failed")
            with self.core.state.cond:
                self.core.state.internal_errors.append(traceback.format_exc())
                self.core.state.cond.notify_all()

    def close(self, *, abort: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.drop_holds()
        if abort:
            self.writer.transport.abort()
        else:
            self.writer.close()

    # ------------------------------------------------------------ sending

    def _write_frame(self, payload: bytes) -> None:
        self.writer.write(encode_frame(payload, self._frame_seq))
        self._frame_seq += 1

    def send(self, body: bytes, *, response: bool, content: bool) -> None:
        """Encrypt and send one message. content: counts in seq_no (results, updates)."""
        if self.closed or self.session_id is None:
            return
        seq_no = self._content_seq * 2 + (1 if content else 0)
        self._content_seq += 1 if content else 0
        msg_id = self._msg_ids.next(response=response)
        self._write_frame(
            encrypt_server_message(
                self.key, self.key_id, self.core.salt, self.session_id, msg_id, seq_no, body
            )
        )

    # ------------------------------------------------------------ receiving

    async def _on_packet(self, payload: bytes) -> None:
        (key_id,) = struct.unpack("<Q", payload[:8])
        if key_id == 0:
            raise WireError("plain (key exchange) message: pre-seed a session with write_session")
        key = self.core.keys.get(key_id)
        if key is None:
            # The transport error Telethon turns into AuthKeyNotFound.
            self._write_frame(struct.pack("<i", TRANSPORT_AUTH_KEY_NOT_FOUND))
            raise WireError("unknown auth_key_id")
        if self.key_id and key_id != self.key_id:
            raise WireError("auth key changed within a connection")
        self.key, self.key_id = key, key_id
        env = decrypt_client_message(key, payload)
        self.session_id = env.session_id
        if env.salt != self.core.salt:
            # Telethon starts with salt 0: Telegram answers bad_server_salt and the client
            # resends the very same requests with the salt it was told.
            bad = types.BadServerSalt(
                bad_msg_id=env.msg_id,
                bad_msg_seqno=env.seq_no,
                error_code=48,
                new_server_salt=self.core.salt,
            )
            self.send(bytes(bad), response=True, content=False)
            return
        if (key_id, env.session_id) not in self.core.seen_sessions:
            self.core.seen_sessions.add((key_id, env.session_id))
            created = types.NewSessionCreated(
                first_msg_id=env.msg_id,
                unique_id=random.getrandbits(63),
                server_salt=self.core.salt,
            )
            self.send(bytes(created), response=False, content=False)
        await self._process(env.body, env.msg_id)
        await self.writer.drain()

    async def _process(self, body: bytes | Any, msg_id: int) -> None:
        obj = body
        if isinstance(body, bytes):
            try:
                obj = BinaryReader(body).tgread_object()
            except TypeNotFoundError as exc:
                log.warning("test server: unknown constructor %08x", exc.invalid_constructor_id)
                return
        if isinstance(obj, MessageContainer):
            for inner in obj.messages:
                await self._process(inner.obj, inner.msg_id)
        elif isinstance(obj, GzipPacked):
            await self._process(obj.data, msg_id)
        elif isinstance(obj, (functions.PingRequest, functions.PingDelayDisconnectRequest)):
            pong = types.Pong(msg_id=msg_id, ping_id=obj.ping_id)
            self.send(bytes(pong), response=True, content=False)
        elif isinstance(obj, functions.DestroySessionRequest):
            ok = types.DestroySessionOk(session_id=obj.session_id)
            self.send(bytes(ok), response=True, content=False)
        elif isinstance(obj, TLRequest):
            self.rpc(obj, msg_id)
        # msgs_ack, msgs_state_info & co need no answer.

    def answer(self, msg_id: int, body: bytes) -> None:
        self.send(rpc_result(msg_id, body), response=True, content=True)
