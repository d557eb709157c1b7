"""In-process clients: the server's dispatch without a socket, for tests/fakes/telegram.py.

A client in the pytest process hands serialized requests to :meth:`InProcessEndpoint.submit` (any
thread); they are decoded and dispatched on the server loop exactly as a TCP connection's are
(endpoint.Endpoint.rpc: faults, stalls, holds, handlers, subscription). What the server sends back
goes to the client's callbacks, called on the server loop, serialized: answers by the call's msg_id,
pushed Updates, and the close. Nothing of the wire (framing, encryption, salts, msg_id rules, service
messages, auth keys) is involved.
"""

from __future__ import annotations

import asyncio
import logging
import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from telethon.extensions import BinaryReader

from .endpoint import Endpoint
from .server import ServerCore

log = logging.getLogger("tests.tgserver")


@dataclass(frozen=True)
class ClientCallbacks:
    """How the server reaches an in-process client; each is called on the server loop."""

    on_answer: Callable[[int, bytes], None]  # (msg_id, serialized result or rpc_error)
    on_push: Callable[[bytes], None]  # serialized Updates
    on_close: Callable[[str], None]  # why: "client" (it left), "dropped" (a network failure), "stopped"


class InProcessEndpoint(Endpoint):
    def __init__(self, core: ServerCore, loop: asyncio.AbstractEventLoop,
                 callbacks: ClientCallbacks) -> None:
        super().__init__(core)
        # Uploads belong to the session (Ctx.owner): one made-up key id per in-process client.
        self.key_id = random.getrandbits(63) | 1
        self._loop = loop
        self._callbacks = callbacks

    def submit(self, data: bytes, msg_id: int) -> None:
        """One serialized request from the client; thread-safe, returns at once."""
        self._loop.call_soon_threadsafe(self._receive, data, msg_id)

    def _receive(self, data: bytes, msg_id: int) -> None:
        if self.closed:
            return  # sent on a connection already gone: lost, as on a socket
        try:
            self.rpc(BinaryReader(data).tgread_object(), msg_id)
        except Exception:
            # A bug of the test server: make the test that met it fail (srv.internal_errors).
            log.exception("test server: in-process dispatch failed")
            with self.core.state.cond:
                self.core.state.internal_errors.append(traceback.format_exc())
                self.core.state.cond.notify_all()

    def send(self, body: bytes, *, response: bool, content: bool) -> None:
        # Only pushed updates come this way (answers go through answer()).
        if not self.closed:
            self._callbacks.on_push(body)

    def answer(self, msg_id: int, body: bytes) -> None:
        if not self.closed:
            self._callbacks.on_answer(msg_id, body)

    def close(self, *, abort: bool = False) -> None:
        """abort: the server dropped the client (drop_connections, stop); else the client left."""
        if self.closed:
            return
        self.closed = True
        self.drop_holds()
        self.core.connections.discard(self)
        reason = "client" if not abort else "stopped" if self.core.stopping else "dropped"
        self._callbacks.on_close(reason)


def open_endpoint(core: ServerCore, loop: asyncio.AbstractEventLoop,
                  callbacks: ClientCallbacks) -> InProcessEndpoint:
    """A new in-process connection (run on the server loop)."""
    endpoint = InProcessEndpoint(core, loop, callbacks)
    core.connections.add(endpoint)
    return endpoint
