"""Several messages sent in a row as one: after "Comment" or "New request", a text and then a photo
(as people write on phones) are one comment or one issue, not a comment and a question.

The first message that answers such a question opens a burst instead of becoming a job at once;
every message (or album) of the client sent within ``sync.burst_window`` seconds of the burst's last
one joins it, unless it is a reply (which has an issue of its own). After that much quiet the burst
is one job, routed as its first message would have been when it arrived. The messages wait in the
store without a job meanwhile: after a crash the next start (Intake.resume) gathers them again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from syncd.clock import utcnow
from syncd.sync.dialog import joins_burst


@dataclass
class Burst:
    tg_user_id: int
    rows: list[int]  # inbox_messages row ids, in arrival order
    last: float  # time.monotonic() of its latest message
    started: datetime = field(default_factory=utcnow)
    task: asyncio.Task[None] | None = None


class Bursts:
    """The bursts gathering, one per chat at most. ``finish(chat, burst)`` makes the job; it is called
    after the quiet, by the burst's own task (which takes the client's lock there)."""

    def __init__(self, window: float, finish: Callable[[int, Burst], Awaitable[None]]) -> None:
        self.window, self.finish = window, finish
        self._open: dict[int, Burst] = {}

    def joins(self, tg_chat_id: int, replied: bool) -> bool:
        burst = self._open.get(tg_chat_id)
        return burst is not None and joins_burst(last_at=burst.last, now=time.monotonic(), window=self.window,
                                                 replied=replied)

    def add(self, tg_chat_id: int, rows: list[int]) -> None:
        burst = self._open[tg_chat_id]
        burst.rows += rows
        burst.last = time.monotonic()

    def touch(self, tg_chat_id: int) -> None:
        """A message of the chat still arriving (an album's item): the burst waits for it."""
        burst = self._open.get(tg_chat_id)
        if burst is not None:
            burst.last = time.monotonic()

    def start(self, tg_chat_id: int, tg_user_id: int, rows: list[int]) -> None:
        burst = Burst(tg_user_id=tg_user_id, rows=list(rows), last=time.monotonic())
        self._open[tg_chat_id] = burst
        burst.task = asyncio.create_task(self._settle(tg_chat_id, burst))

    def open(self, tg_chat_id: int) -> bool:
        return tg_chat_id in self._open

    def take(self, tg_chat_id: int) -> Burst | None:
        """The chat's burst, no longer gathering (its task is left to end by itself)."""
        return self._open.pop(tg_chat_id, None)

    async def _settle(self, tg_chat_id: int, burst: Burst) -> None:
        while True:
            wait = burst.last + self.window - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        if self._open.get(tg_chat_id) is burst:
            await self.finish(tg_chat_id, burst)

    def close(self) -> None:
        """At stop: the bursts' messages are recorded without a job; the next start takes them up."""
        for burst in self._open.values():
            if burst.task is not None:
                burst.task.cancel()
        self._open.clear()
