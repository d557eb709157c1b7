from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

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
