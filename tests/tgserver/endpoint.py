"""One client of the server, whatever carries its messages: the RPC half of a connection.

The TCP connection (server.ClientConnection: framing, encryption, service messages) and the in-process
one (inprocess.InProcessEndpoint: Python calls across threads, for tests/fakes/telegram.py) both hand
decoded requests to :meth:`Endpoint.rpc`, so stalls, holds, subscription to pushed updates and the
handlers are one code path for both. Everything here runs on the server loop only.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .faults import Hold, Stall
from .rpc import method_names

if TYPE_CHECKING:
    from .server import ServerCore

# Calls that do not make Telegram start pushing updates to the session.
NOT_SUBSCRIBING = {"help.GetConfig", "help.GetNearestDc"}


class Endpoint:
    """A client connection as the dispatch sees it. Subclasses say how bytes reach the client."""

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.key_id = 0  # the auth key's id: uploads belong to it (Ctx.owner)
        self.subscribed = False
        self.closed = False
        self._holds: list[Hold] = []

    def send(self, body: bytes, *, response: bool, content: bool) -> None:
        """One serialized object to the client (an answer or pushed Updates)."""
        raise NotImplementedError

    def answer(self, msg_id: int, body: bytes) -> None:
        """The serialized result (or rpc_error) of the client's call msg_id."""
        raise NotImplementedError

    def close(self, *, abort: bool = False) -> None:
        """End the connection (abort: as a network failure would)."""
        raise NotImplementedError

    def drop_holds(self) -> None:
        """The connection closed: answers still held can never be delivered."""
        for hold in self._holds:
            hold.dropped.set()

    def rpc(self, request: Any, msg_id: int) -> None:
        from .server import unwrap  # the wrappers live with the wire they come from

        inner, without_updates = unwrap(request)
        stall = self.core.start_stall(inner)
        if stall is not None:
            asyncio.get_running_loop().create_task(self._run_after_stall(stall, inner, msg_id))
            self._subscribe_after(inner, without_updates)
            return
        body, hold = self.core.execute(self, inner)
        if hold is None:
            self.answer(msg_id, body)
        else:
            self._holds.append(hold)
            hold.reached.set()
            asyncio.get_running_loop().create_task(self._answer_after(hold, msg_id, body))
        self._subscribe_after(inner, without_updates)

    def _subscribe_after(self, inner: Any, without_updates: bool) -> None:
        if not without_updates and method_names(inner)[1] not in NOT_SUBSCRIBING:
            self.core.subscribe(self)

    async def _run_after_stall(self, stall: Stall, inner: Any, msg_id: int) -> None:
        await stall.wait_released()
        body = self.core.finish_stall(self, stall, inner)
        stall.finished.set()
        if self.closed:
            stall.dropped.set()
            return
        self.answer(msg_id, body)

    async def _answer_after(self, hold: Hold, msg_id: int, body: bytes) -> None:
        await hold.wait_released()
        self._holds.remove(hold)
        if self.closed:
            hold.dropped.set()
            return
        self.answer(msg_id, body)
        hold.delivered.set()
