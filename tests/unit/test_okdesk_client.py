"""OkdeskClient and its parts: multipart encoder, request budget, timestamps, models, and the
client itself against the Okdesk emulator (tests/okdesk_emulator) over 127.0.0.1."""

from __future__ import annotations

import bisect
import email.parser
import email.policy
import hashlib
import json
import math
import os
import random
import socket
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.okdesk import (
    OkdeskAuthError,
    OkdeskClient,
    OkdeskError,
    OkdeskNotFound,
    OkdeskOutcomeUnknown,
    OkdeskRateLimited,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
    RequestBudget,
    UploadFile,
)
from syncd.okdesk import budget as budget_module
from syncd.okdesk.http_errors import classify_response, parse_retry_after
from syncd.okdesk.models import parse_comment, parse_contact, parse_issue, parse_issue_summary
from syncd.okdesk.multipart import BodyFileChanged, FilePart, MultipartBody
from syncd.okdesk.paging import walk_numbered
from syncd.okdesk.timeutil import MOSCOW, TimestampParser, format_filter, parse_timestamp

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-5f3a9c1e77b2d04e-SECRET"
MSK = timezone(timedelta(hours=3))
TS = TimestampParser()


def assert_clean(exc: BaseException) -> None:
    """The API token appears nowhere in what a log line or crash report could show."""
    rendered = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for text in (str(exc), repr(exc), rendered, repr(getattr(exc, "errors", None))):
        assert TOKEN not in text
    assert exc.__cause__ is None and exc.__context__ is None


# ================================================================ multipart encoder


def _parse_multipart(body: MultipartBody) -> list:
    raw = b"".join(body)
    head = f"Content-Type: {body.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    return list(msg.iter_parts())


def test_multipart_length_matches_bytes_and_body_is_reiterable(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(200_000))  # spans several 64 KiB reads
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    body = MultipartBody(
        [("comment[content]", "<p>Привет</p>"), ("comment[public]", "true")],
        [FilePart("f[0]", "big.bin", big), FilePart("f[1]", "пусто.txt", empty, "text/plain")],
    )
    first = b"".join(body)
    assert len(first) == body.content_length == len(body)
    assert b"".join(body) == first  # a retry re-reads the files from the start
    assert max(len(c) for c in body) <= 64 * 1024 + 1024
    parts = _parse_multipart(body)
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "comment[content]",
        "comment[public]",
        "f[0]",
        "f[1]",
    ]
    assert parts[0].get_payload(decode=True).decode() == "<p>Привет</p>"
    assert parts[2].get_payload(decode=True) == big.read_bytes()
    assert parts[3].get_payload(decode=True) == b""


def test_multipart_file_name_is_raw_utf8_with_quotes_and_newlines_escaped(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"data")
    body = MultipartBody([], [FilePart("file", 'Отчёт "итог"\r\n.pdf', f)])
    raw = b"".join(body)
    assert 'filename="Отчёт %22итог%22%0D%0A.pdf"'.encode() in raw
    assert b"filename*" not in raw


def test_multipart_refuses_a_file_that_changed_size(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"12345")
    body = MultipartBody([], [FilePart("file", "x", f)])
    f.write_bytes(b"12")
    with pytest.raises(BodyFileChanged):
        b"".join(body)
    with pytest.raises(FileNotFoundError):
        MultipartBody([], [FilePart("file", "x", tmp_path / "missing")])


@settings(max_examples=40, deadline=None)
@given(
    fields=st.lists(st.tuples(st.text(min_size=1, max_size=20), st.text(max_size=200)), max_size=4),
    files=st.lists(
        st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=3000)), max_size=3
    ),
    chunk=st.integers(min_value=1, max_value=4096),
)
def test_multipart_length_is_exact_for_any_content(fields, files, chunk) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for n, (name, data) in enumerate(files):
            path = Path(tmp) / str(n)
            path.write_bytes(data)
            parts.append(FilePart(f"f[{n}]", name, path))
        body = MultipartBody(fields, parts, chunk_size=chunk)
        raw = b"".join(body)
        assert len(raw) == len(body) and b"".join(body) == raw
        assert raw.count(body.boundary.encode()) == len(fields) + len(files) + 1


