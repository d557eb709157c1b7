"""The busiest minute of a series of request times: what Okdesk's per-minute budget is measured against,
shared by the poll-schedule simulation and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterable


def busiest_minute(starts: Iterable[float]) -> int:
    """Most requests in any 60-s window (the whole span when it is shorter)."""
    times = sorted(starts)
    best, low = 0, 0
    for high, moment in enumerate(times):
        while moment - times[low] >= 60.0:
            low += 1
        best = max(best, high - low + 1)
    return best
