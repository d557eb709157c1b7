"""Try, record, retry with backoff, park: the one executor of every queue that writes somewhere else.

The outbox sender, staff notices and the inbound worker each try their item and hand a failure
here; the rule of what it costs and when the next try is (syncd.sync.retry) is applied the same
way for all, with the service's health, and the record is written to the store. What Okdesk
answered is turned into plain data here too (:func:`okdesk_answer`), for the pure decisions.
"""

from __future__ import annotations

from typing import Any

from syncd.clock import utcnow
from syncd.okdesk.errors import (
    OkdeskAuthError,
    OkdeskError,
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
)
from syncd.relay.health import Health
from syncd.store import Store
from syncd.store.rows import InboundJob, OutboxItem
from syncd.store.states import JOB_FAILED
from syncd.sync.answers import Answer, AnswerKind
from syncd.sync.retry import NextTry, RetryPolicy, counts_against_budget, next_try

# By class, the most particular first (RateLimited is an Unavailable, Forbidden an AuthError).
_KINDS: tuple[tuple[type[OkdeskError], AnswerKind], ...] = (
    (OkdeskRateLimited, AnswerKind.RATE_LIMITED),
    (OkdeskUnavailable, AnswerKind.UNAVAILABLE),
    (OkdeskOutcomeUnknown, AnswerKind.OUTCOME_UNKNOWN),
    (OkdeskForbidden, AnswerKind.FORBIDDEN),
    # 401, or an auth error not told apart: nothing was judged.
    (OkdeskAuthError, AnswerKind.TOKEN_REFUSED),
    (OkdeskNotFound, AnswerKind.NOT_FOUND),
    (OkdeskValidationError, AnswerKind.INVALID),
    (OkdeskTooLarge, AnswerKind.TOO_LARGE),
)


def okdesk_answer(exc: OkdeskError) -> Answer:
    """The error as plain data (an error of none of these classes, a private file say: other)."""
    kind = next((k for cls, k in _KINDS if isinstance(exc, cls)), AnswerKind.OTHER)
    retry_after = exc.retry_after if isinstance(exc, OkdeskRateLimited) else None
    return Answer(kind, error=str(exc), retry_after=retry_after, status=exc.status)


class Executor:
    def __init__(self, store: Store, policy: RetryPolicy, health: Health) -> None:
        self.store, self.policy, self.health = store, policy, health

    def next_try(self, *, service: str, error: str | None, outage: bool, attempts: int, budget_spent: float,
                 last_attempt_at: Any, wait: float | None = None) -> NextTry:
        """The record of a failed try (nothing written). ``outage``: the failure may be the whole
        service's; ``last_attempt_at``: the item's previous try (None: this was its first)."""
        if error:
            self.health.error(service, error)  # `syncd status` shows the latest error
        worked = self.health.ok_since(service, last_attempt_at)
        return next_try(attempts=attempts, budget_spent=budget_spent, last_attempt_at=last_attempt_at, now=utcnow(),
                        counts=counts_against_budget(outage=outage, service_worked_since=worked),
                        wait=wait, policy=self.policy)

    def outbox_failed(self, row: OutboxItem, *, service: str, error: str, outage: bool, wait: float | None = None,
                      unsure: bool | None = None, note: str | None = None) -> NextTry:
        """An outbox item's failed try, recorded. ``unsure``: whether its write may have happened (None:
        its state stays as it is); ``note``: the item's last_error when it says more than ``error``."""
        nxt = self.next_try(service=service, error=error, outage=outage, attempts=row.attempts,
                            budget_spent=row.budget_spent, last_attempt_at=row.last_attempt_at, wait=wait)
        self.store.record_failure(row.id, error=note or error, next_try_at=nxt.next_try_at,
                                  budget_spent=nxt.budget_spent, parked=nxt.parked, unsure=unsure)
        return nxt

    def job_failed(self, job: InboundJob, *, service: str, error: str | None, wait: float | None = None,
                   tell_if_parked: dict[str, Any] | None = None) -> NextTry:
        """An inbound job's failed try, recorded; the job stays queued or unsure as it was, or is parked
        (with ``tell_if_parked``, an outbox row telling the client, in the same transaction).

        Every failure of a job counts as its own only while its service worked for others: a job's try
        began at its next_try_at, the moment compared with the service's last success."""
        nxt = self.next_try(service=service, error=error, outage=True, attempts=job.attempts,
                            budget_spent=job.budget_spent, last_attempt_at=job.next_try_at, wait=wait)
        values: dict[str, Any] = dict(next_try_at=nxt.next_try_at, budget_spent=nxt.budget_spent,
                                      attempts=nxt.attempts, last_error=(error or "")[:500])
        if nxt.parked:
            values["state"] = JOB_FAILED
        self.store.update_job(job.id, tell=tell_if_parked if nxt.parked else None, **values)
        return nxt
