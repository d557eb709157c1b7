"""Retry decisions, pure: how long to wait, and when an item has failed long enough to be parked.

An item spends its retry budget only on failures that are its own. While a whole service is
down (Okdesk answering 5xx to everyone, Telegram unreachable), items wait without spending it:
otherwise a day-long outage would park every delivery that happened to be queued.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


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


def counts_against_budget(*, outage: bool, service_worked_since: bool) -> bool:
    """The one rule of what a failure costs. A failure that may be the whole service's (an outage,
    a refused token, a lost answer) is the item's own only while the service worked for others
    since the item's previous try; any other failure is the item's own."""
    return not outage or service_worked_since


@dataclass(frozen=True)
class NextTry:
    """The record of a failed try: when the next one is, what was spent, whether the item is parked."""

    delay: float
    next_try_at: datetime
    attempts: int  # tries so far, the failed one included
    budget_spent: float
    parked: bool


def next_try(*, attempts: int, budget_spent: float, last_attempt_at: datetime | None, now: datetime, counts: bool,
             wait: float | None, policy: RetryPolicy, rng: random.Random | None = None) -> NextTry:
    """After a failed try: the server's own wait when it named one, else the backoff of this many tries
    (every try counts toward it, those that failed before reaching the write too)."""
    spent = account_failure(budget_spent=budget_spent, last_attempt_at=last_attempt_at, now=now, counts=counts,
                            policy=policy)
    tries = attempts + 1
    delay = wait if wait is not None else backoff(tries, policy, rng)
    return NextTry(delay=delay, next_try_at=now + timedelta(seconds=delay), attempts=tries,
                   budget_spent=spent.budget_spent, parked=spent.parked)
