"""Which notices a client's episode of being unreachable left, and the follow-up once they are back:
once per episode, whoever asks twice (a crash between queueing it and clearing the mark), on SQLite and
PostgreSQL (127.0.0.1:5432; skipped with a reason when absent) through the fixtures of test_store."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

from sqlalchemy import select

from syncd.clock import utcnow
from syncd.relay.staff_notices import NoticeQueue
from syncd.store import Store
from syncd.store.rows import OutboxItem, one
from syncd.store.schema import outbox
from syncd.store.states import BLANK_PAYLOAD, OUTBOX_NOTICE
from tests.unit import test_store as _store_tests

# The same fixtures as test_store: every test here runs on both databases.
db_url = _store_tests.db_url
store = _store_tests.store
_link = _store_tests._link
MSK = timezone(timedelta(hours=3))


def _delivery(store: Store, chat: int, issue_id: int, key: str) -> None:
    store.add_outbox([store.outbox_row(dedupe_key=key, kind="telegram", payload=json.dumps({"what": "comment"}),
                                       message_count=1, tg_chat_id=chat, okdesk_issue_id=issue_id)])


def _block(store: Store, queue: NoticeQueue, chat: int, issue_id: int) -> None:
    """What the sender does when Telegram says the client blocked the bot."""
    _delivery(store, chat, issue_id, f"comment:{issue_id}:chat:{chat}")
    (row,) = [r for r in store.chat_heads("telegram") if r.tg_chat_id == chat]
    now = utcnow()
    store.set_blocked(chat, now)
    queue.unreachable(row, "blocked", now)


def _item(store: Store, key: str) -> OutboxItem:
    with store.engine.connect() as conn:
        row = one(OutboxItem, conn.execute(select(outbox).where(outbox.c.dedupe_key == key)).first())
    assert row is not None
    return row


def _notices(store: Store, prefix: str) -> list[str]:
    return [r.dedupe_key for r in store.notices_keyed(prefix, "")]


def test_the_follow_up_is_queued_once_per_episode_and_only_for_its_client(store: Store) -> None:
    queue = NoticeQueue(store, employee_id=3, account_tz=lambda: MSK)
    _link(store, 5)
    _link(store, 55, contact=8)
    _block(store, queue, 5, 40)
    _block(store, queue, 55, 41)
    link = store.get_link(5)
    assert link is not None and link.blocked_at is not None
    assert queue.reachable_again(link) == 1
    assert queue.reachable_again(link) == 1  # asked again (a crash before the mark was cleared): the same item
    (key,) = _notices(store, "notice:reachable:")
    assert key.startswith("notice:reachable:5:40:")  # not chat 55's, whose id begins the same
    (row,) = store.notices_keyed("notice:reachable:5:", "")
    text = json.loads(row.payload)["text"]
    assert text.startswith("Клиент Петров Иван снова на связи") and row.okdesk_issue_id == 40
    # The mark cleared, the next message is no news; a new episode is.
    store.touch_link(5)
    link = store.get_link(5)
    assert link is not None and queue.reachable_again(link) == 0
    (row,) = [r for r in store.chat_heads("telegram") if r.tg_chat_id == 5]  # still waiting, reachable now
    later = utcnow() + timedelta(seconds=2)
    store.set_blocked(5, later)
    queue.unreachable(row, "blocked", later)
    link = store.get_link(5)
    assert link is not None and queue.reachable_again(link) == 1
    assert len(_notices(store, "notice:reachable:5:")) == 2 and len(_notices(store, "notice:blocked:5:")) == 2


def test_a_second_mark_keeps_the_episode_begun_by_the_first_and_each_notice_of_it_is_followed_up(
        store: Store) -> None:
    queue = NoticeQueue(store, employee_id=3, account_tz=lambda: MSK)
    _link(store, 5)
    first = utcnow()
    assert store.set_blocked(5, first) is not None
    _delivery(store, 5, 40, "comment:40:chat:5")
    row = _item(store, "comment:40:chat:5")
    queue.unreachable(row, "blocked", first)
    # Marked again within the episode (another delivery refused a moment later): the start stays the first.
    later = first + timedelta(seconds=5)
    since = store.set_blocked(5, later)
    link = store.get_link(5)
    assert link is not None and link.blocked_at == since
    assert since is not None and abs((since - first).total_seconds()) < 1
    _delivery(store, 5, 41, "comment:41:chat:5")
    queue.unreachable(_item(store, "comment:41:chat:5"), "blocked", since)
    # Back: both notices of the episode get their follow-up.
    assert queue.reachable_again(link) == 2
    assert sorted(k.split(":")[3] for k in _notices(store, "notice:reachable:5:")) == ["40", "41"]


def test_touch_link_reports_the_mark_it_cleared(store: Store) -> None:
    _link(store, 5)
    assert store.touch_link(5) is None  # reachable: nothing cleared
    at = utcnow()
    store.set_blocked(5, at)
    cleared = store.touch_link(5, access_hash=43)
    assert cleared is not None and abs((cleared - at).total_seconds()) < 1
    link = store.get_link(5)
    assert link is not None and link.blocked_at is None and link.tg_access_hash == 43
    assert store.touch_link(5) is None
    assert store.touch_link(99) is None  # no such client
    assert store.set_blocked(99, at) is None


def test_the_follow_up_names_when_the_episode_began_even_once_the_notice_was_blanked(store: Store) -> None:
    queue = NoticeQueue(store, employee_id=3, account_tz=lambda: MSK)
    _link(store, 5)
    _block(store, queue, 5, 40)
    (blocked,) = store.notices_keyed("notice:blocked:5:", "")
    with store.engine.begin() as conn:  # the personal-data bound blanks a finished notice's words
        conn.execute(outbox.update().where(outbox.c.id == blocked.id).values(payload=BLANK_PAYLOAD))
    link = store.get_link(5)
    assert link is not None and link.blocked_at is not None
    assert queue.reachable_again(link) == 1
    (row,) = store.notices_keyed("notice:reachable:", "")
    assert link.blocked_at.astimezone(MSK).strftime("%d.%m.%Y %H:%M") in json.loads(row.payload)["text"]


def test_without_an_employee_to_sign_them_there_are_no_notices_to_follow_up(store: Store) -> None:
    queue = NoticeQueue(store, employee_id=None)
    _link(store, 5)
    _block(store, queue, 5, 40)
    link = store.get_link(5)
    assert link is not None and link.blocked_at is not None
    assert queue.reachable_again(link) == 0
    assert store.notices_keyed("notice:", "") == []
    assert all(r.kind != OUTBOX_NOTICE for r in store.due_items("telegram", utcnow() + timedelta(days=1)))
