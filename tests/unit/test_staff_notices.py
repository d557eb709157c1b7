"""The words of staff notices, read as a support employee who never heard of the bot: the bot named as
the support desk's Telegram channel, the client by name, what they missed and since when (as Okdesk
dates things, in the account's time zone), what to do; Russian only, no code or English reason."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from syncd.sync import notices as words
from syncd.sync.notices import (
    ACCOUNT_DELETED,
    BLOCKED,
    CAUSES,
    PARKED,
    REACHABLE_AGAIN,
    REASONS,
    TOO_LARGE,
    UNREACHABLE,
    client_words,
    okdesk_time,
    parked_cause,
    reopen_note,
    staff_notice,
)

MSK = timezone(timedelta(hours=3))
SINCE = datetime(2026, 12, 8, 6, 5, tzinfo=timezone.utc)  # 09:05 in Moscow
CLIENT = "Петров Иван"
CHANNEL = "Telegram-канал"
CALL = "Что сделать: позвоните клиенту или напишите ему другим способом (например, по электронной почте)."
# Latin words a notice may carry: the two products' names. Anything else is a code or an English reason.
ALLOWED_LATIN = {"Telegram", "Okdesk"}


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)) - ALLOWED_LATIN


def every_notice() -> list[str]:
    out = []
    for reason in sorted(REASONS):
        for cause in CAUSES:
            out.append(staff_notice(reason, client=CLIENT, tz=MSK, what="comment", since=SINCE, cause=cause,
                                    name="отчёт", size="60 МБ", limit="50 МБ"))
    return out


def test_a_client_who_blocked_the_bot() -> None:
    assert staff_notice(BLOCKED, client=CLIENT, tz=MSK, what="comment", since=SINCE) == (
        "Клиент Петров Иван заблокировал Telegram-канал службы поддержки (бот) и не получает в Telegram "
        "сообщения по этой заявке.\n"
        "Не доставлено с 08.12.2026 09:05: ответ сотрудника.\n"
        + CALL + " Когда клиент снова напишет боту, пропущенное будет доставлено ему автоматически, а здесь "
        "появится отметка об этом.")


def test_the_follow_up_when_the_client_is_back() -> None:
    assert staff_notice(REACHABLE_AGAIN, client=CLIENT, tz=MSK, since=SINCE) == (
        "Клиент Петров Иван снова на связи в Telegram: он вернулся в Telegram-канал службы поддержки (бот). "
        "Сообщения по "
        "этой заявке, которые он пропустил с 08.12.2026 09:05, сейчас будут доставлены ему в Telegram "
        "автоматически.\n"
        "Что сделать: ничего. Если вы уже связались с клиентом другим способом, эти сообщения он всё равно "
        "получит и в Telegram.")
    with pytest.raises(ValueError):  # "since when" is the point of it
        staff_notice(REACHABLE_AGAIN, client=CLIENT, tz=MSK)


def test_a_stored_address_telegram_refuses() -> None:
    text = staff_notice(UNREACHABLE, client=CLIENT, tz=MSK, what="status", since=SINCE)
    assert text.splitlines() == [
        "Клиент Петров Иван не получает сообщения по этой заявке из Telegram-канала службы поддержки (бота): "
        "Telegram не принимает сохранённый адрес клиента.",
        "Не доставлено с 08.12.2026 09:05: смена статуса.",
        CALL + " Когда клиент снова напишет боту, пропущенное будет доставлено ему автоматически, а здесь "
        "появится отметка об этом.",
    ]
    assert "заблокировал" not in text  # not called a block


def test_a_deleted_account_on_the_issue_that_found_it_and_on_another() -> None:
    own = staff_notice(ACCOUNT_DELETED, client=CLIENT, tz=MSK, what="files", since=SINCE)
    assert own.splitlines() == [
        "Клиент Петров Иван удалил свой аккаунт Telegram: сообщения по этой заявке из Telegram-канала службы "
        "поддержки (бота) до него больше не дойдут, и его связь с ботом забыта.",
        "Не доставлено с 08.12.2026 09:05: файлы, добавленные сотрудником.",
        "Что сделать: свяжитесь с клиентом по телефону или по электронной почте. В Telegram ответы снова начнут "
        "приходить ему, только если он заново подключится к боту с нового аккаунта.",
    ]
    other = staff_notice(ACCOUNT_DELETED, client=CLIENT, tz=MSK, what="waiting")
    assert other.splitlines()[1] == "Не доставлено: сообщения, ожидавшие отправки."


@pytest.mark.parametrize(("service", "outage", "words_"), [
    ("telegram", False, "Telegram отказался его принять"),
    ("telegram", True, "Telegram слишком долго был недоступен"),
    ("okdesk", False, "файлы этого сообщения не удалось получить из Okdesk"),
    ("okdesk", True, "Okdesk слишком долго был недоступен"),
    ("elsewhere", False, "его не удалось доставить, подробности — в журнале бота"),
])
def test_a_delivery_given_up_says_why_in_staffs_words(service: str, outage: bool, words_: str) -> None:
    text = staff_notice(PARKED, client=CLIENT, tz=MSK, what="confirmation", since=SINCE,
                        cause=parked_cause(service, outage))
    assert text.splitlines() == [
        "Клиент Петров Иван не получил сообщение по этой заявке из Telegram-канала службы поддержки (бота): "
        f"{words_}. Попытки доставки прекращены.",
        "Не доставлено: подтверждение, что его сообщение принято от 08.12.2026 09:05.",
        CALL,
    ]


def test_a_file_over_the_limit() -> None:
    text = staff_notice(TOO_LARGE, client=CLIENT, tz=MSK, since=SINCE, name="отчёт.pdf", size="60 МБ",
                        limit="50 МБ")
    assert text == (
        "Файл «отчёт.pdf» (60 МБ), добавленный 08.12.2026 09:05, больше предела для передачи в Telegram "
        "(50 МБ), поэтому клиент Петров Иван получил из Telegram-канала службы поддержки (бота) только его "
        "название.\n"
        "Что сделать: отправьте файл клиенту другим способом (например, по электронной почте) или приложите "
        "файл меньшего размера.")


def test_dates_are_okdesks_in_the_accounts_time_zone() -> None:
    assert okdesk_time(SINCE, MSK) == "08.12.2026 09:05"
    assert okdesk_time(SINCE, timezone(timedelta(hours=10))) == "08.12.2026 16:05"
    late = datetime(2026, 12, 31, 22, 30, tzinfo=timezone.utc)
    assert okdesk_time(late, MSK) == "01.01.2027 01:30"  # the account's day, not UTC's


def test_a_kind_of_delivery_no_words_were_chosen_for_is_still_said_in_russian() -> None:
    assert words.what_words("rating_thanks") == "сообщение по заявке"
    assert words.what_words("") == words.what_words(None) == "сообщение по заявке"
    assert "rating_thanks" not in staff_notice(PARKED, client=CLIENT, tz=MSK, what="rating_thanks", since=SINCE,
                                               cause="telegram_refused")


def test_the_client_is_named_by_their_contact_or_said_to_have_no_name() -> None:
    assert client_words(["  Петров   Иван "]) == "Петров Иван"
    assert client_words(["Белова Алиса", "", "Орлов Борис"]) == "Белова Алиса, Орлов Борис"
    assert staff_notice(BLOCKED, client=client_words([""]), tz=MSK, since=SINCE).startswith(
        "Клиент без имени заблокировал")


def test_an_unknown_reason_is_a_bug_not_a_notice() -> None:
    with pytest.raises(ValueError):
        staff_notice("mystery", client=CLIENT, tz=MSK)


def test_every_notice_names_the_channel_and_what_to_do_in_russian_only() -> None:
    for text in every_notice():
        assert CHANNEL in text and "\nЧто сделать: " in text
        assert "[syncd]" not in text and "syncd" not in text.lower()
        assert not latin_words(text), text
        assert not re.search(r"\b\d{3}\b(?! МБ)", text.replace("2026", "")), text  # no HTTP code


def test_the_reopening_note_names_the_client_where_the_setting_asks() -> None:
    assert reopen_note("Клиент {client} возобновил заявку", "Петров Иван") == "Клиент Петров Иван возобновил заявку"
    assert reopen_note("Возобновлено {x}", "Петров Иван") == "Возобновлено {x}"  # not a format string