# ================================================================ request budget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_window_admits_the_cap_then_waits_for_the_oldest_to_leave() -> None:
    clock = FakeClock()
    budget = RequestBudget(60, clock)
    assert sum(budget.try_acquire() for _ in range(100)) == 60
    assert budget.tokens == 0
    clock.now += 59.9  # a token bucket would have refilled all 60 by now: 120 in one minute
    assert not budget.try_acquire() and budget.tokens == 0
    clock.now += 0.1  # a request leaves the window exactly 60 s after it went
    assert budget.tokens == 60
    spread = RequestBudget(3, clock)
    t0 = clock.now
    for offset in (0, 10, 20):
        clock.now = t0 + offset
        assert spread.try_acquire()
    clock.now = t0 + 59.999
    assert not spread.try_acquire()
    clock.now = t0 + 60  # only the first one has left
    assert spread.try_acquire() and not spread.try_acquire()
    clock.now = t0 + 70
    assert spread.try_acquire() and spread.tokens == 0
    assert RequestBudget(2.9, clock).limit == 2  # a fraction of a request cannot go
    with pytest.raises(ValueError):
        RequestBudget(0.5, clock)


def test_budget_background_leaves_the_reserve_to_the_foreground() -> None:
    clock = FakeClock()
    budget = RequestBudget(60, clock, background_reserve=0.5)
    t0 = clock.now
    assert sum(budget.try_acquire(background=True) for _ in range(100)) == 30
    clock.now = t0 + 10
    assert not budget.try_acquire(background=True)
    assert sum(budget.try_acquire() for _ in range(100)) == 30  # the foreground gets it all
    clock.now = t0 + 60  # the background 30 left; the foreground 30 still fill the lower half
    assert not budget.try_acquire(background=True)
    assert budget.try_acquire()
    clock.now = t0 + 70  # now only that last one is in the window
    assert sum(budget.try_acquire(background=True) for _ in range(100)) == 29
    tiny = RequestBudget(1, clock)  # an empty window always admits one background request
    assert tiny.try_acquire(background=True) and not tiny.try_acquire()


def test_budget_pause_until_stops_everyone() -> None:
    clock = FakeClock()
    budget = RequestBudget(60, clock)
    budget.pause_until(clock.now + 5)
    assert not budget.try_acquire() and not budget.try_acquire(background=True)
    budget.pause_until(clock.now + 1)  # never shortens a pause
    clock.now += 4.9
    assert not budget.try_acquire()
    clock.now += 0.2
    assert budget.try_acquire()


def _max_in_any_window(stamps: list[float], window: float) -> int:
    """Most stamps in any half-open window [s, s + window): the worst one starts at a stamp."""
    stamps = sorted(stamps)
    return max(
        (bisect.bisect_left(stamps, s + window) - i for i, s in enumerate(stamps)), default=0
    )


def test_budget_no_window_ever_holds_more_than_the_cap_under_greedy_threads() -> None:
    """Greedy threads (foreground and background, try_acquire and acquire) take whatever they
    can while an injected clock jumps forward in steps, landing on window edges too. The
    clock stands still while they race, so each admission's time is known exactly."""
    rng = random.Random(20240601)
    clock = FakeClock()
    cap, workers = 30, 6
    budget = RequestBudget(cap, clock, background_reserve=0.5)
    go, done = threading.Barrier(workers + 1), threading.Barrier(workers + 1)
    got = [0] * workers
    stop = False

    def worker(n: int) -> None:
        background = n % 2 == 1
        while True:
            go.wait()
            if stop:
                return
            while (
                budget.try_acquire(background) if n % 3 else budget.acquire(background, timeout=0)
            ):
                got[n] += 1
            done.wait()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    stamps: list[float] = []
    try:
        for _ in range(400):
            clock.now += rng.choice([0.0, 0.001, 0.5, 1.0, 7.0, 29.999, 30.0, 59.999, 60.0])
            before = sum(got)
            go.wait()
            done.wait()
            stamps += [clock.now] * (sum(got) - before)
    finally:
        stop = True
        go.wait()
        for t in threads:
            t.join()
    assert _max_in_any_window(stamps, 60.0) == cap  # reached, never exceeded
    assert len(stamps) > 10 * cap  # the load really was greedy over many windows


