"""The Okdesk side of a job (syncd.relay.posting): titles, bodies, and the search for what a
POST whose answer was lost created."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.okdesk.models import Attachment, Comment, Issue, IssueSummary
from syncd.relay.content import Combined, Content, IncomingFile, typed_html
from syncd.relay.posting import (
    Dropped,
    body_html,
    find_comment,
    issue_candidates,
    issue_matches,
    plain,
    title_for,
)
from tests.okdesk_emulator.sanitize import rewrite_html

CONTACT = 7
SINCE = datetime(2026, 11, 27, 11, 0, 0, tzinfo=timezone.utc)
LIMIT = "2 ГБ"


def att(name: str, aid: int = 1) -> Attachment:
    return Attachment(id=aid, file_name=name, size=10, is_public=True, description="", created_at=SINCE)


def comment(cid: int, html: str, *, names: tuple[str, ...] = (), author: int = CONTACT, kind: str = "contact",
            at: datetime | None = SINCE + timedelta(seconds=1)) -> Comment:
    return Comment(id=cid, content_html=html, public=True, published_at=at, author_id=author, author_type=kind,
                   author_name="Петров Иван", attachments=tuple(att(n, cid * 100 + i) for i, n in enumerate(names)))


def summary(iid: int, title: str, *, contact: int | None = CONTACT,
            created: datetime | None = SINCE + timedelta(seconds=1)) -> IssueSummary:
    return IssueSummary(id=iid, title=title, status_code="opened", status_name="Открыта", contact_id=contact,
                        company_id=None, created_at=created, updated_at=created, comments_count=0,
                        comments_last_at=None)


def issue(iid: int, description: str, names: tuple[str, ...] = ()) -> Issue:
    return Issue(id=iid, title="t", status_code="opened", status_name="Открыта", contact_id=CONTACT, company_id=None,
                 created_at=SINCE, updated_at=SINCE, comments_count=0, comments_last_at=None,
                 description=description, attachments=tuple(att(n, i) for i, n in enumerate(names)))


def text(typed: str, *names: str, extra: tuple[str, ...] = (), kind_key: str | None = None) -> Combined:
    files = tuple(IncomingFile("document", n, 10, f"document:{i}") for i, n in enumerate(names))
    return Combined((Content(typed=typed, typed_html=typed_html(typed, None) if typed else "", extra_lines=extra,
                             files=files, kind_key=kind_key),))


def find(comments: list[Comment], expected: str, *, sent: tuple[str, ...] = (), every: tuple[str, ...] | None = None,
         claimed: frozenset[int] = frozenset(), since: datetime = SINCE) -> Comment | None:
    return find_comment(comments, contact_id=CONTACT, since=since, expected_html=expected, sent_names=list(sent),
                        all_names=list(sent if every is None else every), claimed=set(claimed))


# ---------------------------------------------------------------- plain()


@pytest.mark.parametrize(("html", "words"), [
    ("Не <b>печатает</b> принтер", "Не печатает принтер"),
    ("строка 1<br>строка 2", "строка 1 строка 2"),
    ("<p>строка 1<br />строка 2</p>", "строка 1 строка 2"),
    ("<p>строка 1</p><p>строка 2</p>", "строка 1 строка 2"),
    ("<div>a</div><DIV>b</DIV>a<BR/>b", "a b a b"),
    ("&quot;кавычки&quot; &amp; &lt;теги&gt; &#39;", "\"кавычки\" & <теги> '"),
    ('<a href="https://ex.com/?a=1&amp;b=2">ссылка</a>', "ссылка"),
    ("  много   \n пробелов\t", "много пробелов"),
    ("", ""),
])
def test_plain(html: str, words: str) -> None:
    assert plain(html) == words


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80))
def test_plain_does_not_see_okdesks_rewrite(typed: str) -> None:
    ours = typed_html(typed, None)
    assert plain(rewrite_html(ours)) == plain(ours)


# ---------------------------------------------------------------- find_comment()


def test_the_comment_by_the_contact_with_the_same_words_and_files_is_found() -> None:
    ours = body_html(text("Вот фото счётчика", "photo_1.jpg"), [], LIMIT)
    comments = [
        comment(1, "Вот фото счётчика", names=("photo_1.jpg",), kind="employee", author=CONTACT),
        comment(2, "Вот фото счётчика", names=("photo_1.jpg",), author=99),
        comment(3, "Другие слова", names=("photo_1.jpg",)),
        comment(4, "Вот фото счётчика", names=("photo_2.jpg",)),
        comment(5, "Вот фото счётчика", names=("photo_1.jpg",)),
    ]
    assert find(comments, ours, sent=("photo_1.jpg",)).id == 5


def test_what_is_older_than_the_first_try_is_not_ours_within_the_clock_slack() -> None:
    ours = body_html(text("Привет"), [], LIMIT)
    assert find([comment(1, "Привет", at=SINCE - timedelta(seconds=60))], ours) is None
    assert find([comment(1, "Привет", at=SINCE - timedelta(seconds=4))], ours).id == 1
    assert find([comment(1, "Привет", at=SINCE - timedelta(seconds=6))], ours) is None
    assert find([comment(1, "Привет", at=None)], ours).id == 1  # no date shown: words and files decide


def test_claimed_comments_are_skipped_and_the_oldest_unclaimed_wins() -> None:
    ours = body_html(text("Привет"), [], LIMIT)
    comments = [comment(9, "Привет"), comment(3, "Привет"), comment(5, "Привет")]
    assert find(comments, ours).id == 3
    assert find(comments, ours, claimed=frozenset({3})).id == 5
    assert find(comments, ours, claimed=frozenset({3, 5, 9})) is None


def test_file_names_match_as_a_multiset_of_all_files_or_those_of_the_last_try() -> None:
    ours = body_html(text("Фото", "a.jpg", "a.jpg", "b.pdf"), [], LIMIT)
    every = ("a.jpg", "a.jpg", "b.pdf")
    assert find([comment(1, "Фото", names=("b.pdf", "a.jpg", "a.jpg"))], ours, sent=every).id == 1
    assert find([comment(1, "Фото", names=("a.jpg", "b.pdf"))], ours, sent=every) is None
    assert find([comment(1, "Фото", names=("a.jpg", "a.jpg", "b.pdf", "b.pdf"))], ours, sent=every) is None
    # The last try sent only b.pdf (the photos were refused): either set is ours.
    assert find([comment(1, "Фото", names=("b.pdf",))], ours, sent=("b.pdf",), every=every).id == 1
    assert find([comment(1, "Фото", names=every)], ours, sent=("b.pdf",), every=every).id == 1
    assert find([comment(1, "Фото", names=("a.jpg",))], ours, sent=("b.pdf",), every=every) is None
    assert find([comment(1, "Фото")], ours, sent=("b.pdf",), every=every) is None


def test_leading_words_are_compared_through_okdesks_html_rewrite() -> None:
    typed = 'Он сказал: "не работает" & <ничего> не помогает\nвторая   строка'
    ours = body_html(text(typed), [], LIMIT)
    rewritten = rewrite_html(ours)
    assert rewritten != ours and rewritten.startswith("<p>") and "<br />" in rewritten and "&quot;" in rewritten
    assert find([comment(1, rewritten)], ours).id == 1
    assert find([comment(1, rewritten.replace("не помогает", "помогает"))], ours) is None


def test_only_the_leading_words_count() -> None:
    typed = "Начало длинного сообщения, " * 10
    ours = body_html(text(typed), [], LIMIT)
    cut_late = "<p>" + typed[:-20] + "…</p>"  # differs only after the first 60 characters
    assert find([comment(1, cut_late)], ours).id == 1
    assert find([comment(1, "<p>Начало другого сообщения</p>")], ours) is None


def test_dropped_file_lines_after_the_words_do_not_hide_the_comment() -> None:
    combined = text("Смотрите видео", "big.mp4")
    sent = body_html(combined, [Dropped("big.mp4", "reason_okdesk_too_large", index=0)], LIMIT)
    assert find([comment(1, rewrite_html(sent))], body_html(combined, [], LIMIT), every=("big.mp4",)).id == 1


@settings(max_examples=150, deadline=None)
@given(typed=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=120),
       dropped=st.lists(st.sampled_from(["a.jpg", "b.mp4"]), max_size=2, unique=True))
def test_whatever_was_sent_is_found_again(typed: str, dropped: list[str]) -> None:
    """The body of any try (with or without files dropped by then), as Okdesk shows it, is recognised
    by the search of the next try."""
    combined = text(typed, "a.jpg", "b.mp4")
    gone = [Dropped(n, "reason_over_limit", index=i) for i, n in enumerate(dropped)]
    sent_names = tuple(n for n in ("a.jpg", "b.mp4") if n not in dropped)
    shown = comment(1, rewrite_html(body_html(combined, gone, LIMIT)), names=sent_names)
    expected = body_html(combined, [], LIMIT)
    assert find([shown], expected, sent=sent_names, every=("a.jpg", "b.mp4")) == shown


# ---------------------------------------------------------------- issues


def test_issue_candidates_are_the_contacts_unclaimed_recent_issues_with_the_title() -> None:
    issues = [
        summary(1, "Не печатает принтер"),
        summary(2, "Не  печатает\nпринтер"),  # whitespace does not matter
        summary(3, "Не печатает принтер", contact=99),
        summary(4, "Не печатает сканер"),
        summary(5, "Не печатает принтер", created=SINCE - timedelta(minutes=5)),
        summary(6, "Не печатает принтер", created=SINCE - timedelta(seconds=3)),  # within the clock slack
        summary(7, "Не печатает принтер", created=None),
        summary(8, "Не печатает принтер"),
    ]
    got = issue_candidates(issues, contact_id=CONTACT, since=SINCE, title="Не печатает принтер", claimed={8})
    assert [i.id for i in got] == [1, 2, 6, 7]


def test_an_issue_matches_by_description_and_file_names() -> None:
    ours = body_html(text("Не печатает принтер", "photo.jpg"), [], LIMIT)
    every = ("photo.jpg",)
    assert issue_matches(issue(1, rewrite_html(ours), every), expected_html=ours, sent_names=every, all_names=every)
    # Okdesk's answer may list no attachments: the words decide then.
    assert issue_matches(issue(1, rewrite_html(ours)), expected_html=ours, sent_names=every, all_names=every)
    assert not issue_matches(issue(1, rewrite_html(ours), ("other.jpg",)), expected_html=ours, sent_names=every,
                             all_names=every)
    assert not issue_matches(issue(1, "<p>Не печатает сканер</p>", every), expected_html=ours, sent_names=every,
                             all_names=every)


# ---------------------------------------------------------------- titles and bodies


@pytest.mark.parametrize(("combined", "title"), [
    (text("  Не печатает\nпринтер  ", "scan.pdf"), "Не печатает принтер"),
    (text("Не печатает принтер. " + "Подробности " * 10), "Не печатает принтер."),
    (text("", "Акт сверки за ноябрь.pdf", "b.jpg"), "Акт сверки за ноябрь.pdf"),
    (text("", extra=("55.700000, 37.600000", "https://yandex.ru/maps/"), kind_key="kind_location"), "Местоположение"),
    (text("", extra=("Контакт: Иван, +79123456789",), kind_key="kind_contact"), "Контакт"),
    (text("", extra=("😂",)), "😂"),  # words with no kind of their own
    (Combined(), "Сообщение из Telegram"),
])
def test_title_for(combined: Combined, title: str) -> None:
    assert title_for(combined, "ru") == title


def test_title_for_in_english() -> None:
    assert title_for(text("", extra=("55.7, 37.6",), kind_key="kind_location"), "en") == "Location"


def test_title_for_a_sticker_is_its_file_name() -> None:
    sticker = Combined((Content(extra_lines=("😂",), files=(IncomingFile("sticker", "sticker_1.webp", 5, "d:1"),)),))
    assert title_for(sticker, "ru") == "sticker_1.webp"


def test_the_body_is_the_clients_words_then_each_dropped_file_in_russian() -> None:
    combined = text("Смотрите <вложения>", "a.jpg", "b.mp4", "c.pdf", "d.zip")
    dropped = [Dropped("b.mp4", "reason_over_limit", index=1),
               Dropped("c.pdf", "reason_okdesk_refused", "расширение запрещено", index=2),
               Dropped("d.zip", "reason_okdesk_down", "5", index=3)]
    assert body_html(combined, dropped, LIMIT).split("<br>") == [
        "Смотрите &lt;вложения&gt;",
        "[Файл «b.mp4» не прикреплён: файл больше 2 ГБ]",
        # Okdesk's own words (kept by an older row) are never shown: the plain reason only.
        "[Файл «c.pdf» не прикреплён: система поддержки не приняла файл]",
        "[Файл «d.zip» не прикреплён: система поддержки не принимала файлы 5 мин.]",
    ]


def test_a_body_without_words_falls_back_to_what_the_message_was() -> None:
    assert body_html(Combined(), [], LIMIT) == "Сообщение из Telegram"
    assert body_html(text("", "a.jpg"), [], LIMIT) == "Файлы из Telegram: a.jpg"
    location = text("", extra=("55.7, 37.6", "https://yandex.ru/maps/?pt=37.6,55.7&z=16"), kind_key="kind_location")
    assert body_html(location, [], LIMIT) == "55.7, 37.6<br>https://yandex.ru/maps/?pt=37.6,55.7&amp;z=16"


def test_file_names_in_dropped_lines_are_escaped() -> None:
    body = body_html(text("x", "<script>.js"), [Dropped("<script>.js", "reason_unavailable", index=0)], LIMIT)
    assert "<script>" not in body and "«&lt;script&gt;.js»" in body


def test_a_body_without_words_starts_the_same_whatever_was_dropped() -> None:
    body = body_html(text("", "a.jpg"), [Dropped("a.jpg", "reason_over_limit", index=0)], LIMIT)
    assert body == "Файлы из Telegram: a.jpg<br>[Файл «a.jpg» не прикреплён: файл больше 2 ГБ]"
