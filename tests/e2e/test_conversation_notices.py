"""Staff notices as a support employee who never heard of the bot reads them in Okdesk, with `syncd run`
as a subprocess: private comments signed by the configured employee, in Russian, naming the bot as the
support desk's Telegram channel and the client by name, saying what the client missed and since when
(as Okdesk shows dates, in the account's time zone) and what to do; no English reason, code or
"[syncd]". A client who comes back after blocking the bot is followed up once; a reopening by the client
carries a private comment naming them."""

from __future__ import annotations

import html
import random
import re
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.e2e.helpers import client_with_issue, db_rows, eventually, outbox, wait_text
from tests.e2e.inbound_steps import callback_data
from tests.okdesk_emulator import Upload

pytestmark = pytest.mark.e2e

CHANNEL = "Telegram-канал службы поддержки (бот)"
CALL = "Что сделать: позвоните клиенту или напишите ему другим способом (например, по электронной почте)."
UNTIL_BACK = (" Когда клиент снова напишет боту, пропущенное будет доставлено ему автоматически, а здесь появится "
              "отметка об этом.")


def as_staff_read(comment: dict[str, Any], employee: int, *names: str) -> str:
    """A notice's words as Okdesk shows them, after checking what every notice must be: private, signed
    by the employee, with no Latin word but Telegram, Okdesk and the ``names`` it quotes (a file's)."""
    assert comment["public"] is False and comment["author"]["id"] == employee
    text = html.unescape(comment["content"].replace("<br>", "\n"))
    words = text
    for name in names:
        words = words.replace(name, "")
    assert set(re.findall(r"[A-Za-z]\w*", words)) <= {"Telegram", "Okdesk"}, text
    assert "syncd" not in text.lower() and "\nЧто сделать: " in text
    return text


def staff_notices(emu: Any, issue_id: int, employee: int, words: str) -> list[dict[str, Any]]:
    return [c for c in emu.comments_by(issue_id, author=("employee", employee)) if words in c["content"]]


def okdesk_date(emu: Any, stored: str) -> str:
    moment = datetime.fromisoformat(stored).replace(tzinfo=timezone.utc)
    return moment.astimezone(emu.tz).strftime("%d.%m.%Y %H:%M")


def name_of_client(daemon: Any) -> str:
    (row,) = db_rows(daemon, "SELECT contact_name FROM links")
    return str(row["contact_name"])


def test_staff_read_of_a_client_who_blocked_the_bot_came_back_and_reopened(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер",
                                                           okdesk={"employee_id": employee})
    name = name_of_client(daemon)
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>Проверьте, пожалуйста, кабель</p>", author=("employee", employee))
    (blocked,) = eventually(lambda: staff_notices(emu, issue_id, employee, "заблокировал"), what="the notice")
    (missed,) = [r for r in outbox(daemon) if r["kind"] == "telegram" and r["state"] == "pending"]
    since = okdesk_date(emu, missed["created_at"])
    assert as_staff_read(blocked, employee) == (
        f"Клиент {name} заблокировал {CHANNEL} и не получает в Telegram сообщения по этой заявке.\n"
        f"Не доставлено с {since}: ответ сотрудника.\n" + CALL + UNTIL_BACK)

    # The client unblocks the bot and writes: what they missed reaches them, and staff read that once.
    tg.unblock_user(user)
    tg.send_text(user, "Извините, я был недоступен")
    (delivered,) = wait_text(tg, user, "Проверьте, пожалуйста, кабель")
    (back,) = eventually(lambda: staff_notices(emu, issue_id, employee, "снова на связи"), what="the follow-up")
    assert as_staff_read(back, employee) == (
        f"Клиент {name} снова на связи в Telegram: он вернулся в {CHANNEL}. Сообщения по этой заявке, которые "
        f"он пропустил с {since}, сейчас будут доставлены ему в Telegram автоматически.\n"
        "Что сделать: ничего. Если вы уже связались с клиентом другим способом, эти сообщения он всё равно "
        "получит и в Telegram.")

    # Solved; the client replies and reopens it: staff read who reopened it, where, and where the reason is.
    emu.set_status(issue_id, "completed")
    (solved,) = eventually(lambda: [m for m in tg.sent_to(user) if m.id > delivered.id
                                    and f"#{issue_id}" in (m.text or "")][:1], what="the status message")
    tg.send_text(user, "Принтер снова не печатает", reply_to=solved.id)
    asked = eventually(lambda: next((m for m in tg.sent_to(user) if any(d.startswith(b"ro:")
                                                                        for d in callback_data(m))), None),
                       what="the reopen question")
    tg.press_button(user, asked.id, next(d for d in callback_data(asked) if d.startswith(b"ro:")))
    eventually(lambda: emu.comments_by(issue_id, author=("contact", contact_id)), what="the client's comment")
    (note,) = emu.comments_by(issue_id, author=("employee", emu.api_employee_id))
    assert note["public"] is False and html.unescape(note["content"]) == (
        f"Клиент {name} возобновил заявку через {CHANNEL}. Причина — в его комментарии, добавленном следом.")
    assert emu.get_issue(issue_id)["status"]["code"] == "opened"
    daemon.wait_cycles(3)
    assert len(staff_notices(emu, issue_id, employee, "снова на связи")) == 1
    assert not any(CHANNEL in (m.text or "") for m in tg.sent_to(user))  # staff's words never reach the client


