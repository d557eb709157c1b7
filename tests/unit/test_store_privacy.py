"""Forgetting a client (unlink) and the retention purge, on SQLite and on PostgreSQL (skipped when
absent) through the fixtures of test_store."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from syncd.clock import utcnow
from syncd.store import Store
from syncd.store.inbound_repo import ASKING, DONE, QUEUED, REFUSED, UNSURE
from syncd.store.privacy_repo import BLANK_CONTENT, BLANK_PAYLOAD, CANCELLED
from syncd.store.schema import dialogs, inbox_messages, links, outbox
from tests.unit import test_store as _store_tests

db_url = _store_tests.db_url
store = _store_tests.store
_link = _store_tests._link
OLD = utcnow() - timedelta(days=100)


def _message(store: Store, msg: int, *, user: int = 5, text: str = "мой пароль 12345") -> int:
    row = store.record_message(tg_chat_id=user, tg_message_id=msg, tg_user_id=user, grouped_id=None,
                               reply_to_msg_id=None, sent_at=OLD, content=f'{{"typed": "{text}"}}',
                               media='{"x": 1}', received_at=OLD)
    assert row is not None
    return row


def _job(store: Store, row: int, *, user: int = 5, state: str = QUEUED) -> int:
    job = store.create_job([row], tg_user_id=user, tg_chat_id=user, state=state, action="comment",
                           fingerprint="f" * 64, sent_at=OLD)
    assert job is not None
    return job


def _delivery(store: Store, key: str, *, chat: int = 5) -> int:
    store.add_outbox([store.outbox_row(dedupe_key=key, kind="telegram", payload='{"text": "staff"}',
                                       message_count=1, tg_chat_id=chat, okdesk_issue_id=1)])
    with store.engine.connect() as conn:
        return conn.execute(sa.select(outbox.c.id).where(outbox.c.dedupe_key == key)).scalar_one()


def _rows(store: Store, table: sa.Table) -> list[sa.Row]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


def test_unlink_forgets_the_client_at_once_and_leaves_others_alone(store: Store) -> None:
    _link(store, 5)
    _link(store, 6, contact=8)
    store.set_dialog(5, "awaiting_comment", {"issue_id": 1})
    queued = _job(store, _message(store, 1))
    asking = _job(store, _message(store, 2), state=ASKING)
    arriving = _message(store, 3)  # an album still arriving: no job yet
    others = _job(store, _message(store, 1, user=6), user=6)
    pending = _delivery(store, "c:1:5")
    other_pending = _delivery(store, "c:1:6", chat=6)
    assert store.start_rating(41, tg_user_id=5, okdesk_contact_id=7, rate="good")  # waiting for its answer
    store.record_rating(42, tg_user_id=5, okdesk_contact_id=7, rate="bad")
    store.record_rating(43, tg_user_id=6, okdesk_contact_id=8, rate="normal")

    forgotten = store.unlink(5)

    assert forgotten is not None and forgotten.jobs_refused == 2 and forgotten.deliveries == 1
    assert store.get_link(5) is None and store.get_dialog(5) is None
    assert store.get_link(6) is not None
    assert store.get_job(queued).state == REFUSED and store.get_job(asking).state == REFUSED
    assert store.get_job(others).state == QUEUED
    mine = [r for r in _rows(store, inbox_messages) if r.tg_user_id == 5]
    assert len(mine) == 3 and all(r.content == BLANK_CONTENT and r.media is None for r in mine)
    assert ["12345" in r.content for r in _rows(store, inbox_messages) if r.tg_user_id == 6] == [True]
    assert store.message_row(arriving).job_id == 0  # a restart will not take it up
    assert store.record_message(tg_chat_id=5, tg_message_id=1, tg_user_id=5, grouped_id=None, reply_to_msg_id=None,
                                sent_at=OLD, content="{}", media=None) is None  # the key still dedupes
    assert store.get_outbox(pending).state == CANCELLED and store.get_outbox(pending).payload == BLANK_PAYLOAD
    assert store.get_outbox(other_pending).state == "pending"
    # Okdesk keeps the ratings themselves; which Telegram user gave them, and one still unconfirmed, go.
    assert (store.get_rating(41), store.get_rating(42)) == (None, None)
    assert store.get_rating(43).rate == "normal"
    assert store.unlink(5) is None


def test_a_delivery_cancelled_in_flight_stays_cancelled(store: Store) -> None:
    _link(store, 5)
    item = _delivery(store, "c:1:5")
    store.unlink(5)
    store.record_step(item, 1, [77], tg_chat_id=5, okdesk_issue_id=1, okdesk_comment_id=None, done=True)
    store.record_failure(item, error="x", next_try_at=utcnow(), budget_spent=1.0, parked=True)
    assert store.get_outbox(item).state == CANCELLED
    assert store.issue_for_message(5, 77) is None


def test_purge_blanks_old_texts_and_phones_keeps_keys_and_recent_data(store: Store) -> None:
    _link(store, 5)
    with store.engine.begin() as conn:
        conn.execute(sa.update(links).where(links.c.tg_user_id == 5).values(linked_at=OLD))
        conn.execute(sa.insert(dialogs).values(tg_user_id=9, state="awaiting_name", data='{"phone": "7912"}',
                                               updated_at=OLD))
    _link(store, 6, contact=8)  # linked now: its phone stays
    store.set_dialog(6, "awaiting_comment", {})
    done_job = _job(store, _message(store, 1))
    store.update_job(done_job, state=DONE)
    waiting_job = _job(store, _message(store, 2), state=UNSURE)  # still needs its text
    parked_job = _job(store, _message(store, 6), state="failed")  # `syncd retry` may send it yet
    recent = store.record_message(tg_chat_id=5, tg_message_id=3, tg_user_id=5, grouped_id=None, reply_to_msg_id=None,
                                  sent_at=utcnow(), content='{"typed": "new"}', media=None)
    assert recent is not None
    store.update_job(_job(store, recent), state=DONE)  # finished, but recent: kept
    delivered = _delivery(store, "c:1:5")
    store.mark_done(delivered)
    with store.engine.begin() as conn:
        conn.execute(sa.update(outbox).where(outbox.c.id == delivered).values(done_at=OLD))
    waiting = _delivery(store, "c:2:5")

    purged = store.purge_personal_data(utcnow() - timedelta(days=90))

    assert (purged.messages, purged.payloads, purged.phones, purged.dialogs) == (1, 1, 1, 1)
    by_msg = {r.tg_message_id: r for r in _rows(store, inbox_messages)}
    assert by_msg[1].content == BLANK_CONTENT and by_msg[1].media is None and by_msg[1].job_id == done_job
    assert "12345" in by_msg[2].content and by_msg[2].job_id == waiting_job
    assert "12345" in by_msg[6].content and by_msg[6].job_id == parked_job
    assert "new" in by_msg[3].content
    assert store.get_outbox(delivered).payload == BLANK_PAYLOAD
    assert "staff" in store.get_outbox(waiting).payload
    assert store.get_link(5).phone is None and store.get_link(5).okdesk_contact_id == 7
    assert store.get_link(6).phone == "+79123456789"
    assert store.get_dialog(9) is None and store.get_dialog(6) is not None
    again = store.purge_personal_data(utcnow() - timedelta(days=90))
    assert (again.messages, again.payloads, again.phones, again.dialogs) == (0, 0, 0, 0)


def test_a_message_handled_without_a_job_keeps_only_its_key(store: Store) -> None:
    """A command or a linking step (the shared contact holds the phone): nothing but the key is kept."""
    row = store.record_message(tg_chat_id=5, tg_message_id=4, tg_user_id=5, grouped_id=None, reply_to_msg_id=None,
                               sent_at=utcnow(), content='{"extra_lines": ["Контакт: +79123456789"]}', media="AAAA")
    assert row is not None
    store.mark_handled(row)
    (kept,) = [r for r in _rows(store, inbox_messages) if r.tg_message_id == 4]
    assert (kept.job_id, kept.content, kept.media) == (0, BLANK_CONTENT, None)
    assert store.record_message(tg_chat_id=5, tg_message_id=4, tg_user_id=5, grouped_id=None, reply_to_msg_id=None,
                                sent_at=utcnow(), content="{}", media=None) is None  # still recognised
