"""What `syncd status` and `syncd retry` read and change in the store, on SQLite and on PostgreSQL
(127.0.0.1:5432; skipped with a reason when absent) through the fixtures of test_store."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from syncd.clock import utcnow
from syncd.health import Health
from syncd.logs import register_secret
from syncd.store import SchemaError, Store
from syncd.store.db import open_existing
from syncd.store.inbound_repo import ASKING, DONE, QUEUED, UNSURE
from syncd.store.schema import inbound_jobs, outbox
from syncd.store.states import LAST_ERROR_KEY
from syncd.store.status_repo import Backlog
from tests.unit import test_store as _store_tests

# The same fixtures as test_store: every test here runs on both databases.
db_url = _store_tests.db_url
store = _store_tests.store
_link = _store_tests._link


def _outbox(store: Store, key: str, *, chat: int = 5, kind: str = "telegram", age: float = 0.0,
            **values: Any) -> int:
    row = store.outbox_row(dedupe_key=key, kind=kind, payload=json.dumps({"what": "comment", "steps": []}),
                           message_count=2, tg_chat_id=chat, okdesk_issue_id=40)
    row["created_at"] = utcnow() - timedelta(seconds=age)
    row.update(values)
    store.add_outbox([row])
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(outbox.c.id).where(outbox.c.dedupe_key == key)).scalar_one())


def _job(store: Store, state: str, *, user: int = 5, age: float = 0.0, **values: Any) -> int:
    now = utcnow()
    row: dict[str, Any] = dict(
        tg_user_id=user, tg_chat_id=user, state=state, action="comment", okdesk_issue_id=40, fingerprint="f" * 64,
        sent_at=now, attempts=3, next_try_at=now + timedelta(hours=1), budget_spent=99.0, dropped_files="[]",
        created_at=now - timedelta(seconds=age))
    row.update(values)
    with store.engine.begin() as conn:
        return int(conn.execute(sa.insert(inbound_jobs).values(**row)).inserted_primary_key[0])


def _outbox_row(store: Store, outbox_id: int) -> Any:
    return store.get_outbox(outbox_id)


def test_counts_cover_clients_issues_and_both_queues_with_the_oldest(store: Store) -> None:
    assert store.status_counts().outbox_failed == Backlog()
    _link(store, 5)
    _link(store, 6)
    store.set_blocked(6, utcnow())
    store.follow_issue(dict(okdesk_issue_id=40, okdesk_contact_id=7, title="t", followed_at=utcnow()))
    _outbox(store, "p1", age=300)
    _outbox(store, "p2", age=10)
    _outbox(store, "f1", age=7200, state="failed")
    _outbox(store, "d1", age=9000, state="done")
    _outbox(store, "n1", kind="okdesk_notice", age=20)  # staff notices wait in the same outbox
    _job(store, QUEUED, age=50)
    _job(store, UNSURE, age=5)
    _job(store, ASKING, age=600)
    _job(store, "failed", age=120)
    _job(store, "failed", age=60)
    _job(store, DONE, age=10_000)
    _job(store, "refused", age=10_000)

    counts = store.status_counts()

    assert (counts.linked_clients, counts.blocked_clients, counts.followed_issues) == (2, 1, 1)
    now = utcnow()
    assert counts.outbox_waiting.count == 3
    assert 299 <= (now - counts.outbox_waiting.oldest).total_seconds() < 310
    assert counts.outbox_failed.count == 1
    assert 7199 <= (now - counts.outbox_failed.oldest).total_seconds() < 7210
    assert (counts.inbound_waiting.count, counts.inbound_asking) == (3, 1)
    assert 599 <= (now - counts.inbound_waiting.oldest).total_seconds() < 610
    assert counts.inbound_failed.count == 2
    assert 119 <= (now - counts.inbound_failed.oldest).total_seconds() < 130


def test_every_parked_item_is_listed_with_a_ref_that_names_its_queue(store: Store) -> None:
    o = _outbox(store, "f1", age=60, state="failed", last_error="MESSAGE_EMPTY")
    notice = _outbox(store, "n1", kind="okdesk_notice", chat=None, age=30, state="failed", last_error="HTTP 403")
    _outbox(store, "p1", age=500)
    comment = _job(store, "failed", age=90, last_error="comment: refused (HTTP 422)")
    issue = _job(store, "failed", age=10, action="create", okdesk_issue_id=None)
    _job(store, "refused", age=100)

    items = store.failed_items()

    assert [i.ref for i in items] == [f"i{comment}", f"o{o}", f"o{notice}", f"i{issue}"]  # the oldest first
    by_ref = {i.ref: i for i in items}
    assert by_ref[f"o{o}"].kind == "to client: comment" and by_ref[f"o{o}"].last_error == "MESSAGE_EMPTY"
    assert (by_ref[f"o{o}"].tg_chat_id, by_ref[f"o{o}"].okdesk_issue_id) == (5, 40)
    assert by_ref[f"o{notice}"].kind == "staff notice" and by_ref[f"o{notice}"].tg_chat_id is None
    assert by_ref[f"i{comment}"].kind == "from client: comment"
    assert by_ref[f"i{issue}"].kind == "from client: new issue" and by_ref[f"i{issue}"].okdesk_issue_id is None


def test_requeued_outbox_items_wait_again_with_a_fresh_budget_and_the_same_random_ids(store: Store) -> None:
    _link(store, 5)
    parked = _outbox(store, "f1", age=60, state="failed", attempts=9, budget_spent=86400.0, progress=1,
                     last_error="outcome unknown: posting", last_attempt_at=utcnow(),
                     next_try_at=utcnow() + timedelta(hours=2))
    other = _outbox(store, "f2", chat=6, state="failed")
    done = _outbox(store, "d1", chat=7, state="done")
    before = _outbox_row(store, parked)
    assert store.chat_heads("telegram") == []

    assert store.requeue_outbox([parked, done, 12345]) == [parked]

    row = _outbox_row(store, parked)
    assert (row.state, row.budget_spent, row.attempts, row.last_attempt_at) == ("pending", 0.0, 0, None)
    assert abs((row.next_try_at - utcnow()).total_seconds()) < 5
    # What makes a resend exactly-once, and a notice search before it posts, is kept.
    assert (row.random_ids, row.progress, row.last_error) == (before.random_ids, 1, "outcome unknown: posting")
    assert [h.id for h in store.chat_heads("telegram")] == [parked]  # the sender takes it up
    assert _outbox_row(store, other).state == "failed"
    assert _outbox_row(store, done).state == "done"
    assert store.requeue_outbox([parked]) == []  # not failed any more: nothing to do
    assert store.requeue_outbox() == [other]


def test_requeued_inbound_jobs_search_before_posting_again_when_they_ever_posted(store: Store) -> None:
    never = _job(store, "failed", user=5, last_error="x")
    posted = _job(store, "failed", user=6, first_attempt_at=utcnow() - timedelta(hours=1))
    refused = _job(store, "refused", user=7)

    assert store.requeue_inbound() == sorted([never, posted])

    jobs = {j: store.get_job(j) for j in (never, posted, refused)}
    # A job that reached its POST may have created the comment: "unsure" makes the worker search first.
    assert (jobs[never].state, jobs[posted].state, jobs[refused].state) == (QUEUED, UNSURE, "refused")
    for j in (never, posted):
        assert (jobs[j].budget_spent, jobs[j].attempts) == (0.0, 0)
        assert abs((jobs[j].next_try_at - utcnow()).total_seconds()) < 5
    assert jobs[posted].first_attempt_at is not None  # the search's lower bound stays
    assert sorted(j.id for j in store.due_jobs(utcnow() + timedelta(seconds=1))) == sorted([never, posted])


def test_inbound_jobs_are_requeued_by_id_only(store: Store) -> None:
    a = _job(store, "failed", user=5)
    b = _job(store, "failed", user=6)
    assert store.requeue_inbound([b, 999]) == [b]
    assert store.get_job(a).state == "failed"
    assert store.item_states([1, 999], [a, b, 999]) == {f"i{a}": "failed", f"i{b}": QUEUED}


def test_the_latest_error_of_any_service_is_saved_once_and_redacted(store: Store) -> None:
    health = Health()
    assert health.save_latest_error(store) is False
    assert store.get_value(LAST_ERROR_KEY) is None
    register_secret("status-test-secret-value")
    health.error("okdesk", "HTTP 503")
    health.error("telegram", "MESSAGE_EMPTY near status-test-secret-value")
    assert health.save_latest_error(store) is True
    saved = json.loads(store.get_value(LAST_ERROR_KEY) or "")
    assert (saved["service"], saved["message"]) == ("telegram", "MESSAGE_EMPTY near ***")
    assert health.save_latest_error(store) is False  # nothing new: no write
    health.error("okdesk", "HTTP 502")
    assert health.save_latest_error(store) is True
    assert json.loads(store.get_value(LAST_ERROR_KEY) or "")["message"] == "HTTP 502"


def test_a_missing_sqlite_database_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "syncd.sqlite3"
    with pytest.raises(SchemaError, match="no database at"):
        open_existing(f"sqlite:///{path}")
    assert not path.parent.exists()


def test_an_existing_database_is_opened_as_it_is(store: Store, db_url: str) -> None:
    _link(store, 5)
    engine = open_existing(db_url)
    try:
        assert Store(engine).status_counts().linked_clients == 1
    finally:
        engine.dispose()


def test_a_requeued_staff_notice_looks_for_its_comment_first_and_unsure_items_count_as_waiting(store: Store) -> None:
    from syncd.store.states import UNSURE

    parked = _outbox(store, "n1", kind="okdesk_notice", state="failed", attempts=9, budget_spent=86400.0)
    unsure = _outbox(store, "n2", kind="okdesk_notice", state=UNSURE, age=30)
    telegram = _outbox(store, "t1", chat=6, state="failed")
    assert store.status_counts().outbox_waiting.count == 1

    assert store.requeue_outbox() == [parked, telegram]

    # Every try of a notice reached its POST (or the search before it): it may be in Okdesk already.
    assert (_outbox_row(store, parked).state, _outbox_row(store, telegram).state) == (UNSURE, "pending")
    counts = store.status_counts()
    assert counts.outbox_waiting.count == 3 and counts.outbox_failed.count == 0
    assert counts.outbox_waiting.oldest == _outbox_row(store, unsure).created_at
    assert [r.id for r in store.due_items("okdesk_notice", utcnow())] == [parked, unsure]
