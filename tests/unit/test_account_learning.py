"""What the daemon learns of the Okdesk account (syncd.sync.account): the decisions and their words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syncd.sync.account import (
    DATE_ONLY,
    HONOURED,
    IGNORED,
    MISREAD,
    NO,
    UNKNOWN,
    YES,
    BumpVerdict,
    PreviousLook,
    UpdatedSince,
    bump_observed,
    bump_words,
    updated_since_learned,
    updated_since_words,
)

T = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
DAY = datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)


EARLIER = PreviousLook("inwork", 2, T - timedelta(days=1))  # the daemon's last look at the issue


def see(verdict: BumpVerdict, issue: int, *, comment_after_update: float, created_before: float = 3600,
        need: int = 3, previous: PreviousLook | None = EARLIER, status: str = "inwork", comments: int = 3,
        now: datetime | None = None) -> BumpVerdict:
    updated = T
    return bump_observed(verdict, issue_id=issue, created_at=updated - timedelta(seconds=created_before),
                         updated_at=updated, comments_last_at=updated + timedelta(seconds=comment_after_update),
                         need=need, status_code=status, comments_count=comments, previous=previous, now=now)


def test_a_comment_newer_than_its_issue_proves_no_for_good() -> None:
    v = see(BumpVerdict(), 7, comment_after_update=0)
    v = see(v, 8, comment_after_update=0.4)
    assert (v.verdict, v.supported_by) == (UNKNOWN, 2)
    assert bump_words(v) == "not known yet (seen on 2 issues so far)"
    v = see(v, 123, comment_after_update=7300)
    assert (v.verdict, v.proof_issue_id, v.proof_seconds) == (NO, 123, 7300.0)
    assert bump_words(v) == "no: issue 123 has a comment 2 h newer than its updated_at"
    assert see(see(v, 9, comment_after_update=0), 10, comment_after_update=0) == v  # nothing takes it back


def test_yes_needs_that_many_different_issues_each_commented_well_after_its_creation() -> None:
    v = BumpVerdict()
    v = see(v, 1, comment_after_update=0)
    v = see(v, 1, comment_after_update=0.5)  # the same issue again: no new evidence
    v = see(v, 2, comment_after_update=0, created_before=20)  # commented at its creation: may have come with it
    v = see(v, 3, comment_after_update=-5)  # updated after its comment: says nothing
    assert (v.verdict, v.support) == (UNKNOWN, (1,))
    v = see(see(v, 4, comment_after_update=-0.9), 5, comment_after_update=0.2)
    assert (v.verdict, v.support, bump_words(v)) == (YES, (1, 4, 5), "yes (seen on 3 issues)")
    # ... until an issue shows otherwise.
    assert see(v, 6, comment_after_update=90).verdict == NO
    assert BumpVerdict.from_json(v.to_json()) == v and BumpVerdict.from_json("garbage") == BumpVerdict()


def test_only_a_new_comment_on_an_issue_seen_before_supports_yes() -> None:
    """A status change made with its required comment moves updated_at to the comment's moment whether
    or not comments bump it: only an issue whose one change since the daemon's last look is a new
    comment says "yes"."""
    assert see(BumpVerdict(), 1, comment_after_update=0, previous=None) == BumpVerdict()  # never seen before
    assert see(BumpVerdict(), 1, comment_after_update=0, status="completed") == BumpVerdict()  # status too
    assert see(BumpVerdict(), 1, comment_after_update=0, comments=2) == BumpVerdict()  # no new comment
    same_comment = PreviousLook("inwork", None, T)
    assert see(BumpVerdict(), 1, comment_after_update=0, previous=same_comment, comments=None) == BumpVerdict()
    unknown_counts = PreviousLook("inwork", None, None)
    assert see(BumpVerdict(), 1, comment_after_update=0, previous=unknown_counts, comments=None).supported_by == 1
    # Any look proves "no", seen before or not.
    assert see(BumpVerdict(), 2, comment_after_update=30, previous=None).verdict == NO


def test_a_comment_dated_in_the_future_says_nothing() -> None:
    assert see(BumpVerdict(), 1, comment_after_update=3600, now=T + timedelta(seconds=30)) == BumpVerdict()
    assert see(BumpVerdict(), 1, comment_after_update=3600, now=T + timedelta(hours=1)).verdict == NO
    assert see(BumpVerdict(), 1, comment_after_update=0, now=T - timedelta(minutes=5)) == BumpVerdict()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.floats(-600, 600), st.floats(0, 10_000)), max_size=40))
@example(looks=[(1, 1.000000001, 0.0)])
def test_the_verdict_follows_its_evidence(looks: list[tuple[int, float, float]]) -> None:
    # Okdesk's times have microseconds at best: the model judges the gap as a datetime holds it
    # (1.000000001 s is 1.0 s, the same moment).
    looks = [(i, timedelta(seconds=after).total_seconds(), created) for i, after, created in looks]
    v = BumpVerdict()
    for issue, after, created in looks:
        v = see(v, issue, comment_after_update=after, created_before=created, need=3)
    proofs = [after for _i, after, _c in looks if after > 1.0]
    support = {i for i, after, created in looks if abs(after) <= 1.0 and after + created >= 60}
    if proofs:
        assert v.verdict == NO and v.proof_seconds == round(proofs[0], 1)
    else:
        assert v.proof_issue_id is None
        # Before a proof, every supporting issue counts once (after a proof nothing more is counted).
        assert v.supported_by == len(support)
        assert v.verdict == (YES if len(support) >= 3 else UNKNOWN)


def test_updated_since_is_learned_from_what_comes_back() -> None:
    since = T
    assert updated_since_words(UpdatedSince()) == "not known yet"
    # Something from earlier that day came back: read as a date.
    today = updated_since_learned(UpdatedSince(), since, DAY, (5, T - timedelta(hours=2)), None)
    assert (today.mode, today.issue_id, today.trusted) == (DATE_ONLY, 5, False)
    assert updated_since_words(today) == (
        "read as a date only (issue 5, updated at 2026-12-07T10:00:00+00:00, was listed for updated_since "
        "2026-12-07T12:00:00+00:00): each poll reads the list newest first and stops there")
    # Then something older than that day: ignored, for good.
    ignored = updated_since_learned(today, since, DAY, (6, T - timedelta(days=40)), None)
    assert (ignored.mode, ignored.issue_id) == (IGNORED, 6)
    assert updated_since_learned(ignored, since, DAY, (7, T - timedelta(hours=1)), None) == ignored
    assert updated_since_learned(ignored, since, DAY, None, (8, T - timedelta(hours=3))) == ignored
    # An issue updated earlier that day that did not come back: honoured.
    honoured = updated_since_learned(UpdatedSince(), since, DAY, None, (8, T - timedelta(hours=3)))
    assert (honoured.mode, honoured.trusted) == (HONOURED, True)
    assert updated_since_words(honoured) == (
        "honoured (issue 8, updated at 2026-12-07T09:00:00+00:00, was not listed for updated_since "
        "2026-12-07T12:00:00+00:00)")
    # ... unless something older comes back later after all.
    assert updated_since_learned(honoured, since, DAY, (9, T - timedelta(days=3)), None).mode == IGNORED
    assert UpdatedSince.from_json(honoured.to_json()) == honoured and UpdatedSince.from_json("{") == UpdatedSince()


def test_a_filter_that_hides_the_newest_issue_is_misread_for_good() -> None:
    missing = (11, T + timedelta(minutes=2))
    for known in (UpdatedSince(), updated_since_learned(UpdatedSince(), T, DAY, None, (8, T - timedelta(hours=3)))):
        misread = updated_since_learned(known, T, DAY, None, None, missing)
        assert (misread.mode, misread.issue_id, misread.trusted) == (MISREAD, 11, False)
    assert updated_since_words(misread) == (
        "misread (issue 11, updated at 2026-12-07T12:02:00+00:00, was not listed for updated_since "
        "2026-12-07T12:00:00+00:00): each poll reads the list newest first and stops there")
    # Nothing takes it back: not an issue of that day listed, not one that came back, not a witness.
    assert updated_since_learned(misread, T, DAY, (5, T - timedelta(hours=2)), None) == misread
    assert updated_since_learned(misread, T, DAY, (6, T - timedelta(days=9)), None) == misread
    assert updated_since_learned(misread, T, DAY, None, (8, T - timedelta(hours=3))) == misread
    # Once the filter is not trusted it is not sent: an ignored one is not "misread" later.
    ignored = updated_since_learned(UpdatedSince(), T, DAY, (6, T - timedelta(days=9)), None)
    assert updated_since_learned(ignored, T, DAY, None, None, missing) == ignored


# ---------------------------------------------------------------- edges


def test_an_issue_updated_exactly_at_the_accounts_midnight_is_of_that_day() -> None:
    at_midnight = updated_since_learned(UpdatedSince(), T, DAY, (5, DAY), None)
    assert at_midnight.mode == DATE_ONLY
    assert updated_since_learned(UpdatedSince(), T, DAY, (5, DAY - timedelta(seconds=1)), None).mode == IGNORED


def test_the_first_evidence_of_a_date_only_filter_stands() -> None:
    first = updated_since_learned(UpdatedSince(), T, DAY, (5, T - timedelta(hours=2)), None)
    assert updated_since_learned(first, T, DAY, (7, T - timedelta(hours=1)), None) == first


@pytest.fixture
def server_in_vladivostok(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "VLAT-10")  # POSIX: UTC+10, no tzdata needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_in_vladivostok")
def test_the_evidence_is_told_in_utc_whatever_the_servers_zone() -> None:
    msk = timezone(timedelta(hours=3))
    state = updated_since_learned(UpdatedSince(), T.astimezone(msk), DAY, None,
                                  (8, (T - timedelta(hours=3)).astimezone(msk)))
    assert updated_since_words(state) == (
        "honoured (issue 8, updated at 2026-12-07T09:00:00+00:00, was not listed for updated_since "
        "2026-12-07T12:00:00+00:00)")


def test_a_look_without_an_update_time_or_a_comment_time_says_nothing() -> None:
    for updated, last in ((None, T), (T, None), (None, None)):
        assert bump_observed(BumpVerdict(), issue_id=1, created_at=T - timedelta(days=1), updated_at=updated,
                             comments_last_at=last, need=1, status_code="inwork", comments_count=3,
                             previous=EARLIER) == BumpVerdict()


def test_a_comment_dated_exactly_the_slack_past_okdesks_now_is_still_believed() -> None:
    believed = see(BumpVerdict(), 1, comment_after_update=120, now=T + timedelta(seconds=60))
    assert (believed.verdict, believed.proof_issue_id, believed.proof_seconds) == (NO, 1, 120.0)
    assert see(BumpVerdict(), 1, comment_after_update=120, now=T + timedelta(seconds=59)) == BumpVerdict()


def test_a_comment_a_second_either_side_of_the_update_is_the_same_moment() -> None:
    for offset in (-1.0, 1.0, 0.0):
        v = see(BumpVerdict(), 1, comment_after_update=offset, need=1)
        assert (v.verdict, v.support, v.supported_by) == (YES, (1,), 1)
    assert see(BumpVerdict(), 1, comment_after_update=-1.5, need=1) == BumpVerdict()


def test_a_comment_a_minute_after_the_issues_creation_no_longer_may_have_come_with_it() -> None:
    assert see(BumpVerdict(), 1, comment_after_update=0, created_before=60, need=1).verdict == YES
    assert see(BumpVerdict(), 1, comment_after_update=0, created_before=59, need=1) == BumpVerdict()


def test_a_comment_count_not_known_on_either_look_does_not_stop_support() -> None:
    for before, now_count in ((None, 3), (2, None), (None, None)):
        previous = PreviousLook("inwork", before, T - timedelta(days=1))
        v = bump_observed(BumpVerdict(), issue_id=1, created_at=T - timedelta(days=1), updated_at=T,
                          comments_last_at=T, need=1, status_code="inwork", comments_count=now_count,
                          previous=previous)
        assert v.verdict == YES
    fewer = bump_observed(BumpVerdict(), issue_id=1, created_at=T - timedelta(days=1), updated_at=T,
                          comments_last_at=T, need=1, status_code="inwork", comments_count=2, previous=EARLIER)
    assert fewer == BumpVerdict()


@pytest.mark.parametrize(("seconds", "words"), [
    (1.4, "1 s"), (59.4, "59 s"), (59.6, "1 min"), (60, "1 min"), (120, "2 min"), (150, "2 min"),
    (3599, "59 min"), (3600, "1 h"), (7200, "2 h"), (86399, "23 h"), (86400, "1 d"), (129600, "1 d"),
    (172800, "2 d"),
])
def test_the_proof_of_no_tells_how_much_newer_in_whole_units(seconds: float, words: str) -> None:
    state = BumpVerdict(NO, proof_issue_id=5, proof_seconds=seconds)
    assert bump_words(state) == f"no: issue 5 has a comment {words} newer than its updated_at"
