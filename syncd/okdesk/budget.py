"""A shared request budget for one Okdesk account (an exact sliding window).

Okdesk publishes no rate limit, yet a daemon that polls and reconciles can easily flood a
small account. The brief promises that requests never exceed ``max_per_minute`` in *any*
60-second window, which a token bucket cannot keep: a full bucket lets a burst of
``max_per_minute`` go at once and refills another ``max_per_minute`` within the same minute.
So the budget remembers when each request of the last minute went and admits a new one only
while fewer than ``max_per_minute`` are in that window.

Every request the client makes is admitted here first. Background work (reconcile sweeps,
backfills) may only use the lower part of the window, so the foreground poll that delivers
new messages always finds room. A 429 pauses everybody at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable

# The promise is about any 60 s as Okdesk sees them; a request stamped here reaches Okdesk a
# little later, by varying amounts (a benchmark saw the 1st and the 121st request of a 120/min
# budget arrive 59.998 s apart). One second of margin absorbs that jitter.
WINDOW = 61.0  # seconds
BACKGROUND_RESERVE = 0.5  # the part of the budget kept from background requests


class RequestBudget:
    """At most ``max_per_minute`` requests in any ``WINDOW``-second window.

    A request taken at ``t`` counts against the window until ``t + WINDOW`` (exclusive), so a
    half-open window ``[s, s + WINDOW)`` never holds more than the cap. A background request
    may go only while the window holds fewer than ``max_per_minute * (1 - background_reserve)``
    requests (always > 0, so an empty window admits one). ``clock`` is injectable for tests
    (monotonic seconds).
    """

    def __init__(
        self,
        max_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        background_reserve: float = BACKGROUND_RESERVE,
    ) -> None:
        if not max_per_minute >= 1:
            raise ValueError("max_per_minute must be at least 1")
        if not 0.0 <= background_reserve < 1.0:
            raise ValueError("background_reserve must be within [0, 1)")
        # A fractional cap cannot be spent in part: 120.7/min allows 120 requests.
        self.limit = math.floor(max_per_minute)
        self.background_limit = self.limit * (1.0 - background_reserve)
        self.background_reserve = background_reserve
        self.clock = clock
        self._taken: deque[float] = deque()  # clock() of each request in the window, oldest first
        self._paused_until = float("-inf")
        self._cond = threading.Condition(threading.Lock())
        self._counts: Counter[str] = Counter()
        self._total = 0

    # ------------------------------------------------------------ internals (lock held)

    def _prune(self, now: float) -> None:
        while self._taken and now - self._taken[0] >= WINDOW:
            self._taken.popleft()

    def _wait_time(self, now: float, background: bool) -> float:
        """0 when a request may go now, else seconds until that may be so."""
        if now < self._paused_until:
            return self._paused_until - now
        self._prune(now)
        allowed = self.background_limit if background else self.limit
        if len(self._taken) < allowed:
            return 0.0
        # Room appears when enough of the oldest have left: for the foreground the oldest
        # one; a background request needs the window down below its lower limit.
        must_leave = len(self._taken) - math.ceil(allowed) + 1
        return max(self._taken[must_leave - 1] + WINDOW - now, 1e-3)

    # ------------------------------------------------------------ public

    def try_acquire(self, background: bool = False) -> bool:
        with self._cond:
            now = self.clock()
            if self._wait_time(now, background) > 0:
                return False
            self._taken.append(now)
            return True

    def has_room(self, count: int = 1, background: bool = False) -> bool:
        """Could ``count`` requests go now without waiting? (Nothing is taken.)"""
        with self._cond:
            now = self.clock()
            if now < self._paused_until:
                return False
            self._prune(now)
            allowed = self.background_limit if background else self.limit
            # The same rule as _wait_time, for the last of the ``count``: fewer than allowed before it.
            return len(self._taken) + count - 1 < allowed

    def acquire(self, background: bool = False, timeout: float | None = None) -> bool:
        """Block until the request may go (True) or ``timeout`` seconds passed (False)."""
        with self._cond:
            start = self.clock()
            while True:
                now = self.clock()
                wait = self._wait_time(now, background)
                if wait <= 0:
                    self._taken.append(now)
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
        """Nobody may go before ``monotonic_ts`` (in ``clock`` seconds); only extends."""
        with self._cond:
            if monotonic_ts > self._paused_until:
                self._paused_until = monotonic_ts
            self._cond.notify_all()

    def is_paused(self) -> bool:
        """Whether Okdesk's own Retry-After holds every request back now."""
        return self.paused_until is not None

    @property
    def paused_until(self) -> float | None:
        with self._cond:
            return self._paused_until if self._paused_until > self.clock() else None

    @property
    def tokens(self) -> int:
        """How many foreground requests may still go in the current window (pause aside)."""
        with self._cond:
            self._prune(self.clock())
            return self.limit - len(self._taken)

    @property
    def in_window(self) -> int:
        """Requests taken in the current window (of ``limit``): how much of the budget is spent now."""
        with self._cond:
            self._prune(self.clock())
            return len(self._taken)

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
