"""A status change the daemon made, as the store keeps it (on SQLite and PostgreSQL): recorded before the
request, read back for the planner, forgotten in the same transaction as the plan that used it up, and
left alone by a plan that did not, or that rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from syncd.clock import utcnow
from syncd.relay import own_changes
from syncd.store import Store
from syncd.store.states import OWN_STATUS_CHANGE_KEY
from tests.unit.test_store import db_url, migrated_engine  # noqa: F401 - the databases, as a fixture


@pytest.fixture
def store(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:  # noqa: F811
    engine = migrated_engine(db_url, tmp_path_factory)
    yield Store(engine)
    engine.dispose()


def follow(store: Store, issue_id: int) -> None:
    store.follow_issue(dict(okdesk_issue_id=issue_id, okdesk_contact_id=7, title="t", status_code="completed",
                            okdesk_updated_at=None, comments_count=None, comments_last_at=None,
                            followed_at=utcnow(), baseline_done=True, last_fetched_at=None))


def test_recorded_read_and_forgotten_with_the_plan(store: Store) -> None:
    follow(store, 1)
    follow(store, 2)
    before = utcnow()
    own_changes.record(store, 1, "completed", "opened")
    own_changes.record(store, 2, "completed", "opened")
    own_changes.record(store, 3, None, "opened")  # nothing to match a transition against: not kept
    got = own_changes.recorded(store, 1)
    assert got is not None and (got.from_code, got.to_code) == ("completed", "opened")
    assert before - timedelta(seconds=1) <= got.at <= utcnow()
    assert own_changes.recorded(store, 3) is None
    assert own_changes.key(1) == OWN_STATUS_CHANGE_KEY.format(issue_id=1) and len(own_changes.key(2**53)) <= 100
    read = store.get_value(own_changes.key(1))
    assert read is not None
    store.apply_issue_plan(1, outbox_rows=[], seen_comment_ids=[], seen_attachment_ids=[],
                           followed_values={"status_code": "opened"}, forget_values={own_changes.key(1): read})
    assert own_changes.recorded(store, 1) is None
    assert own_changes.recorded(store, 2) is not None  # another issue's record stays


def test_a_record_made_after_the_plan_read_it_is_not_forgotten_with_it(store: Store) -> None:
    follow(store, 1)
    own_changes.record(store, 1, "completed", "opened")
    read = store.get_value(own_changes.key(1))
    assert read is not None
    # The client reopens again while the poll plans with what it read: the newer record must stay.
    store.set_value(own_changes.key(1), read.replace('"completed"', '"closed"'))
    store.apply_issue_plan(1, outbox_rows=[], seen_comment_ids=[], seen_attachment_ids=[],
                           followed_values={"status_code": "opened"}, forget_values={own_changes.key(1): read})
    got = own_changes.recorded(store, 1)
    assert got is not None and got.from_code == "closed"


def test_a_plan_that_rolls_back_keeps_the_record(store: Store) -> None:
    follow(store, 1)
    own_changes.record(store, 1, "completed", "opened")
    good = store.outbox_row(dedupe_key="a", kind="telegram", payload="{}", message_count=1, tg_chat_id=5)
    broken = dict(good, dedupe_key="b", kind=None)
    with pytest.raises(sa.exc.IntegrityError):
        store.apply_issue_plan(1, outbox_rows=[good, broken], seen_comment_ids=[], seen_attachment_ids=[],
                               followed_values={"status_code": "opened"},
                               forget_values={own_changes.key(1): store.get_value(own_changes.key(1)) or ""})
    assert own_changes.recorded(store, 1) is not None


def test_a_definite_refusal_forgets_and_an_unreadable_record_counts_as_none(store: Store) -> None:
    own_changes.record(store, 1, "completed", "opened")
    own_changes.forget(store, 1)
    assert own_changes.recorded(store, 1) is None
    store.set_value(own_changes.key(1), "not json")
    assert own_changes.recorded(store, 1) is None
