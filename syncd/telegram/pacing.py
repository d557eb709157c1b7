"""Send pacing under Telegram's limits: about one message a second per chat, about 30 a second in all.

A FloodWait from Telegram pauses every send until it has passed: nothing is sent inside it.
"""

from __future__ import annotations

import asyncio
import time


class Pacer:
    def __init__(self, per_chat_interval: float, global_rate: float) -> None:
        self.per_chat_interval = per_chat_interval
        self.global_interval = 1.0 / global_rate if global_rate > 0 else 0.0
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        # FloodWaits honoured since start, and their seconds (syncd.app.metrics): every one comes through pause().
        self.flood_waits = 0
        self.flood_wait_seconds = 0.0

    def pause(self, seconds: float) -> None:
        """A FloodWait from Telegram: nobody sends for ``seconds``."""
        self.flood_waits += 1
        self.flood_wait_seconds += seconds
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def chat_ready_in(self, tg_chat_id: int) -> float:
        return max(0.0, self._next_chat.get(tg_chat_id, 0.0) - time.monotonic(), self.paused_for)

    async def wait_turn(self, tg_chat_id: int, messages: int = 1) -> None:
        """Wait until this chat and the bot as a whole may send ``messages`` more messages."""
        while True:
            async with self._lock:
                now = time.monotonic()
                start = max(now, self._next_global, self._next_chat.get(tg_chat_id, 0.0), self._paused_until)
                if start <= now:
                    self._next_global = now + self.global_interval * messages
                    self._next_chat[tg_chat_id] = now + self.per_chat_interval * messages
                    return
            await asyncio.sleep(start - now)
