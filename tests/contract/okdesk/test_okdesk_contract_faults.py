"""The Okdesk contract (syncd/okdesk/port.py) under faults: an outage, a rate limit, a refused token, a
missing right, lost answers. The emulator's HTTP faults and the fake's fault switch must come to the
same error classes, statuses and waits (conftest.py ``side``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.okdesk.errors import (
    OkdeskForbidden,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTokenRefused,
    OkdeskTooLarge,
    OkdeskUnavailable,
)
from syncd.okdesk.models import UploadFile
from tests.contract.okdesk.conftest import Side, staff_issue


def test_an_outage_is_unavailable_and_writes_nothing(side: Side) -> None:
    contact, _, issue_id = staff_issue(side)
    with side.outage(503):
        for call in (lambda: side.okd.get_issue(issue_id), lambda: side.okd.list_issues(),
                     lambda: side.okd.create_comment(issue_id, content_html="x", author_id=contact,
                                                     author_type="contact", public=True)):
            with pytest.raises(OkdeskUnavailable) as caught:
                call()
            assert type(caught.value) is OkdeskUnavailable and caught.value.status == 503
    assert side.okd.get_issue(issue_id).comments_count == 2
    assert side.okd.request_outcomes()["server_error"] >= 3


def test_a_rate_limit_says_how_long_to_wait(side: Side) -> None:
    with side.rate_limited(7), pytest.raises(OkdeskRateLimited) as caught:
        side.okd.list_statuses()
    assert (caught.value.status, caught.value.retry_after) == (429, 7)
    assert side.okd.request_outcomes()["rate_limited"] == 1


def test_a_refused_token_and_a_missing_right(side: Side) -> None:
    with side.token_refused(), pytest.raises(OkdeskTokenRefused):
        side.okd.list_statuses()
    _, _, issue_id = staff_issue(side)
    side.options.denied_rights = {"comments.create"}
    with pytest.raises(OkdeskForbidden) as caught:
        side.okd.create_comment(issue_id, content_html="x", author_id=1, public=False)
    assert caught.value.status == 403


def test_a_lost_answer_to_a_write_is_outcome_unknown(side: Side) -> None:
    contact, _, issue_id = staff_issue(side)
    side.lose_answer("create_comment")
    with pytest.raises(OkdeskOutcomeUnknown):
        side.okd.create_comment(issue_id, content_html="x", author_id=contact, author_type="contact", public=True)
    assert side.okd.create_comment(issue_id, content_html="x", author_id=contact, author_type="contact",
                                   public=True).id


def test_a_write_done_but_its_answer_lost(side: Side) -> None:
    contact, _, issue_id = staff_issue(side)
    okd = side.lose_answer_after_doing("create_comment")
    with pytest.raises(OkdeskOutcomeUnknown):
        okd.create_comment(issue_id, content_html="<p>дошло?</p>", author_id=contact, author_type="contact",
                           public=True)
    # Done: the caller finds it before writing again (syncd's "search before retrying").
    assert side.okd.list_comments(issue_id)[-1].content_html == "<p>дошло?</p>"


def test_a_body_over_the_limit_is_too_large_before_anything_else(side: Side, tmp_path: Path) -> None:
    contact, _, issue_id = staff_issue(side)
    video = tmp_path / "video.mp4"
    video.write_bytes(b"v" * 50_000)
    side.options.max_request_bytes = 10_000
    side.options.denied_rights = {"comments.create"}  # judged after the size (nginx before the app)
    for issue in (issue_id, 999):
        with pytest.raises(OkdeskTooLarge) as caught:
            side.okd.create_comment(issue, content_html="видео", author_id=contact, author_type="contact",
                                    public=True, files=[UploadFile(video, "video.mp4")])
        assert caught.value.status == 413
    with pytest.raises(OkdeskTooLarge):
        side.okd.create_issue(title="видео", contact_id=contact, files=[UploadFile(video, "video.mp4")])
    side.options.denied_rights = frozenset()
    assert side.okd.get_issue(issue_id).comments_count == 2 and len(side.okd.list_issues()) == 1
