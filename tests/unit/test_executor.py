"""The one executor of failed tries (syncd.relay.executor) and what Okdesk's answers mean as plain data;
its records on SQLite and on PostgreSQL (127.0.0.1:5432; skipped with a reason when absent)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from syncd.clock import utcnow
from syncd.health import Health
from syncd.okdesk.errors import (
    OkdeskAuthError,
    OkdeskError,
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskPrivateFile,
    OkdeskRateLimited,
    OkdeskTokenRefused,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
)
from syncd.relay.executor import Executor, okdesk_answer
from syncd.store import Store
from syncd.store.schema import inbound_jobs
from syncd.store.states import FAILED, JOB_FAILED, OUTBOX_NOTICE, PENDING, UNSURE
from syncd.sync.answers import (
    OK,
    RATE_DONE,
    RATE_REFUSED,
    RATE_UNKNOWN,
    Answer,
    AnswerKind,
    after_rate,
    is_outage,
    notice_unsure,
)
from syncd.sync.retry import RetryPolicy
from tests.unit import test_store as _store_tests

POLICY = RetryPolicy(base=1, cap=60, budget=3600)


# The same fixtures as test_store: every test of a record runs on both databases.
db_url = _store_tests.db_url
store = _store_tests.store


@pytest.mark.parametrize(("exc", "kind"), [
    (OkdeskRateLimited("slow down", retry_after=12.0, status=429), AnswerKind.RATE_LIMITED),
    (OkdeskUnavailable("down", status=503), AnswerKind.UNAVAILABLE),
    (OkdeskOutcomeUnknown("timed out"), AnswerKind.OUTCOME_UNKNOWN),
    (OkdeskForbidden("no", status=403), AnswerKind.FORBIDDEN),
    (OkdeskTokenRefused("token", status=401), AnswerKind.TOKEN_REFUSED),
    (OkdeskAuthError("auth", status=401), AnswerKind.TOKEN_REFUSED),
    (OkdeskNotFound("gone", status=404), AnswerKind.NOT_FOUND),
    (OkdeskValidationError("bad", status=422, errors={"title": ["blank"]}), AnswerKind.INVALID),
    (OkdeskTooLarge("big", status=413), AnswerKind.TOO_LARGE),
    (OkdeskPrivateFile("private"), AnswerKind.OTHER),
    (OkdeskError("redirected", kind="redirect"), AnswerKind.OTHER),
])
def test_each_okdesk_error_is_one_kind_of_answer(exc: OkdeskError, kind: AnswerKind) -> None:
    answer = okdesk_answer(exc)
    assert (answer.kind, answer.error, answer.status) == (kind, str(exc), exc.status)
    assert answer.retry_after == (12.0 if kind is AnswerKind.RATE_LIMITED else None)


@pytest.mark.parametrize(("kind", "rate", "notice", "outage"), [
    (AnswerKind.OK, RATE_DONE, False, False),
    (AnswerKind.OUTCOME_UNKNOWN, RATE_UNKNOWN, True, False),
    (AnswerKind.UNAVAILABLE, RATE_UNKNOWN, False, True),
    (AnswerKind.RATE_LIMITED, RATE_UNKNOWN, False, True),
    (AnswerKind.TOKEN_REFUSED, RATE_UNKNOWN, False, False),
    (AnswerKind.NOT_FOUND, RATE_REFUSED, False, False),
    (AnswerKind.FORBIDDEN, RATE_REFUSED, False, False),
    (AnswerKind.INVALID, RATE_REFUSED, False, False),
    (AnswerKind.TOO_LARGE, RATE_REFUSED, False, False),
    (AnswerKind.OTHER, RATE_REFUSED, False, False),
])
def test_what_an_answer_means_to_a_rating_and_a_notice(kind: AnswerKind, rate: str, notice: bool,
                                                       outage: bool) -> None:
    answer = Answer(kind, "e")
    assert (after_rate(answer), notice_unsure(answer), is_outage(answer)) == (rate, notice, outage)
    assert (RATE_DONE, RATE_UNKNOWN, RATE_REFUSED) == ("done", "unknown", "refused")
    assert Answer(AnswerKind.OK, "", None, None) == OK


def _notice(store: Store, **values: Any) -> Any:
    row = store.outbox_row(dedupe_key="n1", kind=OUTBOX_NOTICE, payload="{}", message_count=0, okdesk_issue_id=4)
    row.update(values)
    store.add_outbox([row])
    return store.due_items(OUTBOX_NOTICE, utcnow() + timedelta(days=1))[0]


def test_an_outage_costs_an_outbox_item_nothing_while_the_service_works_for_nobody(store: Store) -> None:
    health = Health()
    executor = Executor(store, POLICY, health)
    row = _notice(store, attempts=2, budget_spent=3500.0, last_attempt_at=utcnow() - timedelta(seconds=50))

    nxt = executor.outbox_failed(row, service="okdesk", error="down", outage=True, unsure=True,
                                 note="outcome unknown: down")

    fresh = store.get_outbox(row.id)
    assert (nxt.budget_spent, nxt.parked, nxt.attempts) == (3500.0, False, 3)
    assert (fresh.state, fresh.last_error, fresh.budget_spent, fresh.attempts) == (
        UNSURE, "outcome unknown: down", 3500.0, 3)
    assert abs((fresh.next_try_at - (utcnow() + timedelta(seconds=nxt.delay))).total_seconds()) < 2
    assert health.last_error("okdesk")[1] == "down"  # `syncd status` shows it


def test_an_items_own_failure_spends_its_budget_and_parks_it(store: Store) -> None:
    health = Health()
    executor = Executor(store, POLICY, health)
    row = _notice(store, state=UNSURE, attempts=2, budget_spent=3590.0,
                  last_attempt_at=utcnow() - timedelta(seconds=50))

    nxt = executor.outbox_failed(row, service="okdesk", error="422", outage=False, wait=7.0, unsure=False)

    assert (nxt.parked, nxt.delay) == (True, 7.0) and nxt.budget_spent >= 3600
    assert store.get_outbox(row.id).state == FAILED


def test_an_outage_counts_once_the_service_worked_for_others_since_the_last_try(store: Store) -> None:
    health = Health()
    executor = Executor(store, POLICY, health)
    row = _notice(store, attempts=1, budget_spent=0.0, last_attempt_at=utcnow() - timedelta(seconds=40))
    health.mark("okdesk")

    nxt = executor.outbox_failed(row, service="okdesk", error="503", outage=True, unsure=False)

    assert nxt.budget_spent >= 40 and store.get_outbox(row.id).state == PENDING


def _job(store: Store, **values: Any) -> Any:
    now = utcnow()
    row: dict[str, Any] = dict(tg_user_id=5, tg_chat_id=5, state=UNSURE, action="comment", okdesk_issue_id=40,
                               fingerprint="f" * 64, sent_at=now, attempts=0, next_try_at=now - timedelta(seconds=50),
                               budget_spent=0.0, dropped_files="[]", created_at=now)
    row.update(values)
    with store.engine.begin() as conn:
        job_id = int(conn.execute(sa.insert(inbound_jobs).values(**row)).inserted_primary_key[0])
    return store.get_job(job_id)


def test_a_jobs_failure_is_its_own_only_while_its_service_worked_for_others(store: Store) -> None:
    health = Health()
    executor = Executor(store, POLICY, health)
    job = _job(store, budget_spent=3590.0, attempts=4)

    nxt = executor.job_failed(job, service="okdesk", error="timeout", wait=None)

    fresh = store.get_job(job.id)
    assert (fresh.state, fresh.budget_spent, fresh.attempts, fresh.last_error) == (UNSURE, 3590.0, 5, "timeout")
    assert not nxt.parked
    store.update_job(job.id, next_try_at=utcnow() - timedelta(seconds=50))  # the next try began
    health.mark("okdesk")  # Okdesk answered others since it began
    nxt = executor.job_failed(store.get_job(job.id), service="okdesk", error=None, wait=0.0)
    parked = store.get_job(job.id)
    assert nxt.parked and (parked.state, parked.last_error, parked.attempts) == (JOB_FAILED, "", 6)


def test_a_notice_is_marked_unsure_only_while_it_waits(store: Store) -> None:
    row = _notice(store)
    store.mark_unsure(row.id)
    assert store.get_outbox(row.id).state == UNSURE
    store.mark_done(row.id)
    store.mark_unsure(row.id)  # a late mark never brings a finished item back
    assert store.get_outbox(row.id).state == "done"
    store.record_failure(row.id, error="late", next_try_at=utcnow(), budget_spent=0.0, parked=False, unsure=True)
    assert store.get_outbox(row.id).state == "done"
