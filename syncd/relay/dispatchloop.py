"""The loop the outbox sender and the inbound worker share: dispatch when woken or when due.

``await _dispatch()`` reads what is due (the store off the loop), starts it (tasks kept in ``_busy``
by a key, one per chat or client) and returns the seconds until something else is due; a wake-up
from another thread, or a task ending, runs it again at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from syncd.logs import get_logger

log = get_logger(__name__)


class DispatchLoop:
    idle: float
    heartbeat: Callable[[], None]
    failed_event = "dispatch_failed"

    def _init_loop(self) -> None:
        self._busy: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    async def _dispatch(self) -> float:
        raise NotImplementedError

    def wake(self) -> None:
        """Thread-safe: the poller and the handlers call this after writing new work."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    @property
    def in_flight(self) -> int:
        return len(self._busy)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        while not self._stopping:
            self.heartbeat()
            try:
                delay = await self._dispatch()
            except Exception:  # a database hiccup must not end the loop
                log.exception(self.failed_event)
                delay = self.idle
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.05, min(delay, self.idle)))

    async def stop(self, grace: float) -> None:
        """What is in flight gets ``grace`` seconds; what is cut off is taken up again at the next start."""
        self._stopping = True
        self._wake.set()
        tasks = list(self._busy.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
