"""Retry decisions, pure: how long to wait, and when an item has failed long enough to be parked.

An item spends its retry budget only on failures that are its own. While a whole service is
down (Okdesk answering 5xx to everyone, Telegram unreachable), items wait without spending it:
otherwise a day-long outage would park every delivery that happened to be queued.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 1.0
    cap: float = 60.0
    budget: float = 86400.0


def backoff(attempts: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Exponential with full jitter on the upper half, capped: 1, 2, 4 ... cap seconds."""
    exp: float = min(policy.cap, policy.base * (2 ** max(attempts - 1, 0)))
    jitter = rng.uniform(0.5, 1.0) if rng is not None else random.uniform(0.5, 1.0)
    return max(min(policy.cap, exp * jitter), min(policy.base, policy.cap))


@dataclass(frozen=True)
class FailureOutcome:
    budget_spent: float
    parked: bool


def account_failure(*, budget_spent: float, last_attempt_at: datetime | None, now: datetime,
                    counts: bool, policy: RetryPolicy) -> FailureOutcome:
    """Add the time since the item's previous failed attempt to its budget when the failure counts.

    ``counts`` is False for an outage of the whole service; then the item keeps waiting, unpunished.
    """
    if counts and last_attempt_at is not None:
        # At most two backoff caps per failure: time the daemon was stopped, or the client had
        # blocked the bot, is nobody's failure to deliver.
        gap = min(max((now - last_attempt_at).total_seconds(), 0.0), 2 * policy.cap)
        budget_spent += gap
    return FailureOutcome(budget_spent, counts and budget_spent >= policy.budget)