def test_budget_acquire_blocks_until_the_oldest_leaves(monkeypatch) -> None:
    """Real time with the window shrunk to 0.2 s: blocked threads go as requests leave it."""
    monkeypatch.setattr(budget_module, "WINDOW", 0.2)
    budget = RequestBudget(5)
    stamps: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 0.7

    def work(background: bool) -> None:
        while time.monotonic() < deadline:
            if budget.acquire(background, timeout=0.05):
                with lock:
                    stamps.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(n % 2 == 1,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    windows = math.ceil((time.monotonic() - started) / 0.2)
    assert 5 * 3 <= len(stamps) <= 5 * windows  # kept going, never beyond the cap


def test_budget_acquire_blocks_until_a_token_or_the_timeout() -> None:
    slow = RequestBudget(6)  # real clock: one token every 10 s
    while slow.try_acquire():
        pass
    started = time.monotonic()
    assert not slow.acquire(timeout=0.2)
    assert 0.19 <= time.monotonic() - started < 2
    budget = RequestBudget(600)  # full bucket, but paused
    budget.pause_until(time.monotonic() + 0.3)
    started = time.monotonic()
    assert not budget.acquire(timeout=0.1)
    assert budget.acquire(timeout=5)
    assert time.monotonic() - started >= 0.29


def test_budget_counters_and_threads() -> None:
    budget = RequestBudget(100_000)

    def work() -> None:
        for _ in range(200):
            budget.acquire()
            budget.note("issues.get")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    budget.note("storage")
    assert budget.total == 801
    assert budget.by_kind == {"issues.get": 800, "storage": 1}


# ================================================================ timestamps and models


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
    assert type(err(401)) is OkdeskAuthError and type(err(403)) is OkdeskAuthError
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


# ================================================================ against the emulator

from tests.okdesk_emulator import Fault, OkdeskEmulator, Upload  # noqa: E402
from tests.okdesk_emulator import server as emu_server  # noqa: E402
from tests.okdesk_emulator.context import Response  # noqa: E402


@pytest.fixture
def emu(tmp_path: Path):
    files = tmp_path / "emu"
    files.mkdir()
    e = OkdeskEmulator(api_token=TOKEN, tz_offset="+03:00", files_dir=files).start()
    yield e
    e.stop()
    assert not e.internal_errors


def make_client(emu, **kw) -> OkdeskClient:
    kw = {"timeout": 5, "connect_timeout": 2, "backoff_base": 0.05, **kw}
    return OkdeskClient(kw.pop("base_url", emu.base_url), kw.pop("token", TOKEN), **kw)


@pytest.fixture
def client(emu):
    c = make_client(emu)
    yield c
    c.close()


def settled(emu):
    """The emulator logs a request just after answering it: let the log catch up."""
    count = -1
    while count != (count := len(emu.requests)):
        time.sleep(0.05)
    return emu


def records(emu, path_regex: str) -> list:
    import re

    return [r for r in settled(emu).requests if re.search(path_regex, r.path)]


@pytest.mark.parametrize("suffix", ["", "/", "/api/v1", "/api/v1/"])
def test_base_url_with_or_without_api_prefix(emu, suffix) -> None:
    with make_client(emu, base_url=emu.base_url + suffix) as c:
        assert [s.code for s in c.list_statuses()][:2] == ["opened", "in_progress"]
        assert c.api_root == emu.base_url + "/api/v1"
        assert TOKEN not in repr(c)


def test_paging_loops_until_a_short_page(emu, client) -> None:
    for n in range(120):
        emu.add_issue(f"Заявка {n}")
    emu.reset_requests()
    issues = client.list_issues_updated_since(None, page_size=40)
    assert sorted(i.id for i in issues) == emu.issue_ids()
    pages = records(emu, r"/issues/list$")
    assert [r.query["page[number]"] for r in pages] == [["1"], ["2"], ["3"], ["4"]]  # 40,40,40,0
    for r in pages:
        assert r.query["page[size]"] == ["40"]
        assert r.query["sorting[field]"] == ["updated_at"]
        assert r.query["sorting[direction]"] == ["forward"]
        assert "updated_since" not in r.query
    assert [i.updated_at for i in issues] == sorted(i.updated_at for i in issues)


def test_updated_since_is_sent_in_the_account_zone(tmp_path: Path) -> None:
    with (
        OkdeskEmulator(api_token=TOKEN, tz_offset="+05:00", files_dir=tmp_path) as emu,
        make_client(emu) as c,
    ):
        assert c.account_tz == MOSCOW  # nothing seen yet, nothing configured
        issue = emu.add_issue("old")
        c.list_issues_updated_since(None)
        assert c.account_tz.utcoffset(None) == timedelta(hours=5)  # learned from the answer
        c.list_issues_updated_since(datetime(2026, 1, 1, 0, 0, 59, tzinfo=timezone.utc))
        assert settled(emu).requests[-1].query["updated_since"] == ["01-01-2026 05:00"]
        now = datetime.now(timezone.utc)
        # Were the value sent in UTC wall time, +05:00 would read it as 5 h earlier.
        assert c.list_issues_updated_since(now + timedelta(minutes=5)) == []
        assert [i.id for i in c.list_issues_updated_since(now - timedelta(minutes=2))] == [issue]


def test_list_issues_filters_by_contact_and_status(emu, client) -> None:
    anna = emu.add_contact("Анна", "Ли", phone="79990000001")
    mine = [emu.add_issue(f"a{n}", contact_id=anna) for n in range(3)]
    emu.add_issue("other")
    emu.set_status(mine[0], "closed")
    assert sorted(i.id for i in client.list_issues(contact_ids=[anna])) == mine
    got = client.list_issues(contact_ids=[anna], status_codes=["opened"])
    assert sorted(i.id for i in got) == mine[1:]
    assert all(i.contact_id == anna for i in got)
    assert records(emu, r"/issues/list$")[-1].query["contact_ids[]"] == [str(anna)]
    assert len(client.list_issues(contact_ids=[anna], page_size=1, max_pages=2)) == 2


def test_get_issue_and_sorted_comments(emu, client) -> None:
    emu.options.shuffle_comments = True
    issue = emu.add_issue("Принтер", description="<p>не печатает</p>")
    ids = [emu.add_comment(issue, f"<p>{n}</p>", public=n % 2 == 0) for n in range(15)]
    got = client.get_issue(issue)
    assert (got.id, got.title, got.description, got.status_code, got.comments_count) == (
        issue,
        "Принтер",
        "<p>не печатает</p>",
        "opened",
        15,
    )
    comments = client.list_comments(issue)
    assert [c.id for c in comments] == ids
    assert [c.public for c in comments] == [n % 2 == 0 for n in range(15)]
    assert (
        comments[0].author_type == "employee" and comments[0].author_id == emu.default_employee_id
    )


# ---------------------------------------------------------------- errors


def test_wrong_token_is_an_auth_error_not_retried(emu) -> None:
    with make_client(emu, token=TOKEN + "-wrong") as c, pytest.raises(OkdeskAuthError) as info:
        c.get_issue(1)
    assert info.value.status == 401 and settled(emu).count_requests() == 1
    assert TOKEN not in str(info.value) and "wrong" not in str(info.value)
    assert_clean(info.value)


@pytest.mark.parametrize(
    ("fault", "method", "expected", "attempts"),
    [
        (Fault("status", status=403, times=None), "get", OkdeskAuthError, 1),
        (Fault("status", status=404, times=None), "get", OkdeskNotFound, 1),
        (Fault("error_body", times=None), "get", OkdeskNotFound, 1),
        (Fault("malformed_json", times=None), "get", OkdeskUnavailable, 3),
        (Fault("status", status=503, times=None), "get", OkdeskUnavailable, 3),
        (Fault("drop", times=None), "get", OkdeskUnavailable, 3),
        (Fault("status", status=413, times=None), "post", OkdeskTooLarge, 1),
        (Fault("status", status=422, times=None), "post", OkdeskValidationError, 1),
        (Fault("status", status=500, times=None), "post", OkdeskUnavailable, 1),
        (Fault("status", status=504, times=None), "post", OkdeskOutcomeUnknown, 1),
        (Fault("error_body", times=None), "post", OkdeskValidationError, 1),
        (Fault("retry_after", retry_after=1, times=None), "post", OkdeskRateLimited, 1),
        (Fault("drop", times=None), "post", OkdeskOutcomeUnknown, 1),
    ],
    ids=lambda v: (
        getattr(v, "kind", None) and f"{v.kind}-{v.status}" if isinstance(v, Fault) else None
    ),
)
def test_error_classes(emu, client, fault, method, expected, attempts) -> None:
    issue = emu.add_issue("x")
    emu.add_fault(fault)
    emu.reset_requests()
    with pytest.raises(OkdeskError) as info:
        if method == "get":
            client.get_issue(issue)
        else:
            client.create_comment(
                issue, content_html="<p>x</p>", author_id=emu.api_employee_id, public=True
            )
    assert type(info.value) is expected
    assert settled(emu).count_requests() == attempts
    assert_clean(info.value)


def test_error_body_errors_are_kept(emu, client) -> None:
    emu.add_fault(Fault("error_body", body={"errors": {"base": ["Заявка удалена"]}}))
    with pytest.raises(OkdeskNotFound) as info:
        client.get_issue(emu.add_issue("x"))
    assert info.value.status == 200 and info.value.errors == {"base": ["Заявка удалена"]}


@pytest.fixture
def raw_fault_bodies(monkeypatch):
    """Let an "error_body" fault answer raw bytes (an empty body, a bare null): the emulator
    JSON-encodes every other fault body."""
    original = emu_server.fault_response

    def answer(fault: Fault) -> Response:
        if isinstance(fault.body, bytes):
            return Response(200, fault.body)
        return original(fault)

    monkeypatch.setattr(emu_server, "fault_response", answer)


LIST_CALLS = {
    "comments": (r"/issues/\d+/comments$", lambda c, issue: c.list_comments(issue)),
    "updated_since": (r"/issues/list$", lambda c, issue: c.list_issues_updated_since(None)),
    "issues": (r"/issues/list$", lambda c, issue: c.list_issues(contact_ids=[1])),
    "statuses": (r"/issues/statuses$", lambda c, issue: c.list_statuses()),
    "priorities": (r"/issues/priorities$", lambda c, issue: c.list_priorities()),
    "employees": (r"/employees", lambda c, issue: c.list_employees()),
}
NOT_LISTS = {
    "empty_body": b"",
    "null": b"null",
    "empty_object": b"{}",
    "errors": b'{"errors": "x"}',
    "one_object": b'{"id": 1, "title": "t"}',
    "string": b'""',
}


@pytest.mark.usefixtures("raw_fault_bodies")
@pytest.mark.parametrize("body", list(NOT_LISTS.values()), ids=list(NOT_LISTS))
@pytest.mark.parametrize("call", list(LIST_CALLS))
def test_list_endpoints_refuse_a_200_that_is_not_a_list(emu, call, body) -> None:
    """An odd "nothing" is an outage, never an empty list: at an issue's baseline an empty
    comment list would make its whole history look new; an empty /issues/list hides changes."""
    issue = emu.add_issue("x")
    path, fetch = LIST_CALLS[call]
    emu.add_fault(Fault("error_body", path=path, body=body, times=None))
    with make_client(emu, get_retries=0) as c, pytest.raises(OkdeskUnavailable) as info:
        fetch(c, issue)
    err = info.value
    assert (type(err), err.kind, err.status) == (OkdeskUnavailable, "not_a_list", 200)
    assert err.errors == ("x" if body == NOT_LISTS["errors"] else None)
    assert settled(emu).count_requests(path) == 1
    assert_clean(err)


def test_not_a_list_is_retried_and_sanitized(emu, client) -> None:
    issue = emu.add_issue("x")
    emu.add_comment(issue, "<p>1</p>")
    path = r"/issues/\d+/comments$"
    emu.add_fault(Fault("error_body", path=path, body={}))  # one glitch: the retry heals it
    assert len(client.list_comments(issue)) == 1
    assert settled(emu).count_requests(path) == 2
    # Token echoed in an error body: scrubbed from the kept errors and from every rendering.
    emu.add_fault(Fault("error_body", path=path, body={"errors": f"bad {TOKEN}"}, times=None))
    with pytest.raises(OkdeskUnavailable) as info:
        client.list_comments(issue)
    assert info.value.kind == "not_a_list" and info.value.errors == "bad ***"
    assert_clean(info.value)


def test_an_empty_array_is_an_empty_list_and_a_bad_later_page_fails_the_walk(emu, client) -> None:
    assert client.list_comments(emu.add_issue("no comments")) == []
    for n in range(3):
        emu.add_issue(f"i{n}")
    # The first page answers normally (a "slow" fault of no delay), the second is empty.
    emu.add_fault(Fault("slow", delay=0, path=r"/issues/list$"))
    emu.add_fault(Fault("error_body", path=r"/issues/list$", body={}, times=None))
    with pytest.raises(OkdeskUnavailable) as info:
        client.list_issues_updated_since(None, page_size=2)
    assert info.value.kind == "not_a_list"
    assert settled(emu).count_requests(r"/issues/list$") == 4  # page 1, then page 2 three times


def test_validation_error_carries_the_field_errors(emu, client) -> None:
    with pytest.raises(OkdeskValidationError) as info:
        client.create_issue(title="")
    assert info.value.status == 422 and "title" in info.value.errors
    assert_clean(info.value)


def test_transient_get_failures_are_retried(emu, client) -> None:
    issue = emu.add_issue("x")
    for fault in (Fault("malformed_json"), Fault("status", status=502), Fault("drop")):
        emu.add_fault(fault)
        emu.reset_requests()
        assert client.get_issue(issue).id == issue
        assert settled(emu).count_requests() == 2


def test_get_timeout_is_retried(emu) -> None:
    issue = emu.add_issue("x")
    with make_client(emu, timeout=0.5) as c:
        emu.add_fault(Fault("timeout", delay=1.5, path=r"/issues/\d+$"))
        assert c.get_issue(issue).id == issue
        # The timed-out request is logged once the emulator wakes up and drops it.
        assert emu.wait_for_requests(2, r"/issues/\d+$", timeout=5)
        assert settled(emu).count_requests(r"/issues/\d+$") == 2
        emu.add_fault(Fault("slow", delay=1.5, times=None, path=r"/issues/\d+$"))
        with pytest.raises(OkdeskUnavailable) as info:
            c.get_issue(issue)
    assert info.value.kind == "timeout"
    assert_clean(info.value)


def test_rate_limit_retry_after_is_honoured(emu) -> None:
    budget = RequestBudget(600)
    issue = emu.add_issue("x")
    with make_client(emu, budget=budget) as c:
        emu.add_fault(Fault("retry_after", retry_after=1, path=r"/issues/\d+$"))
        emu.reset_requests()
        assert c.get_issue(issue).id == issue
    first, second = settled(emu).requests
    assert first.status == 429 and second.status == 200
    assert second.started - first.finished >= 0.9
    assert budget.total == 2


def test_rate_limit_longer_than_the_cap_pauses_the_budget_and_raises(emu) -> None:
    budget = RequestBudget(600)
    with make_client(emu, budget=budget, retry_cap=0.5) as c:
        emu.add_fault(Fault("retry_after", retry_after=3))
        with pytest.raises(OkdeskRateLimited) as info:
            c.list_statuses()
    assert info.value.retry_after == 3 and settled(emu).count_requests() == 1
    assert budget.paused_until is not None and budget.paused_until - time.monotonic() > 2
    assert not budget.try_acquire()


def test_post_whose_answer_is_lost_is_outcome_unknown_and_was_done(emu) -> None:
    issue = emu.add_issue("x")
    with make_client(emu, timeout=0.5) as c:
        emu.add_fault(Fault("after_effect_timeout", delay=1.5, method="POST"))
        with pytest.raises(OkdeskOutcomeUnknown) as info:
            c.create_comment(
                issue, content_html="<p>ушло?</p>", author_id=emu.api_employee_id, public=True
            )
    assert emu.wait_for_requests(1, method="POST", timeout=5)
    assert settled(emu).count_requests(method="POST") == 1  # never repeated by the client
    assert [c["content"] for c in emu.get_comments(issue)] == ["<p>ушло?</p>"]
    assert_clean(info.value)


def test_connection_refused_means_not_sent(emu) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with make_client(emu, base_url=f"http://127.0.0.1:{port}") as c:
        for call in (
            lambda: c.get_issue(1),
            lambda: c.create_comment(1, content_html="x", author_id=1, public=True),
        ):
            with pytest.raises(OkdeskUnavailable) as info:
                call()
            assert info.value.kind == "connection_refused"
            assert f"127.0.0.1:{port}" in str(info.value)
            assert_clean(info.value)
        assert c.last_error and TOKEN not in c.last_error and c.last_success_at is None


def test_logs_never_show_the_token_or_query(emu, client, monkeypatch, tmp_path: Path) -> None:
    import syncd.okdesk.transport as transport

    logs: list[dict] = []

    class Recorder:  # independent of however structlog is configured in this process
        def debug(self, event: str, **kw) -> None:
            logs.append({"event": event, **kw})

    monkeypatch.setattr(transport, "log", Recorder())
    emu.add_fault(Fault("status", status=503))
    issue, att, _ = _one_attachment(emu, tmp_path)
    client.find_contacts_by_phone(["+79990001122"])
    client.download_attachment(issue, att, tmp_path / "copy")
    assert logs and all(TOKEN not in repr(e) and "?" not in e.get("path", "") for e in logs)
    paths = [e["path"] for e in logs if e["event"] == "okdesk_request"]
    assert paths == ["/contacts/", "/contacts/", f"/issues/{issue}/attachments/{att}", "<storage>"]
    assert [e["status"] for e in logs if e["event"] == "okdesk_request"] == [503, 404, 200, 200]


# ---------------------------------------------------------------- contacts


def test_plus_in_a_phone_arrives_intact_and_contacts_are_deduplicated(emu, client) -> None:
    ivan = emu.add_contact("Иван", "Петров", phone="+79123456789", mobile_phone="89123456789")
    emu.add_contact("Пётр", "Сидоров", phone="79123456789")
    found = client.find_contacts_by_phone(["+79123456789", "89123456789", "+79123456789", ""])
    assert [c.id for c in found] == [ivan]
    assert found[0].first_name == "Иван" and found[0].phone == "+79123456789"
    assert records(emu, r"/contacts")[0].query["phone"] == ["+79123456789"]


@pytest.mark.parametrize(
    "variant", ["404", "empty_body", "empty_array", "null", "empty_object", "error_body"]
)
def test_contact_not_found_variants_mean_none(emu, client, variant) -> None:
    if variant == "error_body":
        emu.add_fault(Fault("error_body", body={"errors": "Контакт не найден"}, times=None))
    else:
        emu.options.contact_not_found = variant
    assert client.find_contacts_by_phone(["79000000000", "+79000000000"]) == []
    assert settled(emu).count_requests(r"/contacts") == 2


def test_search_and_create_contacts(emu, client) -> None:
    created = client.create_contact(
        first_name="Мария", last_name="Кюри", phone="+33100000000", extra={"email": "m@x.fr"}
    )
    assert created.id and created.phone == "+33100000000" and created.email == "m@x.fr"
    assert [c.id for c in client.search_contacts("кюри")] == [created.id]
    assert client.search_contacts("нет такого") == []
    assert client.find_contacts_by_phone(["+33100000000"])[0].id == created.id


def test_employees_statuses_priorities(emu, client) -> None:
    for n in range(150):
        emu.add_employee(f"Имя{n}", f"Фамилия{n}")
    emu.reset_requests()
    employees = client.list_employees()
    assert [e.id for e in employees] == [e["id"] for e in emu.get_employees()]
    assert settled(emu).count_requests(r"/employees") == 2
    assert [p.code for p in client.list_priorities()] == [p["code"] for p in emu.priorities]


# ---------------------------------------------------------------- writes and files


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_multipart_comment_keeps_a_cyrillic_file_name_and_the_bytes(
    emu, client, tmp_path: Path
) -> None:
    issue = emu.add_issue("x")
    src = tmp_path / "upload.bin"
    src.write_bytes(os.urandom(300_000))
    name = 'Отчёт "за май" №2.pdf'
    comment = client.create_comment(
        issue,
        content_html="<p>Файл во вложении</p>",
        author_id=emu.api_employee_id,
        public=False,
        files=[UploadFile(src, name, "application/pdf", is_public=False)],
    )
    assert comment.public is False and len(comment.attachments) == 1
    att = comment.attachments[0]
    assert att.file_name == name and att.size == 300_000 and att.is_public is False
    stored = emu.get_attachment(att.id)
    assert stored["attachment_file_name"] == name and _sha(Path(stored["path"])) == _sha(src)
    assert emu.get_comments(issue)[-1]["content"] == "<p>Файл во вложении</p>"
    dest = tmp_path / "back.pdf"
    assert client.download_attachment(issue, att.id, dest) == 300_000
    assert _sha(dest) == _sha(src)


def test_create_issue_with_files_and_status_change(emu, client, tmp_path: Path) -> None:
    contact = emu.add_contact("Анна", "Ли", phone="79990000001")
    src = tmp_path / "photo.jpg"
    src.write_bytes(b"\xff\xd8jpeg")
    issue = client.create_issue(
        title="Не работает",
        description_html="<p>Скриншот</p>",
        contact_id=contact,
        author=(contact, "contact"),
        files=[UploadFile(src, "скрин.jpg", "image/jpeg")],
    )
    assert issue.contact_id == contact and [a.file_name for a in issue.attachments] == ["скрин.jpg"]
    plain = client.create_issue(title="Без файлов", contact_id=contact, author=(contact, "contact"))
    assert plain.id != issue.id and plain.title == "Без файлов"
    client.change_status(issue.id, "in_progress", comment_html="<p>Взяли</p>", comment_public=True)
    assert client.get_issue(issue.id).status_code == "in_progress"
    assert emu.get_comments(issue.id)[-1]["content"] == "<p>Взяли</p>"


def _one_attachment(emu, tmp_path: Path, size: int = 100_000) -> tuple[int, int, Path]:
    src = tmp_path / "file.bin"
    src.write_bytes(os.urandom(size))
    issue = emu.add_issue("x")
    emu.add_comment(issue, "<p>файл</p>", attachments=[Upload("file.bin", path=src)])
    return issue, emu.get_comments(issue)[0]["attachments"][0]["id"], src


def test_download_retries_once_with_a_fresh_link_after_expiry(emu, client, tmp_path: Path) -> None:
    issue, att, src = _one_attachment(emu, tmp_path)
    emu.add_fault(Fault("status", status=403, path=r"^/storage/"))  # an expired link, as S3 says it
    dest = tmp_path / "a.bin"
    assert client.download_attachment(issue, att, dest) == src.stat().st_size
    assert _sha(dest) == _sha(src) and settled(emu).count_requests(r"/attachments/") == 2
    # A link that really expires between being handed out and being used.
    emu.options.attachment_url_ttl = 0.3
    emu.add_fault(Fault("slow", delay=0.6, path=r"^/storage/"))
    dest2 = tmp_path / "b.bin"
    assert client.download_attachment(issue, att, dest2) == src.stat().st_size
    assert [r.status for r in records(emu, r"^/storage/")][-2:] == [403, 200]


def test_download_that_keeps_failing_or_is_too_big_leaves_nothing(
    emu, client, tmp_path: Path
) -> None:
    issue, att, _ = _one_attachment(emu, tmp_path)
    emu.add_fault(Fault("status", status=403, times=None, path=r"^/storage/"))
    dest = tmp_path / "a.bin"
    with pytest.raises(OkdeskUnavailable) as info:
        client.download_attachment(issue, att, dest)
    assert_clean(info.value)
    emu.clear_faults()
    emu.reset_requests()
    with pytest.raises(OkdeskTooLarge):
        client.download_attachment(issue, att, dest, max_bytes=1000)
    assert settled(emu).count_requests(r"^/storage/") == 0  # the announced size was enough
    assert not dest.exists() and not dest.with_name("a.bin.part").exists()


def test_budget_counts_every_request(emu, tmp_path: Path) -> None:
    budget = RequestBudget(6000)
    issue, att, _ = _one_attachment(emu, tmp_path)
    with make_client(emu, budget=budget) as c:
        c.list_issues_updated_since(None, background=True)
        c.download_attachment(issue, att, tmp_path / "d")
        assert budget.total == c.requests_made == settled(emu).count_requests() == 3
        assert budget.by_kind == {"issues.list": 1, "attachments.get": 1, "storage": 1}
        assert c.last_success_at is not None


RSS_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from syncd.okdesk import OkdeskClient, UploadFile

    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    base, token, issue, author, src, dest = sys.argv[1:]
    client = OkdeskClient(base, token, timeout=60)
    client.list_statuses()  # warm up: imports, connection pool
    before = hwm()
    comment = client.create_comment(int(issue), content_html="big", author_id=int(author), public=True,
                                    files=[UploadFile(Path(src), "большой.bin")])
    after_upload = hwm()
    size = client.download_attachment(int(issue), comment.attachments[0].id, Path(dest))
    print(json.dumps({"before": before, "upload": after_upload, "download": hwm(), "size": size,
                      "attachment": comment.attachments[0].id}))
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_50mb_upload_and_download_stream_without_loading_the_file(emu, tmp_path: Path) -> None:
    size = 50 * 1024 * 1024
    src = tmp_path / "big.bin"
    with open(src, "wb") as fh:
        block = os.urandom(1 << 20)
        for n in range(size >> 20):
            fh.write(block[n:] + block[:n])
    issue = emu.add_issue("big")
    dest = tmp_path / "back.bin"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            RSS_SCRIPT,
            emu.base_url,
            TOKEN,
            str(issue),
            str(emu.api_employee_id),
            str(src),
            str(dest),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["size"] == size
    assert _sha(dest) == _sha(src) == _sha(Path(emu.get_attachment(result["attachment"])["path"]))
    # Peak RSS may grow by buffers, never by anything near the file's 50 MB.
    assert result["upload"] - result["before"] < 10 * 1024 * 1024, result
    assert result["download"] - result["before"] < 10 * 1024 * 1024, result


def test_redirects_are_followed_only_within_the_okdesk_host() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path.startswith("/api/v1/issues/1?"):  # a merged issue, same host
                self._answer(301, b"", {"Location": "/api/v1/issues/2?api_token=echoed"})
            elif self.path.startswith("/api/v1/issues/3?"):  # elsewhere: the token must not follow
                self._answer(302, b"", {"Location": "http://localhost:9/api/v1/issues/2"})
            else:
                self._answer(200, b'{"id": 2, "title": "merged"}', {})

        def _answer(self, status: int, body: bytes, headers: dict) -> None:
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with OkdeskClient(f"http://127.0.0.1:{server.server_address[1]}", TOKEN) as c:
            assert c.get_issue(1).id == 2  # callers compare ids to notice a merge
            assert seen[1] == f"/api/v1/issues/2?api_token={TOKEN}"
            with pytest.raises(OkdeskError) as info:
                c.get_issue(3)
            assert info.value.status == 302 and len(seen) == 3
            assert_clean(info.value)
    finally:
        server.shutdown()
        server.server_close()


def test_a_list_that_moves_while_walked_is_walked_again(emu, client) -> None:
    def issue(i: int) -> dict:
        return {"id": i, "updated_at": f"2026-01-01T00:00:0{i}.000+03:00"}

    walks = iter([[1, 2], [2, 3], [], [1, 3], [4, 2], []])  # id 4 was hidden by the shift
    client._t.request = lambda *a, **kw: [issue(i) for i in next(walks)]
    assert [i.id for i in client.list_issues_updated_since(None, page_size=2)] == [1, 2, 3, 4]
