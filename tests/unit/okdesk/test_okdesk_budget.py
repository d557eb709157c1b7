"""RequestBudget: the sliding one-minute window of Okdesk requests, on its own and as the
client spends it."""

from __future__ import annotations

import bisect
import math
import random
import threading
import time
from pathlib import Path

import pytest

from syncd.okdesk import RequestBudget
from syncd.okdesk import budget as budget_module
from tests.unit.okdesk._helpers import _one_attachment, make_client, settled


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_window_admits_the_cap_then_waits_for_the_oldest_to_leave() -> None:
    window = budget_module.WINDOW  # 60 s plus a second of margin for network jitter
    assert 60 < window <= 62
    clock = FakeClock()
    budget = RequestBudget(60, clock)
    assert sum(budget.try_acquire() for _ in range(100)) == 60
    assert budget.tokens == 0
    clock.now += 59.9  # a token bucket would have refilled all 60 by now: 120 in one minute
    assert not budget.try_acquire() and budget.tokens == 0
    clock.now += window - 59.9  # a request leaves the window WINDOW seconds after it went
    assert budget.tokens == 60
    spread = RequestBudget(3, clock)
    t0 = clock.now
    for offset in (0, 10, 20):
        clock.now = t0 + offset
        assert spread.try_acquire()
    clock.now = t0 + window - 0.001
    assert not spread.try_acquire()
    clock.now = t0 + window  # only the first one has left
    assert spread.try_acquire() and not spread.try_acquire()
    clock.now = t0 + window + 10
    assert spread.try_acquire() and spread.tokens == 0
    assert RequestBudget(2.9, clock).limit == 2  # a fraction of a request cannot go
    with pytest.raises(ValueError):
        RequestBudget(0.5, clock)


def test_budget_background_leaves_the_reserve_to_the_foreground() -> None:
    window = budget_module.WINDOW
    clock = FakeClock()
    budget = RequestBudget(60, clock, background_reserve=0.5)
    t0 = clock.now
    assert sum(budget.try_acquire(background=True) for _ in range(100)) == 30
    assert not budget.has_room(background=True) and budget.has_room(30) and not budget.has_room(31)
    clock.now = t0 + 10
    assert not budget.try_acquire(background=True)
    assert sum(budget.try_acquire() for _ in range(100)) == 30  # the foreground gets it all
    clock.now = t0 + window  # the background 30 left; the foreground 30 still fill the lower half
    assert not budget.try_acquire(background=True)
    assert budget.try_acquire()
    clock.now = t0 + window + 10  # now only that last one is in the window
    assert budget.has_room(29, background=True) and not budget.has_room(30, background=True)
    assert sum(budget.try_acquire(background=True) for _ in range(100)) == 29
    tiny = RequestBudget(1, clock)  # an empty window always admits one background request
    assert tiny.try_acquire(background=True) and not tiny.try_acquire()


def test_budget_pause_until_stops_everyone() -> None:
    clock = FakeClock()
    budget = RequestBudget(60, clock)
    budget.pause_until(clock.now + 5)
    assert not budget.try_acquire() and not budget.try_acquire(background=True)
    budget.pause_until(clock.now + 1)  # never shortens a pause
    clock.now += 4.9
    assert not budget.try_acquire()
    clock.now += 0.2
    assert budget.try_acquire()


def _max_in_any_window(stamps: list[float], window: float) -> int:
    """Most stamps in any half-open window [s, s + window): the worst one starts at a stamp."""
    stamps = sorted(stamps)
    return max(
        (bisect.bisect_left(stamps, s + window) - i for i, s in enumerate(stamps)), default=0
    )


def test_budget_no_window_ever_holds_more_than_the_cap_under_greedy_threads() -> None:
    """Greedy threads (foreground and background, try_acquire and acquire) take whatever they
    can while an injected clock jumps forward in steps, landing on window edges too. The
    clock stands still while they race, so each admission's time is known exactly."""
    rng = random.Random(20240601)
    clock = FakeClock()
    cap, workers = 30, 6
    budget = RequestBudget(cap, clock, background_reserve=0.5)
    go, done = threading.Barrier(workers + 1), threading.Barrier(workers + 1)
    got = [0] * workers
    stop = False

    def worker(n: int) -> None:
        background = n % 2 == 1
        while True:
            go.wait()
            if stop:
                return
            while (
                budget.try_acquire(background) if n % 3 else budget.acquire(background, timeout=0)
            ):
                got[n] += 1
            done.wait()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    stamps: list[float] = []
    try:
        for _ in range(400):
            clock.now += rng.choice([0.0, 0.001, 0.5, 1.0, 7.0, 29.999, 30.0, 59.999, 60.0])
            before = sum(got)
            go.wait()
            done.wait()
            stamps += [clock.now] * (sum(got) - before)
    finally:
        stop = True
        go.wait()
        for t in threads:
            t.join()
    assert _max_in_any_window(stamps, 60.0) == cap  # reached, never exceeded
    assert len(stamps) > 10 * cap  # the load really was greedy over many windows


def test_budget_acquire_blocks_until_the_oldest_leaves(monkeypatch) -> None:
    """Real time with the window shrunk to 0.2 s: blocked threads go as requests leave it."""
    monkeypatch.setattr(budget_module, "WINDOW", 0.2)
    budget = RequestBudget(5)
    stamps: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 0.7

    def work(background: bool) -> None:
        while time.monotonic() < deadline:
            if budget.acquire(background, timeout=0.05):
                with lock:
                    stamps.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(n % 2 == 1,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    windows = math.ceil((time.monotonic() - started) / 0.2)
    assert 5 * 3 <= len(stamps) <= 5 * windows  # kept going, never beyond the cap


def test_budget_acquire_blocks_until_a_token_or_the_timeout() -> None:
    slow = RequestBudget(6)  # real clock: one token every 10 s
    while slow.try_acquire():
        pass
    started = time.monotonic()
    assert not slow.acquire(timeout=0.2)
    assert 0.19 <= time.monotonic() - started < 2
    budget = RequestBudget(600)  # full bucket, but paused
    budget.pause_until(time.monotonic() + 0.3)
    started = time.monotonic()
    assert not budget.acquire(timeout=0.1)
    assert budget.acquire(timeout=5)
    assert time.monotonic() - started >= 0.29


def test_budget_counters_and_threads() -> None:
    budget = RequestBudget(100_000)

    def work() -> None:
        for _ in range(200):
            budget.acquire()
            budget.note("issues.get")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    budget.note("storage")
    assert budget.total == 801
    assert budget.by_kind == {"issues.get": 800, "storage": 1}


def test_budget_counts_every_request(emu, tmp_path: Path) -> None:
    budget = RequestBudget(6000)
    issue, att, _ = _one_attachment(emu, tmp_path)
    with make_client(emu, budget=budget) as c:
        c.issues_updated_since(None, background=True)
        c.download_attachment(issue, att, tmp_path / "d")
        assert budget.total == c.requests_made == settled(emu).count_requests() == 3
        assert budget.by_kind == {"issues.list": 1, "attachments.get": 1, "storage": 1}
        assert c.last_success_at is not None
