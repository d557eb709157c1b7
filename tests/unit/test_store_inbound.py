"""The store's inbound tables (inbox_messages, inbound_jobs), on SQLite and on PostgreSQL
(127.0.0.1:5432; skipped with a reason when absent) through the fixtures of test_store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from syncd.clock import utcnow
from syncd.store import Store
from syncd.store.inbound_repo import ASKING, DONE, DUPLICATE, QUEUED, REFUSED, UNSURE
from syncd.store.schema import inbound_jobs, inbox_messages
from syncd.store.status_repo import Backlog
from tests.unit import test_store as _store_tests

# The same fixtures as test_store: every test here runs on both databases.
db_url = _store_tests.db_url
store = _store_tests.store
_link = _store_tests._link

T0 = datetime.fromisoformat("2026-11-27T11:05:33+00:00")


def _message(store: Store, msg: int, *, chat: int = 5, grouped: int | None = None) -> int | None:
    return store.record_message(tg_chat_id=chat, tg_message_id=msg, tg_user_id=chat, grouped_id=grouped,
                                reply_to_msg_id=None, sent_at=T0, content='{"typed": "x"}', media=None)


def _job(store: Store, messages: list[int], *, user: int = 5, state: str = QUEUED, action: str | None = "comment",
         fingerprint: str = "f" * 64, sent_at: datetime = T0, **extra: Any) -> int | None:
    return store.create_job(messages, tg_user_id=user, tg_chat_id=user, state=state, action=action,
                            fingerprint=fingerprint, sent_at=sent_at, **extra)


def _new_job(store: Store, msg: int, **kwargs: Any) -> int:
    user = kwargs.get("user", 5)
    row = _message(store, msg, chat=user)
    assert row is not None
    job = _job(store, [row], **kwargs)
    assert job is not None
    return job


def _count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


# ---------------------------------------------------------------- messages


def test_a_message_is_recorded_once(store: Store) -> None:
    first = _message(store, 100)
    assert isinstance(first, int)
    assert _message(store, 100) is None  # Telegram handed it over again
    assert _message(store, 100, chat=6) is not None  # the same id in another chat is another message
    assert _message(store, 101) not in (None, first)
    assert _count(store, inbox_messages) == 3


def test_the_highest_message_id_known_before_a_moment(store: Store) -> None:
    """Where reading a skipped gap back starts: what was recorded before the gap, not after it (a
    delivery or a live message recorded since the reconnect lies past the gap)."""
    assert store.highest_message_id(T0) is None
    _message(store, 10)  # sent at T0
    store.record_message(tg_chat_id=5, tg_message_id=90, tg_user_id=5, sent_at=T0 + timedelta(minutes=9),
                         content="{}")
    store.map_message(5, 40, 7)  # one of the bot's own messages, mapped now
    assert store.highest_message_id(T0) == 10
    assert store.highest_message_id(T0 + timedelta(minutes=5)) == 10
    assert store.highest_message_id(utcnow() + timedelta(minutes=1)) == 90


def test_unassigned_messages_are_those_without_a_job(store: Store) -> None:
    a = _message(store, 1, grouped=77)
    b = _message(store, 2, grouped=77)
    c = _message(store, 3)
    _message(store, 4, chat=6, grouped=77)
    assert [r.id for r in store.unassigned_messages(5, 77)] == [a, b]
    job = _job(store, [a, b])
    assert [r.id for r in store.unassigned_messages(5)] == [c]
    assert [r.id for r in store.job_messages(job)] == [a, b]
    assert store.message_job(5, 2) == job and store.message_job(5, 3) is None


# ---------------------------------------------------------------- jobs


def test_a_job_cannot_take_messages_another_job_took(store: Store) -> None:
    a, b, c = (_message(store, i) for i in (1, 2, 3))
    first = _job(store, [a, b])
    assert first is not None
    assert _job(store, [b]) is None
    assert _job(store, [c, a]) is None  # partly taken: nothing changes
    assert _count(store, inbound_jobs) == 1  # the refused jobs were rolled back
    assert [r.id for r in store.unassigned_messages(5)] == [c]
    assert store.message_job(5, 1) == first and store.message_job(5, 2) == first
    assert _job(store, [c]) is not None


def test_a_new_job_starts_clean(store: Store) -> None:
    job = store.get_job(_new_job(store, 1))
    assert job.state == QUEUED and job.attempts == 0 and job.budget_spent == 0.0
    assert job.dropped_files == "[]" and job.next_try_at <= utcnow() and job.okdesk_issue_id is None


def test_update_job_only_from_the_given_states(store: Store) -> None:
    job = _new_job(store, 1, state=ASKING)
    assert store.update_job(job, only_if_state=[ASKING], state=QUEUED, action="create") is True
    assert store.update_job(job, only_if_state=[ASKING], state=QUEUED, action="comment") is False  # double tap
    assert store.get_job(job).action == "create"


def test_due_jobs_give_each_clients_oldest_job_in_order(store: Store) -> None:
    a1 = _new_job(store, 1, user=5)
    b1 = _new_job(store, 2, user=6)
    _new_job(store, 3, user=5)
    _new_job(store, 4, user=7, state=ASKING)
    _new_job(store, 5, user=8, state=DONE)
    c1 = _new_job(store, 6, user=9, state=UNSURE)
    assert [j.id for j in store.due_jobs(utcnow())] == [a1, b1, c1]


def test_a_waiting_head_holds_back_the_clients_later_jobs(store: Store) -> None:
    a1 = _new_job(store, 1, user=5)
    a2 = _new_job(store, 2, user=5)
    b1 = _new_job(store, 3, user=6)
    now = utcnow()
    later = now + timedelta(seconds=30)
    store.update_job(a1, next_try_at=later)
    assert [j.id for j in store.due_jobs(now)] == [b1]  # a2 waits behind a1: one client's order is kept
    assert store.next_job_time() <= now
    store.update_job(b1, state=DONE)
    assert store.due_jobs(now) == []
    assert store.next_job_time() == later  # nothing is due before a1
    assert [j.id for j in store.due_jobs(later)] == [a1]
    store.update_job(a1, state=DONE)
    assert [j.id for j in store.due_jobs(now)] == [a2]


def test_a_flooding_client_does_not_hide_the_others(store: Store) -> None:
    rows = [_message(store, i, chat=5) for i in range(1, 151)]
    for row in rows:
        assert _job(store, [row], user=5) is not None
    other = _new_job(store, 1, user=6)
    assert [(j.tg_user_id, j.id) for j in store.due_jobs(utcnow())] == [(5, 1), (6, other)]


def test_twin_jobs_within_the_window_both_ways(store: Store) -> None:
    window = timedelta(seconds=60)
    since, until = T0 - window, T0 + window
    # An issue already made from the same content, sent 59 s before.
    me = _new_job(store, 1, state=ASKING, action=None, fingerprint="a" * 64, sent_at=T0)
    before = _new_job(store, 2, action="create", fingerprint="a" * 64, sent_at=T0 - timedelta(seconds=59))
    store.update_job(before, state=DONE, okdesk_issue_id=42)
    found = store.twin_job(5, "a" * 64, since, until, exclude=me)
    assert found is not None and found.id == before and found.okdesk_issue_id == 42
    # One being made from a copy sent 59 s after (the client pressed the older offer later).
    mine = _new_job(store, 3, user=6, state=ASKING, action=None, fingerprint="a" * 64, sent_at=T0)
    after = _new_job(store, 4, user=6, action="create", fingerprint="a" * 64, sent_at=T0 + timedelta(seconds=59),
                     state=UNSURE)
    assert store.twin_job(6, "a" * 64, since, until, exclude=mine).id == after
    assert store.twin_job(6, "a" * 64, since, until, exclude=after) is None  # the asking one is no issue yet


def test_what_is_not_a_twin(store: Store) -> None:
    window = timedelta(seconds=60)
    me = _new_job(store, 1, action="create", fingerprint="a" * 64, sent_at=T0)
    since, until = T0 - window, T0 + window
    _new_job(store, 2, action="create", fingerprint="a" * 64, sent_at=T0 + timedelta(seconds=61))  # too late
    _new_job(store, 3, action="create", fingerprint="a" * 64, sent_at=T0 - timedelta(seconds=61))  # too early
    _new_job(store, 4, action="create", fingerprint="b" * 64, sent_at=T0)  # other content
    _new_job(store, 5, action="comment", fingerprint="a" * 64, sent_at=T0)  # a comment, not an issue
    _new_job(store, 6, user=6, action="create", fingerprint="a" * 64, sent_at=T0)  # another client
    for i, state in enumerate((ASKING, DUPLICATE, REFUSED)):
        _new_job(store, 10 + i, action="create", fingerprint="a" * 64, sent_at=T0, state=state)
    assert store.twin_job(5, "a" * 64, since, until, exclude=me) is None
    edge = _new_job(store, 30, action="create", fingerprint="a" * 64, sent_at=until, state=UNSURE)
    assert store.twin_job(5, "a" * 64, since, until, exclude=me).id == edge


# ---------------------------------------------------------------- finishing a job


def _follow(issue_id: int) -> dict[str, Any]:
    return dict(okdesk_issue_id=issue_id, okdesk_contact_id=7, title="Принтер", status_code="opened",
                okdesk_updated_at=T0, comments_count=0, comments_last_at=None, followed_at=T0,
                baseline_done=True, last_fetched_at=None)


def _confirmation(job: int) -> dict[str, Any]:
    return Store.outbox_row(dedupe_key=f"inbound:{job}", kind="telegram", payload="{}", message_count=1,
                            tg_chat_id=5, okdesk_issue_id=42)


def test_finish_job_records_everything_that_follows_once(store: Store) -> None:
    _link(store, 5)
    job = _new_job(store, 1, state=UNSURE)
    dropped = [{"file_name": "big.mp4", "reason": "reason_over_limit", "detail": "", "index": 1}]
    assert store.finish_job(job, okdesk_issue_id=42, okdesk_comment_id=900, attachment_ids=[11, 12],
                            follow=_follow(42), confirmation=_confirmation(job), dropped_files=dropped) is True
    row = store.get_job(job)
    assert row.state == DONE and row.okdesk_issue_id == 42 and row.okdesk_comment_id == 900
    assert json.loads(row.dropped_files) == dropped and row.done_at is not None and row.last_error is None
    assert store.own_comment_ids(42) == {900} and store.claimed_comment_ids(42) == {900}
    assert store.seen_ids(42)[1] == {11, 12}
    assert store.followed([42])[42].title == "Принтер"
    assert [h.dedupe_key for h in store.chat_heads("telegram")] == [f"inbound:{job}"]
    # Twice (a worker that lost the race, a replay): nothing more is written.
    again = _confirmation(job) | {"dedupe_key": "inbound:other"}
    assert store.finish_job(job, okdesk_issue_id=43, okdesk_comment_id=901, attachment_ids=[13],
                            follow=_follow(43), confirmation=again) is False
    assert store.get_job(job).okdesk_comment_id == 900
    assert store.own_comment_ids(42) == {900} and store.own_comment_ids(43) == frozenset()
    assert store.seen_ids(43)[1] == frozenset() and 43 not in store.followed([43])
    assert store.status_counts().outbox_waiting.count == 1


def test_finish_job_is_all_or_nothing(store: Store) -> None:
    job = _new_job(store, 1, state=UNSURE)
    broken = _follow(42) | {"followed_at": None}  # NOT NULL: the insert fails midway
    with pytest.raises(sa.exc.IntegrityError):
        store.finish_job(job, okdesk_issue_id=42, okdesk_comment_id=900, attachment_ids=[11],
                         follow=broken, confirmation=_confirmation(job))
    assert store.get_job(job).state == UNSURE
    counts = store.status_counts()
    assert store.own_comment_ids(42) == frozenset() and (counts.outbox_waiting, counts.outbox_failed) == (
        Backlog(), Backlog())
    assert store.finish_job(job, okdesk_issue_id=42, okdesk_comment_id=900, attachment_ids=[11],
                            follow=None, confirmation=_confirmation(job)) is True


def test_only_queued_or_posting_jobs_finish(store: Store) -> None:
    for i, state in enumerate((ASKING, DONE, REFUSED, DUPLICATE)):
        job = _new_job(store, 10 + i, state=state)
        assert store.finish_job(job, okdesk_issue_id=1, okdesk_comment_id=2, attachment_ids=[], follow=None,
                                confirmation=None) is False
        assert store.get_job(job).state == state


def test_an_issue_created_is_claimed_by_the_client(store: Store) -> None:
    job = _new_job(store, 1, state=UNSURE, action="create")
    assert store.claimed_issue_ids(5) == set()
    store.finish_job(job, okdesk_issue_id=77, okdesk_comment_id=None, attachment_ids=[], follow=_follow(77),
                     confirmation=None)
    assert store.claimed_issue_ids(5) == {77} and store.claimed_issue_ids(6) == set()
    assert store.own_comment_ids(77) == frozenset()


# ---------------------------------------------------------------- the rest


def test_contacts_creating_issues_are_those_with_a_create_job_posting(store: Store) -> None:
    _link(store, 5, contact=70)
    _link(store, 6, contact=71)
    _link(store, 7, contact=72)
    creating = _new_job(store, 1, user=5, action="create", state=UNSURE)
    _new_job(store, 2, user=6, action="create", state=QUEUED)
    _new_job(store, 3, user=7, action="comment", state=UNSURE)
    assert store.contacts_creating_issues() == {70}
    store.update_job(creating, state=DONE)
    assert store.contacts_creating_issues() == set()


def test_unasked_jobs_are_asking_jobs_whose_question_was_never_sent(store: Store) -> None:
    unasked = _new_job(store, 1, state=ASKING, action=None)
    asked = _new_job(store, 2, state=ASKING, action=None, ask_message_id=500)
    _new_job(store, 3, state=QUEUED)
    assert [j.id for j in store.unasked_jobs(created_before=utcnow() + timedelta(seconds=1))] == [unasked]
    assert {j.id for j in store.asking_jobs(5)} == {unasked, asked}
    store.update_job(unasked, ask_message_id=501)
    assert store.unasked_jobs(created_before=utcnow() + timedelta(seconds=1)) == []


def test_map_message_makes_a_reply_resolvable_and_keeps_the_first_mapping(store: Store) -> None:
    assert store.issue_for_message(5, 900) is None
    store.map_message(5, 900, 42)
    store.map_message(5, 900, 43)
    assert store.issue_for_message(5, 900) == 42
    assert store.issue_for_message(6, 900) is None




def test_the_migrations_create_the_inbound_tables_with_their_keys(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    assert {"inbox_messages", "inbound_jobs", "message_map", "dialogs"} <= set(inspector.get_table_names())
    uniques = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints("inbox_messages")}
    assert uniques.get("uq_inbox_messages_tg") == ["tg_chat_id", "tg_message_id"]


def test_a_question_expires_once_asked_past_its_time_and_never_before_its_jobs_whole_time(store: Store) -> None:
    now = utcnow()
    asked_long_ago = _new_job(store, 301, state=ASKING)
    store.update_job(asked_long_ago, ask_message_id=9, next_try_at=now - timedelta(seconds=1))
    not_yet = _new_job(store, 302, state=ASKING)
    store.update_job(not_yet, ask_message_id=10, next_try_at=now + timedelta(hours=1))
    never_asked = _new_job(store, 303, state=ASKING)  # its question a crash kept from being sent
    answered = _new_job(store, 304, state=QUEUED)
    store.update_job(answered, ask_message_id=11, next_try_at=now - timedelta(hours=1))
    assert [j.id for j in store.expired_questions(now, now + timedelta(seconds=1))] == [asked_long_ago]
    # A question asked by a version that set no expiry (next_try_at: its creation) waits its whole time.
    assert store.expired_questions(now, now - timedelta(hours=1)) == []
    assert never_asked and not_yet
