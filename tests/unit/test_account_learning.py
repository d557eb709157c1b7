"""What the daemon learns of the Okdesk account (syncd.sync.account): the decisions and their words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.sync.account import (
    DATE_ONLY,
    HONOURED,
    IGNORED,
    NO,
    UNKNOWN,
    YES,
    BumpVerdict,
    UpdatedSince,
    bump_observed,
    bump_words,
    updated_since_learned,
    updated_since_words,
)

T = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
DAY = datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)


def see(verdict: BumpVerdict, issue: int, *, comment_after_update: float, created_before: float = 3600,
        need: int = 3) -> BumpVerdict:
    updated = T
    return bump_observed(verdict, issue_id=issue, created_at=updated - timedelta(seconds=created_before),
                         updated_at=updated, comments_last_at=updated + timedelta(seconds=comment_after_update),
                         need=need)


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


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 30), st.floats(-600, 600), st.floats(0, 10_000)), max_size=40))
def test_the_verdict_follows_its_evidence(looks: list[tuple[int, float, float]]) -> None:
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
