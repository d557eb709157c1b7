from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.sync.retry import RetryPolicy, account_failure, backoff

NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)
POLICY = RetryPolicy(base=1, cap=60, budget=3600)


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    delays = [backoff(n, POLICY, rng) for n in range(1, 12)]
    assert delays[0] <= 1 and max(delays) <= 60 and delays[-1] >= 30


def test_own_failures_spend_the_budget_until_parked() -> None:
    spent, last = 0.0, None
    for minute in range(0, 61):
        now = NOW + timedelta(minutes=minute)
        out = account_failure(budget_spent=spent, last_attempt_at=last, now=now, counts=True, policy=POLICY)
        assert out.parked == (minute == 60)
        spent, last = out.budget_spent, now
    assert spent == 3600


def test_time_the_daemon_was_stopped_is_not_charged() -> None:
    out = account_failure(budget_spent=0, last_attempt_at=NOW, now=NOW + timedelta(days=2), counts=True,
                          policy=POLICY)
    assert out.budget_spent == 2 * POLICY.cap and not out.parked


def test_an_outage_of_the_whole_service_spends_nothing() -> None:
    out = account_failure(budget_spent=100, last_attempt_at=NOW, now=NOW + timedelta(days=2), counts=False,
                          policy=POLICY)
    assert out.budget_spent == 100 and not out.parked


def _bounds(attempts: int, policy: RetryPolicy) -> tuple[float, float]:
    """The documented window: the upper half of base * 2^(attempts-1), capped, never under base (nor cap)."""
    exp = min(policy.cap, policy.base * 2 ** max(attempts - 1, 0))
    floor = min(policy.base, policy.cap)
    return max(exp / 2, floor), max(exp, floor)


@settings(max_examples=200, deadline=None)
@given(attempts=st.integers(0, 40), seed=st.integers(0, 2**32), base=st.sampled_from([0.5, 1.0, 3.0]),
       cap=st.sampled_from([2.0, 60.0, 300.0]))
def test_backoff_stays_in_the_upper_half_of_its_doubling_window(attempts: int, seed: int, base: float,
                                                                 cap: float) -> None:
    policy = RetryPolicy(base=base, cap=cap)
    low, high = _bounds(attempts, policy)
    assert low <= backoff(attempts, policy, random.Random(seed)) <= high


def test_backoff_doubles_per_attempt_from_base_to_cap() -> None:
    # The first retry waits exactly base: its upper half lies under the floor.
    assert {backoff(1, RetryPolicy(base=0.5, cap=60), random.Random(seed)) for seed in range(50)} == {0.5}
    expected = {2: (0.5, 1), 3: (1, 2), 4: (2, 4), 5: (4, 8), 6: (8, 16), 7: (16, 32), 8: (30, 60), 20: (30, 60)}
    for attempts, (low, high) in expected.items():
        delays = [backoff(attempts, RetryPolicy(base=0.5, cap=60), random.Random(seed)) for seed in range(50)]
        assert low <= min(delays) and max(delays) <= high
        assert max(delays) - min(delays) > (high - low) / 4  # jittered, not one fixed value


def test_the_same_seeded_rng_gives_the_same_delays() -> None:
    first = [backoff(n, POLICY, random.Random(7)) for n in range(1, 10)]
    assert first == [backoff(n, POLICY, random.Random(7)) for n in range(1, 10)]


def test_backoff_without_an_rng_is_jittered_within_the_same_window() -> None:
    for attempts in (1, 3, 5, 9):
        low, high = _bounds(attempts, POLICY)
        delays = [backoff(attempts, POLICY) for _ in range(200)]
        assert all(low <= d <= high for d in delays)
    assert len({backoff(5, POLICY) for _ in range(20)}) > 1


def test_a_failure_at_the_same_moment_or_with_the_clock_stepped_back_charges_nothing() -> None:
    for last in (NOW, NOW + timedelta(seconds=30)):
        out = account_failure(budget_spent=10.0, last_attempt_at=last, now=NOW, counts=True, policy=POLICY)
        assert out.budget_spent == 10.0 and not out.parked
