"""An in-memory Telegram for fast tests: the daemon's own client class over the test server, in process.

:class:`InProcessTelegram` is a :class:`syncd.telegram.client.SyncdTelegramClient` (so a
``telethon.TelegramClient``) built with the daemon's options. Only its transport differs: where the
real client encrypts MTProto onto a TCP socket, :class:`InProcessSender` hands each serialized request
to the Telegram test server (tests/tgserver) running in this process, and serialized answers and
pushed updates come back. No socket, no encryption, no sleep; a call costs two thread hops (the
server keeps its own loop thread, so its control API works unchanged: ``srv.send_text(user, ...)``,
``srv.sent_to(user)``, ``srv.fail_next(...)``, ``srv.options``...).

Whose behaviour is whose:

- **Telethon's own** (the real code runs): ``__call__`` / ``_call`` (request resolution, FloodWait
  bookkeeping, ``MultiError``), every high-level method (``get_messages``, ``iter_download``,
  ``upload_file``, ``build_reply_markup``, ``get_me``, ``start``...), the entity cache, the update loop
  with its pts/gap handling and ``updates.getDifference`` (``catch_up``), the event builders
  (``events.NewMessage``, ``events.CallbackQuery``, ``event.answer()``...), the error classes
  (``telethon.errors.rpc_message_to_error``), ``_store_own_updates`` of results, and the reconnect
  callback (``_handle_auto_reconnect``: ``get_me`` and a catch-up).
- **The stand-in's** (tests/tgserver, the same code the TCP clients meet): every answer, error and
  pushed update, the faults (``fail_next``, flood windows, holds, stalls), ``random_id`` replay,
  limits, file references.
- **Ours, here**: the transport. Requests are serialized and decoded again (as on the wire, so the
  server never shares an object with the client); ``ordered`` chains (invokeAfterMsg) are not sent;
  keepalive pings are not sent; ``srv.drop_connections()`` makes the sender reconnect at once and send
  the calls still unanswered again (Telethon's sender does the same after its reconnect);
  ``srv.revoke_sessions()`` has no effect (no auth key is involved).

The Telethon internals this touches, all of TelegramBaseClient.__init__'s making: the client's
``_sender`` (replaced by an InProcessSender built with the very arguments Telethon gives its
MTProtoSender), and of MTProtoSender its constructor, ``_user_connected``, ``_updates_queue``,
``_store_own_updates`` and the ``_transport_connected`` / ``_keepalive_ping`` hooks the client calls.
tests/contract/telegram/test_telegram_contract.py runs one suite against this and the real client over TCP, so
a Telethon upgrade that moves any of them fails there first.

Use (tests drive their own event loop, one per test)::

    srv = in_process_server(tmp_path)                # a TelegramTestServer with no socket
    async def body():
        tg = await in_process_bot(srv)               # connected and logged in, the real flow
        user = srv.add_user(first_name="Иван")
        srv.send_text(user, "hello")                 # pushed: NewMessage handlers fire
        await srv.wait_for_async(lambda: ...)        # never the blocking wait_for inside the loop
        await tg.disconnect()

To run the daemon's parts in process, hand ``syncd.app.parts.build`` this client instead of the real one,
e.g. ``monkeypatch.setattr(syncd.app.parts, "make_telegram_client", lambda s: InProcessTelegram(srv))``:
``syncd.app.daemon.start`` then logs in through ``start_bot`` exactly as against Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from telethon import utils
from telethon.errors import rpc_message_to_error
from telethon.extensions import BinaryReader
from telethon.network.mtprotosender import MTProtoSender
from telethon.sessions import MemorySession, Session
from telethon.tl import types

from syncd.telegram.client import DAEMON_OPTIONS, SyncdTelegramClient
from syncd.telegram.login import start_bot
from tests.tgserver import TelegramTestServer
from tests.tgserver.inprocess import ClientCallbacks, InProcessEndpoint

log = logging.getLogger("tests.fakes.telegram")
_UPDATES = 0x8AF52AAC  # crc32(b"Updates"): what MTProtoSender._handle_update accepts as pushed updates
_RPC_ERROR = types.RpcError.CONSTRUCTOR_ID
SERVER_DC = (2, "127.0.0.1", 443)  # the test server's only DC: every file is there, no exported senders


class InProcessSender(MTProtoSender):
    """MTProtoSender's interface over an in-process endpoint of the test server."""

    def __init__(self, server: TelegramTestServer, **kwargs: Any) -> None:
        super().__init__(None, **kwargs)
        self._server = server
        self._endpoint: InProcessEndpoint | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[int, tuple[Any, asyncio.Future[Any]]] = {}  # msg_id -> (request, future)
        self._next_msg_id = 0
        self._gone: asyncio.Future[None] | None = None
        self._callbacks = ClientCallbacks(
            on_answer=lambda msg_id, body: self._hop(self._on_answer, msg_id, body),
            on_push=lambda body: self._hop(self._on_push, body),
            on_close=lambda reason: self._hop(self._on_close, reason),
        )

    # ------------------------------------------------------------ MTProtoSender's public face

    async def connect(self, connection: Any) -> bool:
        if self._user_connected:
            return False
        self._connection = connection  # read by TelegramClient.set_proxy only
        self._client_loop = asyncio.get_running_loop()
        self._gone = self._client_loop.create_future()
        self._endpoint = self._server.open_in_process(self._callbacks)
        self._user_connected = True
        return True

    def is_connected(self) -> bool:
        return bool(self._user_connected)

    async def disconnect(self) -> None:
        self._end(None)

    def send(self, request: Any, ordered: bool = False) -> Any:
        if not self._user_connected:
            raise ConnectionError("Cannot send requests while disconnected")
        if utils.is_list_like(request):
            return [self._submit(r) for r in request]
        return self._submit(request)

    @property
    def disconnected(self) -> asyncio.Future[None]:
        if self._gone is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return asyncio.shield(self._gone)

    def _transport_connected(self) -> bool:
        return bool(self._user_connected) and self._endpoint is not None and not self._endpoint.closed

    def _keepalive_ping(self, rnd_id: int) -> None:
        """No pings: there is no connection to keep alive (the server would only answer pong)."""

    # ------------------------------------------------------------ requests and answers

    def _submit(self, request: Any) -> asyncio.Future[Any]:
        assert self._client_loop is not None and self._endpoint is not None
        data = bytes(request)  # as RequestState does: a request that cannot be serialized fails here
        future: asyncio.Future[Any] = self._client_loop.create_future()
        self._next_msg_id += 1
        self._waiting[self._next_msg_id] = (request, future)
        self._endpoint.submit(data, self._next_msg_id)
        return future

    def _hop(self, fn: Any, *args: Any) -> None:
        """From the server loop's thread to the client's loop."""
        loop = self._client_loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody left to tell
            loop.call_soon_threadsafe(fn, *args)

    def _on_answer(self, msg_id: int, body: bytes) -> None:
        """What MTProtoSender._handle_rpc_result does with an rpc_result."""
        request, future = self._waiting.pop(msg_id, (None, None))
        if future is None or future.done():
            return
        reader = BinaryReader(body)
        if int.from_bytes(body[:4], "little") == _RPC_ERROR:
            future.set_exception(rpc_message_to_error(reader.tgread_object(), request))
            return
        try:
            result = request.read_result(reader)
        except Exception as exc:  # noqa: BLE001 - as Telethon's sender: the caller gets it
            future.set_exception(exc)
            return
        self._store_own_updates(result)
        future.set_result(result)

    def _on_push(self, body: bytes) -> None:
        """What MTProtoSender._handle_update does with pushed updates."""
        obj = BinaryReader(body).tgread_object()
        if getattr(obj, "SUBCLASS_OF_ID", None) == _UPDATES:
            self._updates_queue.put_nowait(obj)

    # ------------------------------------------------------------ the connection's end

    def _on_close(self, reason: str) -> None:
        """reason: "client" (our disconnect), "dropped" (srv.drop_connections), "stopped" (srv.stop)."""
        if reason == "client" or not self._user_connected:
            return
        if reason == "stopped" or not self._auto_reconnect:
            self._end(ConnectionError("the test server closed the connection"))
            return
        # As MTProtoSender._reconnect: a new connection, the calls still unanswered sent again on it,
        # then the client's callback (get_me, so updates flow again, and a catch-up).
        self._endpoint = self._server.open_in_process(self._callbacks)
        for msg_id, (request, future) in sorted(self._waiting.items()):
            if not future.done():
                self._endpoint.submit(bytes(request), msg_id)
        if self._auto_reconnect_callback:
            asyncio.get_running_loop().create_task(self._auto_reconnect_callback())

    def _end(self, error: BaseException | None) -> None:
        """As MTProtoSender._disconnect: every call in flight ends, `disconnected` resolves."""
        self._user_connected = False
        if self._endpoint is not None and not self._endpoint.closed:
            self._server.close_in_process(self._endpoint)
        self._endpoint = None
        for _request, future in self._waiting.values():
            if error is not None and not future.done():
                future.set_exception(error)
            else:
                future.cancel()
        self._waiting.clear()
        if self._gone is not None and not self._gone.done():
            if error is not None:
                self._gone.set_exception(error)
            else:
                self._gone.set_result(None)


