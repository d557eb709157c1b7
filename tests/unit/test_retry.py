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


def test_the_one_rule_of_what_a_failure_costs() -> None:
    from syncd.sync.retry import counts_against_budget

    assert counts_against_budget(outage=False, service_worked_since=False)  # the item's own
    assert counts_against_budget(outage=False, service_worked_since=True)
    assert counts_against_budget(outage=True, service_worked_since=True)  # the service worked for others
    assert not counts_against_budget(outage=True, service_worked_since=False)  # nobody's: wait unpunished


def test_the_next_try_takes_the_servers_wait_or_the_backoff_and_counts_the_try() -> None:
    from syncd.sync.retry import NextTry, next_try

    waited = next_try(attempts=4, budget_spent=10.0, last_attempt_at=NOW - timedelta(seconds=30), now=NOW,
                      counts=True, wait=0.0, policy=POLICY)
    assert waited == NextTry(delay=0.0, next_try_at=NOW, attempts=5, budget_spent=40.0, parked=False)
    backed = next_try(attempts=6, budget_spent=3590.0, last_attempt_at=NOW - timedelta(seconds=30), now=NOW,
                      counts=True, wait=None, policy=POLICY, rng=random.Random(3))
    assert backed.delay == backoff(7, POLICY, random.Random(3)) and backed.delay >= 30
    assert backed.next_try_at == NOW + timedelta(seconds=backed.delay)
    assert (backed.attempts, backed.budget_spent, backed.parked) == (7, 3620.0, True)
    free = next_try(attempts=0, budget_spent=3590.0, last_attempt_at=NOW - timedelta(seconds=30), now=NOW,
                    counts=False, wait=5.0, policy=POLICY)
    assert (free.attempts, free.budget_spent, free.parked, free.delay) == (1, 3590.0, False, 5.0)


def test_backoff_doubles_with_jitter_on_the_upper_half_with_or_without_a_given_random() -> None:
    policy = RetryPolicy(base=1, cap=1000, budget=3600)
    for attempts in range(1, 8):
        exp = 2 ** (attempts - 1)
        seeded = [backoff(attempts, policy, random.Random(seed)) for seed in range(40)]
        unseeded = [backoff(attempts, policy) for _ in range(40)]
        for delay in seeded + unseeded:
            assert max(exp * 0.5, 1) <= delay <= exp


def test_a_failure_at_the_moment_of_the_last_costs_nothing() -> None:
    out = account_failure(budget_spent=10, last_attempt_at=NOW, now=NOW, counts=True, policy=POLICY)
    assert out.budget_spent == 10
    earlier = account_failure(budget_spent=10, last_attempt_at=NOW, now=NOW - timedelta(seconds=5), counts=True,
                              policy=POLICY)
    assert earlier.budget_spent == 10  # a clock stepped back charges nothing
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
