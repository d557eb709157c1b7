"""Button presses are answered at once, whatever Okdesk and the client's own slow work are doing.

Telegram takes a press's answer only within a few seconds (the test server: 3 s, then QUERY_ID_INVALID;
Telethon issue #4073). Here Okdesk answers 15 s late and the client's lock is held by their album (its
question waits for Okdesk's list of their issues): a rating and a portal press are still answered within
a second, and what they asked for is done, once, when Okdesk answers.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import answer_to, db_rows, eventually, start_with_issue, wait_text
from tests.e2e.inbound_steps import callback_data, open_card
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e

LATE = 15.0  # seconds Okdesk takes to answer
SENDING, THANKS = "⏳ Отправляем оценку…", "Спасибо за оценку!"
WAIT, LINK_TEXT = "⏳ Готовим ссылку для входа…", "Ссылка для входа в клиентский портал"
OFFER = "Создать заявку из этого сообщения?"
ASKING_UNASKED = "SELECT id FROM inbound_jobs WHERE state = 'asking' AND ask_message_id IS NULL"


def test_presses_are_answered_at_once_while_okdesk_and_the_clients_lock_are_slow(make_daemon, emu, tg,
                                                                                  employee) -> None:
    # The daemon waits for Okdesk's late answers (no timeout and retry in between).
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Принтер", okdesk={"timeout": LATE + 5})
    card = open_card(tg, user, issue_id)
    emu.set_status(issue_id, "completed", author=("employee", employee))
    rate = f"rt:{issue_id}:3".encode()
    notice = tg.wait_for(lambda: next((m for m in tg.sent_to(user) if rate in callback_data(m)), None))

    emu.options.latency = LATE
    # An album without context: once gathered, its question lists the client's issues in Okdesk, and
    # the client's lock is held until Okdesk answers (the job waits, not yet asked about).
    tg.send_album(user, [dict(kind="photo", data=make_png(60, 40), caption="Снова замятие"),
                         dict(kind="photo", data=make_png(61, 40))])
    eventually(lambda: db_rows(daemon, ASKING_UNASKED), what="the album's question waiting for Okdesk")
    pressed = [tg.press_button(user, notice.id, rate), tg.press_button(user, card.id, f"p:{issue_id}".encode())]
    answers = [answer_to(tg, q) for q in pressed]
    emu.options.latency = 0.0  # what was asked meanwhile still comes LATE seconds late
    assert [round(a.delay, 2) for a in answers if a.delay >= 1] == []
    assert [(a.message, a.alert) for a in answers] == [(SENDING, False), (WAIT, False)]
    assert not [m for m in tg.sent_to(user) if OFFER in (m.text or "")], "the lock was not held meanwhile"

    # Done once Okdesk answered: the rating written once, the link sent, the album asked about.
    wait_text(tg, user, THANKS, timeout=LATE + 10)
    wait_text(tg, user, LINK_TEXT, timeout=LATE + 10)
    wait_text(tg, user, OFFER, timeout=LATE + 10)
    assert emu.rates_of(issue_id) == ["good"] and emu.issue_rate(issue_id) == "good"
    assert len(emu.login_links) == 1
    assert [a for a in tg.callback_answers if not a.accepted] == []
    assert not daemon.find("callback_answer_too_late") and not daemon.find("callback_answered_by_fallback")


def test_an_answer_telegram_refuses_as_late_stops_nothing(make_daemon, emu, tg, employee) -> None:
    tg.options.callback_answer_deadline = 0.0  # every answer is too late: QUERY_ID_INVALID
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Сканер")
    emu.set_status(issue_id, "completed", author=("employee", employee))
    rate = f"rt:{issue_id}:2".encode()
    notice = tg.wait_for(lambda: next((m for m in tg.sent_to(user) if rate in callback_data(m)), None))
    query = tg.press_button(user, notice.id, rate)
    # The refused answer is logged and the work goes on: rated once, thanked in a message.
    wait_text(tg, user, THANKS)
    assert [(a.query_id, a.accepted) for a in tg.callback_answers] == [(query, False)]
    assert emu.rates_of(issue_id) == ["normal"]
    daemon.wait_event("callback_answer_too_late", tg_user_id=user.id)
    assert daemon.errors() == []
