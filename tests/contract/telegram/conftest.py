"""The two sides of the Telegram contract: the daemon's client over MTProto (TCP, encryption) to the
Telegram test server, and the in-memory fake (tests/fakes/telegram.py) over the same server in process.
Each test body runs against both; a difference is drift of the fake."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telethon import events
from telethon.sessions import MemorySession

from syncd.telegram.client import DAEMON_OPTIONS, SyncdTelegramClient
from syncd.telegram.login import start_bot
from tests.fakes.telegram import SERVER_DC, InProcessTelegram, in_process_server
from tests.tgserver import TelegramTestServer


@dataclass
class Side:
    """One side: its server, and clients logged in as the bot the daemon's way (start_bot)."""

    name: str
    srv: TelegramTestServer
    tmp: Path
    session: Any = None  # kept across clients: a second client resumes where the first stopped
    clients: list[SyncdTelegramClient] = field(default_factory=list)

    def new_client(self) -> SyncdTelegramClient:
        """Built, not connected (handlers go in before the connection, as in the daemon)."""
        if self.name == "mtproto":
            if self.session is None:
                self.session = self.srv.write_session(self.tmp / "bot.session")
            client: SyncdTelegramClient = SyncdTelegramClient(str(self.session), 1, "x", **DAEMON_OPTIONS)
        else:
            if self.session is None:
                self.session = MemorySession()
                self.session.set_dc(*SERVER_DC)
            client = InProcessTelegram(self.srv, self.session)
        self.clients.append(client)
        return client

    def listening(self, keep: Callable[[Any], Any] = lambda event: event) -> tuple[SyncdTelegramClient, list[Any]]:
        """A client built with one handler of clients' messages, which keeps ``keep(event)`` of each
        in the list returned with it; not logged in yet (``bot()`` does that)."""
        client, seen = self.new_client(), []

        async def on_message(event: Any) -> None:
            seen.append(keep(event))

        client.add_event_handler(on_message, events.NewMessage(incoming=True))
        return client, seen

    async def bot(self, client: SyncdTelegramClient | None = None) -> SyncdTelegramClient:
        client = client or self.new_client()
        await start_bot(client, self.srv.bot_token)
        return client


@pytest.fixture(params=["mtproto", "in_process"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Side]:
    if request.param == "mtproto":
        srv = TelegramTestServer(files_dir=tmp_path).start()
    else:
        srv = in_process_server(tmp_path)
    # Albums pushed as one update: the control API would otherwise sleep between items.
    srv.options.album_items_apart = None
    try:
        yield Side(request.param, srv, tmp_path)
        assert srv.internal_errors == []
    finally:
        srv.stop()


_heap_frozen = False


def _collect() -> None:
    """Telethon's leftovers (futures holding errors) finalized now, not inside a later ast.parse (see
    tests/tgserver_tests/_helpers.py). The heap as it stands at the first call (modules, mostly) is
    frozen out of collection: a full collection of it took ~80 ms a test, the tests' own ~0.1 ms."""
    global _heap_frozen
    gc.collect()
    if not _heap_frozen:
        gc.freeze()
        _heap_frozen = True


def run(side: Side, body: Callable[[], Awaitable[Any]], timeout: float = 20) -> Any:
    """The body in a fresh event loop; every client it made is disconnected at the end."""
    async def framed() -> Any:
        try:
            return await asyncio.wait_for(body(), timeout)
        finally:
            for client in side.clients:
                if client.is_connected():
                    await client.disconnect()

    try:
        return asyncio.run(framed())
    finally:
        _collect()


async def until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """predicate()'s first truthy value, checked while the loop runs the client."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.002)
