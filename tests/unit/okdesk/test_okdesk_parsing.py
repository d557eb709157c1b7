"""Pure parsing behind OkdeskClient: timestamps, lenient models, response classification,
Retry-After and the numbered page walk."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from syncd.okdesk import (
    OkdeskAuthError,
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskTokenRefused,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
)
from syncd.okdesk.http_errors import classify_response, parse_retry_after
from syncd.okdesk.models import parse_comment, parse_contact, parse_issue, parse_issue_summary
from syncd.okdesk.paging import walk_numbered
from syncd.okdesk.timeutil import MOSCOW, TimestampParser, format_filter, parse_timestamp

MSK = timezone(timedelta(hours=3))
TS = TimestampParser()


@pytest.mark.parametrize(
    ("text", "expected", "learned"),
    [
        ("2026-11-28T04:05:17.568+03:00", datetime(2026, 11, 28, 4, 5, 17, 568000, MSK), MSK),
        (
            "2026-11-28T04:05:17+0500",
            datetime(2026, 11, 28, 4, 5, 17, tzinfo=timezone(timedelta(hours=5))),
            timezone(timedelta(hours=5)),
        ),
        ("2026-11-28T01:05:17.5Z", datetime(2026, 11, 28, 1, 5, 17, 500000, timezone.utc), None),
        ("2026-11-28T04:05:17", datetime(2026, 11, 28, 4, 5, 17, tzinfo=MOSCOW), None),
        ("2026-11-28 04:05", datetime(2026, 11, 28, 4, 5, tzinfo=MOSCOW), None),
        ("28-11-2026 04:05", datetime(2026, 11, 28, 4, 5, tzinfo=MOSCOW), None),
        (
            "2026-11-28T04:05:17.123456789-02:30",
            datetime(2026, 11, 28, 4, 5, 17, 123456, timezone(-timedelta(hours=2, minutes=30))),
            timezone(-timedelta(hours=2, minutes=30)),
        ),
        ("garbage", None, None),
        ("2026-13-45T00:00:00", None, None),
        (None, None, None),
        (12345, None, None),
    ],
)
def test_parse_timestamp_variants(text, expected, learned) -> None:
    parsed, offset = parse_timestamp(text, MOSCOW)
    assert parsed == expected
    if expected is not None:
        assert parsed.utcoffset() == expected.utcoffset()
    assert offset == learned


def test_account_tz_is_learned_and_filters_use_it() -> None:
    configured = TimestampParser(timezone(timedelta(hours=7)))
    configured("2026-01-01T00:00:00.000+05:00")
    assert configured.account_tz.utcoffset(None) == timedelta(hours=7)  # the configured zone wins
    assert TimestampParser().account_tz == MOSCOW  # default
    parser = TimestampParser()
    parser("2026-01-01T00:00:00.000+05:00")
    parser("2026-01-01T00:00:00Z")  # UTC rendering says nothing about the account
    assert parser.account_tz.utcoffset(None) == timedelta(hours=5)
    moment = datetime(2026, 1, 31, 20, 59, 59, tzinfo=timezone.utc)
    assert format_filter(moment, parser.account_tz) == "01-02-2026 01:59"  # floored to the minute
    assert format_filter(datetime(2026, 3, 4, 5, 6), MSK) == "04-03-2026 05:06"  # naive: wall time


def test_models_are_lenient() -> None:
    ts = TimestampParser()
    assert parse_comment({"id": 1}, ts).public is True  # no flag at all: show it, never lose it
    assert parse_comment({"id": 2, "is_public": False}, ts).public is False
    assert parse_comment({"id": 3, "public": "false", "is_public": True}, ts).public is False
    c = parse_comment(
        {
            "id": "4",
            "content": "<p>x</p>",
            "author": {"id": 7, "type": "Contact", "first_name": "Иван", "last_name": "Петров"},
            "attachments": [
                {"id": 9, "attachment_file_name": "a.jpg", "attachment_file_size": "12"},
                "junk",
            ],
        },
        ts,
    )
    assert (c.id, c.author_id, c.author_type, c.author_name) == (4, 7, "contact", "Петров Иван")
    assert c.attachments[0].size == 12 and c.attachments[0].is_public is True
    assert parse_comment({"content": "no id"}, ts) is None
    assert parse_comment("not a dict", ts) is None
    s = parse_issue_summary({"id": 5, "status": None, "contact": {"id": 3}, "comments": None}, ts)
    assert (s.status_code, s.contact_id, s.company_id, s.comments_count, s.updated_at) == (
        None,
        3,
        None,
        None,
        None,
    )
    assert parse_issue({"errors": {"base": ["нет"]}}, ts) is None
    i = parse_issue(
        {"id": 6, "company_id": 2, "old_status": {"code": "opened"}, "attachments": None}, ts
    )
    assert (i.company_id, i.old_status_code, i.attachments, i.description) == (2, "opened", (), "")
    assert (
        parse_contact(
            {"id": 1, "first_name": "Анна", "last_name": "Ли", "company": {"id": 4}}
        ).company_id
        == 4
    )


def test_classify_response_table() -> None:
    def err(status, body=b"", headers=None, idempotent=True):
        return classify_response(status, headers or {}, body, "GET /x", idempotent, lambda v: v)[1]

    assert err(200, b'{"id": 1}') is None
    assert type(err(200, b'{"errors": "gone"}')) is OkdeskNotFound
    assert type(err(200, b'{"errors": "bad"}', idempotent=False)) is OkdeskValidationError
    assert type(err(200, b"{broken")) is OkdeskUnavailable
    assert type(err(401)) is OkdeskTokenRefused and type(err(403)) is OkdeskForbidden
    assert issubclass(OkdeskTokenRefused, OkdeskAuthError) and issubclass(OkdeskForbidden, OkdeskAuthError)
    assert type(err(404)) is OkdeskNotFound and type(err(410)) is OkdeskNotFound
    assert type(err(413)) is OkdeskTooLarge
    e422 = err(422, '{"errors": {"title": ["не может быть пустым"]}}'.encode())
    assert type(e422) is OkdeskValidationError and e422.errors == {
        "title": ["не может быть пустым"]
    }
    assert err(429, headers={"Retry-After": "7"}).retry_after == 7
    assert err(429).retry_after == 30
    assert type(err(500, b"<html>oops</html>")) is OkdeskUnavailable
    assert type(err(503, idempotent=False)) is OkdeskUnavailable  # a refused write: not done
    assert type(err(504, idempotent=False)) is OkdeskOutcomeUnknown  # the app may still write
    assert type(err(504)) is OkdeskUnavailable


def test_parse_retry_after_http_date() -> None:
    now = time.time()
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 90))
    assert 88 <= parse_retry_after(date, now) <= 91
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert parse_retry_after("soon") == 30
    assert parse_retry_after("-5") == 0


def test_page_walk_stops_when_the_server_ignores_paging() -> None:
    calls = []

    def fetch(number):
        calls.append(number)
        return 2, [parse_issue_summary({"id": 1}, TS), parse_issue_summary({"id": 2}, TS)]

    items, shifted = walk_numbered(fetch, page_size=2)
    assert sorted(i.id for i in items) == [1, 2] and calls == [1, 2] and not shifted


def test_page_walk_flags_a_list_that_moved() -> None:
    pages = {1: [1, 2], 2: [2, 3], 3: [4]}  # id 2 pushed back across the boundary

    def fetch(number):
        ids = pages[number]
        return len(ids), [parse_issue_summary({"id": i}, TS) for i in ids]

    items, shifted = walk_numbered(fetch, page_size=2)
    assert sorted(i.id for i in items) == [1, 2, 3, 4] and shifted
