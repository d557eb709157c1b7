"""Okdesk's answers whose shape is undocumented or only reported: a refusal of an issue's ``author``,
the portal link's answer, a comment's files without names, and the reopening's status comment."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from syncd.config import OkdeskSettings
from syncd.okdesk.errors import (
    OkdeskError,
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskTokenRefused,
    OkdeskValidationError,
)
from syncd.okdesk.models import Attachment, Comment, parse_attachment
from syncd.okdesk.portal import find_link
from syncd.relay.author import describe, read_record, refuses_author
from syncd.relay.posting import find_comment
from syncd.relay.reopening import reopen_comment_html

SINCE = datetime(2026, 11, 27, 11, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("exc", "refusal"), [
    (OkdeskForbidden("x", status=403, errors="Доступ запрещен"), True),
    (OkdeskForbidden("x", status=403, errors=None), True),
    (OkdeskValidationError("x", status=422, errors={"author": ["недоступен для вашей роли"]}), True),
    (OkdeskValidationError("x", status=422, errors={"base": ["Недостаточно прав"]}), True),
    (OkdeskValidationError("x", status=422, errors="Недостаточно прав"), True),
    (OkdeskValidationError("x", status=422, errors=["Недостаточно прав"]), True),
    (OkdeskValidationError("x", status=422, errors=None), True),
    # Another field named: the data is at fault, not the author.
    (OkdeskValidationError("x", status=422, errors={"title": ["не может быть пустым"]}), False),
    (OkdeskValidationError("x", status=422, errors={"author": ["…"], "title": ["…"]}), False),
    (OkdeskValidationError("x", status=422, errors={"attachments": ["Недопустимый тип файла"]}), False),
    (OkdeskValidationError("x", status=400, errors="Неверный запрос"), False),
    # The token refused as a whole: nothing was judged.
    (OkdeskTokenRefused("x", status=401, errors="Неверный api_token"), False),
    (OkdeskNotFound("x", status=404), False),
    (OkdeskError("x", status=500), False),
])
def test_what_counts_as_a_refusal_of_the_author(exc: OkdeskError, refusal: bool) -> None:
    assert refuses_author(exc) is refusal


def test_the_refusal_in_short_and_records_of_older_versions() -> None:
    assert describe(OkdeskForbidden("x", status=403, errors="Доступ запрещен")) == '403, "Доступ запрещен"'
    assert describe(OkdeskValidationError("x", status=422, errors={"base": ["Нет"]})) == '422, "{"base": ["Нет"]}"'
    assert describe(OkdeskForbidden("x", status=403)) == "403"
    # An older syncd kept Okdesk's words as plain text: unreadable, so nothing is known (asked again).
    assert read_record("POST /issues/: no right (HTTP 403)") is None and read_record(None) is None


@pytest.mark.parametrize("answer", [
    {"login_link": "https://acme.okdesk.ru/login?token=a", "user_id": 78, "user_type": "contact",
     "user_first_name": "Иван", "user_last_name": "Петров"},
    {"url": "https://acme.okdesk.ru/login?token=a"},
    {"link": "https://acme.okdesk.ru/login?token=a"},
    {"login_link": {"url": "https://acme.okdesk.ru/login?token=a"}},
    {"login_link": {"login_link": "https://acme.okdesk.ru/login?token=a"}},
    "https://acme.okdesk.ru/login?token=a",
])
def test_the_portal_link_is_found_in_every_shape(answer: object) -> None:
    assert find_link(answer) == "https://acme.okdesk.ru/login?token=a"


@pytest.mark.parametrize("answer", [{}, None, [], {"login_link": "javascript:alert(1)"}, {"user_id": 78},
                                    {"errors": "Доступ запрещен"}, {"login_link": 5}])
def test_an_answer_without_a_link_gives_none(answer: object) -> None:
    assert find_link(answer) is None


def nameless(aid: int) -> Attachment:
    return parse_attachment({"id": aid}, lambda _: None)


def comment(cid: int, html: str, files: tuple[Attachment, ...]) -> Comment:
    return Comment(id=cid, content_html=html, public=True, published_at=SINCE + timedelta(seconds=1), author_id=7,
                   author_type="contact", author_name="Петров Иван", attachments=files)


def test_a_comment_whose_files_have_no_names_is_found_by_their_number_and_its_words() -> None:
    assert nameless(5).file_name == "file" and not nameless(5).name_known
    named = parse_attachment({"id": 6, "attachment_file_name": "акт.pdf"}, lambda _: None)
    assert named.name_known
    ours = comment(10, "<p>Акт и фото</p>", (nameless(1), nameless(2)))
    other_words = comment(11, "<p>Другое сообщение</p>", (nameless(3), nameless(4)))
    one_file = comment(12, "<p>Акт и фото</p>", (nameless(5),))

    def find(comments: list[Comment], sent: list[str], every: list[str] | None = None) -> Comment | None:
        return find_comment(comments, contact_id=7, since=SINCE, expected_html="Акт и фото", sent_names=sent,
                            all_names=every or sent, claimed=set())

    assert find([other_words, one_file, ours], ["акт.pdf", "фото.jpg"]) is ours
    assert find([other_words, one_file], ["акт.pdf", "фото.jpg"]) is None  # never another's, never one short
    # The try whose files were given up posted one of the two: the count of that try fits.
    assert find([one_file], ["акт.pdf"], ["акт.pdf", "фото.jpg"]) is one_file
    # Named and nameless mixed: the names given must be among ours.
    mixed = comment(13, "<p>Акт и фото</p>", (named, nameless(7)))
    assert find([mixed], ["акт.pdf", "фото.jpg"]) is mixed
    assert find([mixed], ["скан.png", "фото.jpg"]) is None


def test_the_reopening_comment_is_escaped_and_may_be_switched_off() -> None:
    base = OkdeskSettings(url="https://acme.okdesk.ru", api_token="t")
    assert reopen_comment_html(base, "Петров Иван") == (
        "Клиент Петров Иван возобновил заявку через Telegram-канал службы поддержки (бот). "
        "Причина — в его комментарии, добавленном следом.")
    assert reopen_comment_html(replace(base, reopen_comment="Клиент <вернулся>\n  из бота  "), "Петров Иван") == (
        "Клиент &lt;вернулся&gt;<br>из бота")
    # The client's name is put in where the setting asks for it, escaped; other braces stay as written.
    assert reopen_comment_html(replace(base, reopen_comment="{client} {вернулся}"), "<Петров>") == (
        "&lt;Петров&gt; {вернулся}")
    assert reopen_comment_html(replace(base, reopen_comment=" \n "), "Петров Иван") is None
