"""What a client's message is for, and the bot's callback data (syncd.sync.routing)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.sync.routing import (
    AWAITING_COMMENT,
    AWAITING_NEW_ISSUE,
    RATES,
    Callback,
    Route,
    decode,
    encode,
    issue_named_in,
    route,
)

NOW = datetime(2026, 11, 27, 11, 5, 33, tzinfo=timezone.utc)


def _until(seconds: float) -> str:
    return (NOW + timedelta(seconds=seconds)).isoformat()


# ---------------------------------------------------------------- route()


def test_a_reply_to_an_issue_message_is_a_comment_on_it_and_wins_over_the_dialog() -> None:
    dialog = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(600)})
    assert route(reply_issue_id=5, dialog=dialog, now=NOW) == Route("comment", 5, used_dialog=False)
    creating = (AWAITING_NEW_ISSUE, {"until": _until(600)})
    assert route(reply_issue_id=5, dialog=creating, now=NOW) == Route("comment", 5, used_dialog=False)


def test_the_message_after_comment_is_a_comment_while_the_window_lasts() -> None:
    live = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(1)})
    assert route(reply_issue_id=None, dialog=live, now=NOW) == Route("comment", 9, used_dialog=True)
    at_the_edge = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(0)})
    assert route(reply_issue_id=None, dialog=at_the_edge, now=NOW).action == "comment"
    expired = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(-1)})
    # Asked about, with the reason: the question it answered is over (and forgotten once the job exists).
    assert route(reply_issue_id=None, dialog=expired, now=NOW) == Route(
        "ask", used_dialog=True, expired=AWAITING_COMMENT, expired_issue_id=9)


def test_an_open_ended_dialog_has_no_expiry() -> None:
    assert route(reply_issue_id=None, dialog=(AWAITING_COMMENT, {"issue_id": "12"}), now=NOW) == Route(
        "comment", 12, used_dialog=True)


def test_awaiting_new_issue_creates_until_it_expires() -> None:
    live = (AWAITING_NEW_ISSUE, {"until": _until(30)})
    assert route(reply_issue_id=None, dialog=live, now=NOW) == Route("create", None, used_dialog=True)
    expired = (AWAITING_NEW_ISSUE, {"until": _until(-30)})
    assert route(reply_issue_id=None, dialog=expired, now=NOW) == Route(
        "ask", used_dialog=True, expired=AWAITING_NEW_ISSUE)


@pytest.mark.parametrize("dialog", [
    None,
    (AWAITING_COMMENT, {"until": _until(600)}),  # no issue: nothing to comment on
    (AWAITING_COMMENT, {"issue_id": 0, "until": _until(600)}),
    ("something_else", {"issue_id": 9, "until": _until(600)}),
])
def test_anything_else_is_asked_about(dialog: tuple[str, dict[str, object]] | None) -> None:
    assert route(reply_issue_id=None, dialog=dialog, now=NOW) == Route("ask")


# ---------------------------------------------------------------- issue_named_in()


@pytest.mark.parametrize(("text", "issue"), [
    ("✅ Заявка #123 «Принтер» создана.", 123),
    ("#123 и снова #123", 123),
    ("Комментарий к заявке #7:\nтекст", 7),
    ("Заявки #12 и #13", None),
    ("Без номера", None),
    ("", None),
    (None, None),
    ("# 12", None),
    ("#12345678901", None),  # longer than any issue number: not a number we made
    # The first line names the issue; a staff comment below may mention others.
    ("Заявка #12 «Принтер»\n— Сергей: это дубль #13, см. #14", 12),
    ("#12 «Принтер»: Открыта → Решена\nсм. #12", 12),
    ("Ответ по заявке\nв #5 всё готово", 5),
    ("Ответ по заявке\nсм. заявку #5\nспасибо", 5),  # a number at the end of a line is still whole
    ("Ответ по заявке\nв #5 и #6", None),
    ("Заявки #1 и #2\nподробнее в #1", None),
])
def test_issue_named_in(text: str | None, issue: int | None) -> None:
    assert issue_named_in(text) == issue


# ---------------------------------------------------------------- callback data

ids = st.integers(min_value=0, max_value=2**53)
callbacks = st.one_of(
    st.builds(Callback, verb=st.sampled_from(["view", "refresh", "comment", "portal", "remark"]), issue_id=ids),
    st.builds(Callback, verb=st.sampled_from(["new", "reopen", "as_comment", "drop"]), job_id=ids),
    st.builds(Callback, verb=st.just("rate"), issue_id=ids, rate=st.sampled_from(RATES)),
    st.builds(Callback, verb=st.just("entity"), entity_id=ids),
    st.sampled_from([Callback(v) for v in ("unlink", "unlink_yes", "relink", "company_yes", "company_no")]),
    st.builds(Callback, verb=st.just("list"), page=ids),
    st.builds(Callback, verb=st.just("add"), job_id=ids, issue_id=ids),
    st.builds(Callback, verb=st.just("new"), job_id=ids),
    st.just(Callback("cancel")),
)


@settings(max_examples=300, deadline=None)
@given(callbacks)
def test_every_callback_survives_encoding_within_telegrams_64_bytes(cb: Callback) -> None:
    data = encode(cb)
    assert isinstance(data, bytes) and len(data) <= 64
    assert decode(data) == cb


@pytest.mark.parametrize(("data", "cb"), [
    (b"v:5", Callback("view", issue_id=5)),
    (b"r:5", Callback("refresh", issue_id=5)),
    (b"c:5", Callback("comment", issue_id=5)),
    (b"p:5", Callback("portal", issue_id=5)),
    (b"l:0", Callback("list", page=0)),
    (b"a:3:5", Callback("add", job_id=3, issue_id=5)),
    (b"n:3", Callback("new", job_id=3)),
    (b"x", Callback("cancel")),
    (b"rt:5:1", Callback("rate", issue_id=5, rate="bad")),
    (b"rt:5:3", Callback("rate", issue_id=5, rate="good")),
    (b"rm:5", Callback("remark", issue_id=5)),
    (b"ro:3", Callback("reopen", job_id=3)),
    (b"ac:3", Callback("as_comment", job_id=3)),
    (b"cy", Callback("company_yes")),
    (b"me:12", Callback("entity", entity_id=12)),
])
def test_the_wire_format(data: bytes, cb: Callback) -> None:
    assert encode(cb) == data and decode(data) == cb


def test_a_list_without_a_page_is_the_first_page() -> None:
    assert encode(Callback("list")) == b"l:0"


@pytest.mark.parametrize("data", [
    b"", b":", b"v", b"v:", b"v:abc", b"v:-1", b"v:1:2", b"a:1", b"a:1:2:3", b"x:1", b"n:", b"q:1",
    b"view:1", b"V:1", b"v:1.5", b"p", b"p:", b"p:1:2", b"v:" + str(2**53 + 1).encode(), b"v:" + b"9" * 60,
    "v:١٢".encode(), "в:1".encode(), b"\xff\xfe", b"v:1\x00",
    # Forms int() would take but the bot never makes.
    b"v: 1", b"v:+1", b"v:1_000", b"v:01", b"v:1\n", b"l:-0",
    # A rating the bot never offers, or without its issue.
    b"rt:5:0", b"rt:5:4", b"rt:5", b"rt:5:good", b"rm", b"ro", b"cy:1", b"me",
])
def test_what_the_bot_never_made_is_refused(data: bytes) -> None:
    assert decode(data) is None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64) | st.text(alphabet="vrclanx:0123456789-+ _", max_size=24).map(str.encode))
def test_decode_accepts_only_what_encode_makes(data: bytes) -> None:
    cb = decode(data)
    assert cb is None or encode(cb) == data


def test_a_remark_written_as_a_reply_to_the_rated_issue_is_still_the_remark() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    remark = (AWAITING_COMMENT, {"issue_id": 7, "until": (now + timedelta(minutes=5)).isoformat(), "remark": True})
    assert route(reply_issue_id=7, dialog=remark, now=now) == Route("comment", 7, used_dialog=True, as_is=True)
    assert route(reply_issue_id=None, dialog=remark, now=now) == Route("comment", 7, used_dialog=True, as_is=True)
    # A reply about another issue is an ordinary comment there; the remark stays asked for.
    assert route(reply_issue_id=8, dialog=remark, now=now) == Route("comment", 8)
    # Expired: a reply is an ordinary comment (on a finished issue, the client is asked).
    assert route(reply_issue_id=7, dialog=remark, now=now + timedelta(minutes=6)) == Route("comment", 7)