class InProcessTelegram(SyncdTelegramClient):
    """The daemon's Telegram client (its class and options) talking to the test server in process.

    ``session``: a Telethon session (default: a MemorySession placed in the server's DC 2); the key in
    it is never used. ``options`` override the daemon's (syncd.telegram.client.DAEMON_OPTIONS).
    """

    def __init__(self, server: TelegramTestServer, session: Session | None = None,
                 *, api_id: int = 1, api_hash: str = "in-process", **options: Any) -> None:
        if session is None:
            session = MemorySession()
            session.set_dc(*SERVER_DC)
        super().__init__(session, api_id, api_hash, **{**DAEMON_OPTIONS, **options})
        self.server = server
        # What TelegramBaseClient.__init__ gives its MTProtoSender, given to ours instead.
        self._sender = InProcessSender(
            server,
            loggers=self._log,
            retries=self._connection_retries,
            delay=self._retry_delay,
            auto_reconnect=self._auto_reconnect,
            connect_timeout=self._timeout,
            auth_key_callback=self._auth_key_callback,
            updates_queue=self._updates_queue,
            auto_reconnect_callback=self._handle_auto_reconnect,
        )


def in_process_server(files_dir: Path | str | None = None, **kwargs: Any) -> TelegramTestServer:
    """A started TelegramTestServer without a socket, for InProcessTelegram clients only; stop() it
    (or use it as a context manager) when done."""
    return TelegramTestServer(files_dir, tcp=False, **kwargs).start()


async def in_process_bot(server: TelegramTestServer, **options: Any) -> InProcessTelegram:
    """An InProcessTelegram, connected and logged in as the server's bot the way the daemon logs in
    (syncd.telegram.login.start_bot with the bot token: Telethon's ``start``, which finds the session
    authorized, as with a session from ``srv.write_session``). Call it inside the test's event loop;
    ``await tg.disconnect()`` at the end."""
    tg = InProcessTelegram(server, **options)
    await start_bot(tg, server.bot_token)
    return tg
