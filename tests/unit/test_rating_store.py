"""The write-ahead rating record (RatingStore), on SQLite and on PostgreSQL (skipped when absent)
through the fixtures of test_store."""

from __future__ import annotations

from syncd.store import Store
from syncd.store.rating_repo import RATING_DONE, UNSURE
from tests.unit import test_store as _store_tests

db_url = _store_tests.db_url
store = _store_tests.store


def _start(store: Store, issue_id: int = 10, rate: str = "good") -> bool:
    return store.start_rating(issue_id, tg_user_id=5, okdesk_contact_id=7, rate=rate)


def test_one_row_per_issue_whatever_is_tried_twice(store: Store) -> None:
    assert _start(store)
    assert not _start(store, rate="bad")  # the PRIMARY KEY: a second tap, a resend
    row = store.get_rating(10)
    assert row is not None
    assert (row.rate, row.state, row.tg_user_id, row.okdesk_contact_id, row.done_at) == ("good", UNSURE,
                                                                                       5, 7, None)
    assert [r.okdesk_issue_id for r in store.ratings_unsure()] == [10]
    assert _start(store, issue_id=11)  # other issues are other rows


def test_done_once_and_whoever_finishes_it_knows(store: Store) -> None:
    _start(store)
    assert store.finish_rating(10, "normal")  # the rate Okdesk shows wins
    assert not store.finish_rating(10, "normal")  # a second resolver tells nobody again
    row = store.get_rating(10)
    assert row is not None and (row.rate, row.state) == ("normal", RATING_DONE) and row.done_at is not None
    assert store.ratings_unsure() == []
    assert not store.drop_rating(10)  # a done rating is never dropped
    assert not _start(store, rate="bad")
    assert not store.finish_rating(99, "bad")  # no row: nothing to finish


def test_a_refusal_drops_the_posting_row_so_the_client_may_choose_again(store: Store) -> None:
    _start(store)
    assert store.drop_rating(10)
    assert store.get_rating(10) is None
    assert _start(store, rate="bad")


def test_a_rating_seen_in_okdesk_is_recorded_as_done_over_any_row(store: Store) -> None:
    store.record_rating(12, tg_user_id=5, okdesk_contact_id=7, rate="bad")
    _start(store, issue_id=13)
    store.record_rating(13, tg_user_id=5, okdesk_contact_id=7, rate="good")
    rows = {i: store.get_rating(i) for i in (12, 13)}
    assert {i: (r.rate, r.state) for i, r in rows.items() if r} == {12: ("bad", RATING_DONE),
                                                                   13: ("good", RATING_DONE)}
    assert store.ratings_unsure() == []
