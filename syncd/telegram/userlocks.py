"""One client's updates one at a time: a double tap must not, say, create their issue twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class UserLocks:
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    @asynccontextmanager
    async def hold(self, tg_user_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(tg_user_id, asyncio.Lock())
        self._waiting[tg_user_id] = self._waiting.get(tg_user_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[tg_user_id] -= 1
            if not self._waiting[tg_user_id]:  # nobody else queued: forget the user's lock
                del self._waiting[tg_user_id], self._locks[tg_user_id]
