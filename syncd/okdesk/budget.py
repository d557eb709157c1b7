"""A shared request budget for one Okdesk account (token bucket).

Okdesk publishes no rate limit, yet a daemon that polls and reconciles can easily flood a
small account. Every request the client makes takes a token first. Background work
(reconcile sweeps, backfills) may only use the upper part of the bucket, so the foreground
poll that delivers new messages always finds a token. A 429 pauses everybody at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable


class RequestBudget:
    """Token bucket: capacity ``max_per_minute``, refilled at ``max_per_minute / 60`` per second.

    A background request may take a token only while, after taking it, at least
    ``background_reserve`` of the capacity is still left (clamped so that a full bucket
    always admits one). ``clock`` is injectable for tests (monotonic seconds).
    """

    def __init__(
        self,
        max_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        background_reserve: float = 0.5,
    ) -> None:
        if not max_per_minute > 0:
            raise ValueError("max_per_minute must be positive")
        if not 0.0 <= background_reserve < 1.0:
            raise ValueError("background_reserve must be within [0, 1)")
        self.capacity = float(max_per_minute)
        self.rate = self.capacity / 60.0
        self.background_reserve = background_reserve
        self.clock = clock
        self._tokens = self.capacity
        self._stamp = clock()
        self._paused_until = float("-inf")
        self._cond = threading.Condition(threading.Lock())
        self._counts: Counter[str] = Counter()
        self._total = 0

    # ------------------------------------------------------------ internals (lock held)

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now

    def _needed(self, background: bool) -> float:
        if not background:
            return 1.0
        return min(self.capacity, self.background_reserve * self.capacity + 1.0)

    def _wait_time(self, now: float, background: bool) -> float:
        """0 when a token can be taken now, else seconds until that may be so."""
        if now < self._paused_until:
            return self._paused_until - now
        self._refill(now)
        needed = self._needed(background)
        if self._tokens >= needed:
            return 0.0
        return (needed - self._tokens) / self.rate

    # ------------------------------------------------------------ public

    def try_acquire(self, background: bool = False) -> bool:
        with self._cond:
            if self._wait_time(self.clock(), background) > 0:
                return False
            self._tokens -= 1.0
            return True

    def acquire(self, background: bool = False, timeout: float | None = None) -> bool:
        """Block until a token is taken (True) or ``timeout`` seconds passed (False)."""
        with self._cond:
            start = self.clock()
            while True:
                now = self.clock()
                wait = self._wait_time(now, background)
                if wait <= 0:
                    self._tokens -= 1.0
                    return True
                if timeout is not None:
                    left = start + timeout - now
                    if left <= 0:
                        return False
                    wait = min(wait, left)
                # Wake up at least once a second: pause_until() or a changed clock may
                # shorten the wait, and notify() only covers the former.
                self._cond.wait(min(wait, 1.0))

    def pause_until(self, monotonic_ts: float) -> None:
        """Nobody gets a token before ``monotonic_ts`` (in ``clock`` seconds); only extends."""
        with self._cond:
            if monotonic_ts > self._paused_until:
                self._paused_until = monotonic_ts
            self._cond.notify_all()

    @property
    def paused_until(self) -> float | None:
        with self._cond:
            return self._paused_until if self._paused_until > self.clock() else None

    @property
    def tokens(self) -> float:
        with self._cond:
            self._refill(self.clock())
            return self._tokens

    # ------------------------------------------------------------ counters

    def note(self, kind: str) -> None:
        """Count one request actually sent (for benchmarks and the status page)."""
        with self._cond:
            self._total += 1
            self._counts[kind] += 1

    @property
    def total(self) -> int:
        with self._cond:
            return self._total

    @property
    def by_kind(self) -> dict[str, int]:
        with self._cond:
            return dict(self._counts)
