"""Each client's share of the way into Okdesk: a token bucket per client, in memory.

One client sending hundreds of messages must not spend the Okdesk request budget everyone
shares. Over the rate their messages wait (never dropped); the bucket forgets a client once full.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WARN_EVERY = 300.0  # seconds between two "you are sending a lot" messages to one client


class ClientRate:
    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        # A short burst goes through at once (an album and a few words after it).
        self.capacity = max(1.0, per_minute / 3.0)
        self.clock = clock
        self._tokens: dict[int, tuple[float, float]] = {}  # user -> (tokens, at)
        self._warned: dict[int, float] = {}

    def _level(self, user: int, now: float) -> float:
        tokens, at = self._tokens.get(user, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate)

    def take(self, user: int) -> float:
        """0 when the client may go now (a token is spent), else the seconds until they may."""
        now = self.clock()
        level = self._level(user, now)
        # The slack absorbs float rounding: a client who waited exactly the wait given goes then.
        if level >= 1.0 - 1e-9:
            level = max(0.0, level - 1.0)
            if level >= self.capacity - 1e-9:
                self._tokens.pop(user, None)
            else:
                self._tokens[user] = (level, now)
            return 0.0
        self._tokens[user] = (level, now)
        return (1.0 - level) / self.rate

    def should_warn(self, user: int) -> bool:
        now = self.clock()
        if now - self._warned.get(user, -WARN_EVERY) < WARN_EVERY:
            return False
        self._warned[user] = now
        return True