def test_staff_read_of_a_delivery_given_up_and_a_file_over_the_limit(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(
        make_daemon, emu, tg, "Нет доступа к почте", okdesk={"employee_id": employee},
        sync={"retry_budget": 2, "retry_cap": 0.5, "max_file_mb": 0.5})
    name = name_of_client(daemon)
    # Telegram refuses every message to this client (an error of the message, not an outage).
    tg.fail_next("SendMessage", "MESSAGE_EMPTY", code=400, times=None, user=user)
    emu.add_comment(issue_id, "<p>Пароль сброшен</p>", author=("employee", employee))
    daemon.wait_event("delivery_parked", timeout=30)
    (parked,) = eventually(lambda: staff_notices(emu, issue_id, employee, "Попытки доставки прекращены"),
                           timeout=20, what="the notice")
    (row,) = [r for r in outbox(daemon) if r["kind"] == "telegram" and r["state"] == "failed"]
    text = as_staff_read(parked, employee)
    assert text == (
        f"Клиент {name} не получил сообщение по этой заявке из Telegram-канала службы поддержки (бота): "
        "Telegram отказался его принять. Попытки доставки прекращены.\n"
        f"Не доставлено: ответ сотрудника от {okdesk_date(emu, row['created_at'])}.\n" + CALL)
    assert "MESSAGE_EMPTY" in row["last_error"] and "MESSAGE_EMPTY" not in text  # the reason's code: the log's

    emu.add_comment(issue_id, "<p>Дамп во вложении</p>", author=("employee", employee),
                    attachments=[Upload("дамп базы.zip", data=random.randbytes(700 * 1024))])
    (large,) = eventually(lambda: staff_notices(emu, issue_id, employee, "больше предела"), what="the notice")
    (comment,) = [c for c in emu.get_comments(issue_id) if "Дамп во вложении" in c["content"]]
    added = datetime.fromisoformat(comment["published_at"]).astimezone(emu.tz).strftime("%d.%m.%Y %H:%M")
    assert as_staff_read(large, employee, "дамп базы.zip") == (
        f"Файл «дамп базы.zip» (700 КБ), добавленный {added}, больше предела для передачи в Telegram (512 КБ), "
        f"поэтому клиент {name} получил из Telegram-канала службы поддержки (бота) только его название.\n"
        "Что сделать: отправьте файл клиенту другим способом (например, по электронной почте) или приложите "
        "файл меньшего размера.")
