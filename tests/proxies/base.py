"""What the local proxies share: an asyncio loop in a background thread, 127.0.0.1:0, a record of
every connection relayed, and a "down" switch.

A proxy that is down still listens, but closes every connection at once (counted in `refused`):
the client meets a dead proxy, and the test learns that it tried, which a closed port would
not tell it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from tests.waiting import wait_on

T = TypeVar("T")


@dataclass
class Relayed:
    """One client connection the proxy relayed (or tried to)."""

    client: tuple[str, int]  # the client's address, as the proxy saw it
    target: tuple[str, int] | None = None  # where it was relayed to
    user: str | None = None  # the user name it authenticated with
    # Our end of the connection to the target: the address the target sees the traffic come from.
    upstream_local: tuple[str, int] | None = None
    mode: str | None = None  # "connect" | "forward" (HTTP); abridged/intermediate/padded (MTProxy)
    dc_id: int | None = None  # MTProxy: the DC the client asked for
    bytes_up: int = 0  # client -> target (payload, after any unwrapping)
    bytes_down: int = 0  # target -> client
    open: bool = True
    started: float = field(default_factory=time.time)


class ProxyServer:
    """Base class: subclasses implement `_serve(reader, writer, record)`."""

    kind = "proxy"

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.down = False  # switch at any time: new connections are closed at once
        self._lock = threading.Condition()
        self._records: list[Relayed] = []
        self._refused = 0
        self._auth_failures = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._ssl: Any = None  # an ssl.SSLContext: clients speak TLS to us (TlsTerminator)

    # ------------------------------------------------------------ life cycle

    def start(self) -> ProxyServer:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._on_client, self.host, 0, ssl=self._ssl))
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"{self.kind}-proxy", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError(f"{self.kind} proxy did not start")
        return self

    def stop(self) -> None:
        """Close the port and every relayed connection."""
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ observation

    @property
    def connections(self) -> list[Relayed]:
        """Every connection the proxy relayed, oldest first (copies)."""
        with self._lock:
            return [replace(r) for r in self._records]

    @property
    def refused(self) -> int:
        """Connections closed at once because the proxy was down."""
        with self._lock:
            return self._refused

    @property
    def auth_failures(self) -> int:
        """Clients turned away for missing or wrong credentials (or a wrong MTProxy secret)."""
        with self._lock:
            return self._auth_failures

    def open_connections(self) -> list[Relayed]:
        return [r for r in self.connections if r.open and r.target is not None]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Wait until `predicate()` (called under the proxy's lock) is truthy; return it."""
        return wait_on(self._lock, predicate, timeout, poll=0.1, failure=lambda: AssertionError(
            f"{self.kind} proxy: condition not met within {timeout}s"))

    # ------------------------------------------------------------ for subclasses

    def _update(self, record: Relayed, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(record, key, value)
            self._lock.notify_all()

    def _add(self, record: Relayed, key: str, n: int) -> None:
        with self._lock:
            setattr(record, key, getattr(record, key) + n)
            self._lock.notify_all()

    def _auth_failed(self) -> None:
        with self._lock:
            self._auth_failures += 1
            self._lock.notify_all()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")[:2]
        if self.down:
            with self._lock:
                self._refused += 1
                self._lock.notify_all()
            # RST: with a FIN, Telethon's MTProxy connect may take the dead proxy for a live one
            # (it only looks for EOF after 2 s) and fail on its first packet instead.
            writer.transport.abort()
            return
        record = Relayed(client=peer)
        with self._lock:
            self._records.append(record)
            self._lock.notify_all()
        self._writers.add(writer)
        try:
            await self._serve(reader, writer, record)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): ending quietly, or asyncio's stream callback logs the cancellation as an error
        finally:
            self._writers.discard(writer)
            # Closed gracefully: a refusal written just before (a SOCKS error, a 407) is still sent.
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)
            self._update(record, open=False)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: Relayed) -> None:
        raise NotImplementedError

    async def _open_upstream(self, host: str, port: int,
                             record: Relayed) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        up_reader, up_writer = await asyncio.open_connection(host, port)
        self._writers.add(up_writer)
        self._update(record, target=(host, port), upstream_local=up_writer.get_extra_info("sockname")[:2])
        return up_reader, up_writer

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter, record: Relayed) -> None:
        """Copy bytes both ways until either side closes; then close both."""
        await self._both_ways(self._pump(reader, up_writer, record, "bytes_up"),
                              self._pump(up_reader, writer, record, "bytes_down"), up_writer)

    async def _both_ways(self, upward: Awaitable[None], downward: Awaitable[None],
                         up_writer: asyncio.StreamWriter) -> None:
        """Run the two directions of a relay until either ends; then end the other and close upstream."""
        tasks = [asyncio.ensure_future(upward), asyncio.ensure_future(downward)]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._writers.discard(up_writer)
            up_writer.transport.abort()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, record: Relayed,
                    counter: str) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                sink.write(data)
                self._add(record, counter, len(data))
                await sink.drain()
