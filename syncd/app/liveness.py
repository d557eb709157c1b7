"""Heartbeats of the daemon's loops, for the systemd watchdog.

Each loop (the poll job, the outbox sender, the inbound worker) calls its heartbeat every time
it turns, whatever Okdesk or Telegram answered: a failed poll is a turn. A loop silent for
longer than its bound is hung, and the watchdog stops pinging so systemd restarts the daemon.
The asyncio loop needs no heartbeat: the pings themselves are sent from it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from syncd.config import Settings
from syncd.okdesk.client import GET_RETRIES
from syncd.sync.account import POLL_TICK

# OkdeskClient tries a GET this many times, each try bounded by the connect and read timeouts plus a
# backoff of at most sync.retry_cap.
GET_ATTEMPTS = GET_RETRIES + 1
HANG_FLOOR = 300.0  # seconds: no loop is called hung sooner, whatever short timeouts say


def hang_timeout(settings: Settings) -> float:
    """How long a loop may take for one step: ``sync.hang_timeout``, or derived from the timeouts."""
    if settings.sync.hang_timeout > 0:
        return settings.sync.hang_timeout
    okdesk = settings.okdesk
    one_get = GET_ATTEMPTS * (okdesk.connect_timeout + okdesk.timeout + settings.sync.retry_cap)
    # Twice the worst GET: a step may be a paged list, and a slow but answering Okdesk is no hang.
    return max(HANG_FLOOR, 2 * one_get)


def loop_bounds(settings: Settings) -> dict[str, float]:
    """Seconds each loop may stay silent: its own period plus the longest step it may be in."""
    hang = hang_timeout(settings)
    return {
        # An adaptive poll loop turns every POLL_TICK, polling or not (syncd.relay.poller.Poller.tick).
        "poll": (settings.sync.poll_interval or POLL_TICK) + hang,
        "sender": settings.sync.sender_idle + hang,
        "inbound": settings.sync.sender_idle + hang,
    }


class Liveness:
    """Thread-safe: the poll job beats from the scheduler's worker thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._bound: dict[str, float] = {}
        self._excuse: dict[str, Callable[[], bool]] = {}

    def heartbeat(self, name: str, bound: float, excuse: Callable[[], bool] | None = None) -> Callable[[], None]:
        """The callable a loop calls each time it turns. A loop is watched from its first beat
        (one that never started is not hung); while ``excuse()`` is true it counts as turning
        (e.g. Okdesk told everybody to wait with a long Retry-After)."""
        with self._lock:
            self._bound[name] = bound
            if excuse is not None:
                self._excuse[name] = excuse

        def beat() -> None:
            now = self._clock()
            with self._lock:
                self._last[name] = now

        return beat

    def hung(self) -> dict[str, float]:
        """Loops silent for longer than their bound: name -> seconds since their last turn."""
        now = self._clock()
        with self._lock:
            watched = dict(self._last)
        silent: dict[str, float] = {}
        for name, last in watched.items():
            excuse = self._excuse.get(name)
            if excuse is not None and excuse():
                with self._lock:
                    self._last[name] = now
                continue
            if now - last > self._bound[name]:
                silent[name] = now - last
        return silent
