"""Ownership: forged buttons, replies about other issues, stale buttons after a relink or a hand-over.

Every refusal is a short alert (decided from the database at once) or message (found by asking
Okdesk after the press was answered) that shows nothing of the other issue: no card, no title, no
number, no comment text, no file; and nothing is posted in Okdesk.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.helpers import (
    answer_to,
    eventually,
    link_two_clients,
    result_of,
    wait_baseline,
    wait_text,
)
from tests.e2e.inbound_steps import open_card
from tests.tgserver.limits import callback_data

pytestmark = pytest.mark.e2e

NOT_YOURS = "Эта заявка вам недоступна."
ASKED = "Куда добавить это сообщение?"
ALICE_TITLE = "Секретный проект Алисы"
ALICE_SECRET = "Код от сейфа 4815"


def buttons(markup: Any) -> list[tuple[str, bytes | None]]:
    return [(b.text, callback_data(b)) for row in getattr(markup, "rows", None) or () for b in row.buttons]


def everything_shown_to(tg: Any, user: Any) -> list[str]:
    """Every text, button label and edit the user's chat ever got."""
    shown: list[str] = []
    for m in tg.sent_to(user):
        shown += [m.text or "", m.file_name or ""] + [text for text, _ in buttons(m.reply_markup)]
    for e in tg.edits:
        if e.peer_user_id == user.id:
            shown += [e.text] + [text for text, _ in buttons(e.reply_markup)]
    shown += [a.message or "" for a in tg.callback_answers if a.user_id == user.id]
    return shown


def assert_nothing_of(tg: Any, user: Any, issue_id: int, *needles: str) -> None:
    number = re.compile(rf"#{issue_id}\b")
    leaks = [s for s in everything_shown_to(tg, user) if number.search(s) or any(n in s for n in needles)]
    assert not leaks, f"shown to {user.id}: {leaks}"
    assert not [m for m in tg.sent_to(user) if m.media_kind], "a file was sent"


def refused(tg: Any, query_id: int) -> bool:
    """Refused by the press's alert: the database alone told."""
    answer = answer_to(tg, query_id)
    return answer.alert and answer.message == NOT_YOURS


def refused_either_way(tg: Any, user: Any, query_id: int) -> bool:
    """Refused by the alert, or (Okdesk asked after the answer) by a message."""
    return result_of(tg, user, query_id, NOT_YOURS) == NOT_YOURS


def asked(tg: Any, user: Any, count: int = 1) -> Any:
    """The count-th "where should this go?" question to the user."""
    return wait_text(tg, user, ASKED, count=count)[count - 1]


def job_of(question: Any) -> int:
    return next(int(d.split(b":")[1]) for _, d in buttons(question.reply_markup) if d and d.startswith(b"n:"))


def two_clients(make_daemon: Any, emu: Any, tg: Any, employee: int) -> tuple[Any, ...]:
    """Alice with an issue that has a staff comment, Bob with an issue of his own."""
    daemon = make_daemon().start()
    (alice, a_contact), (bob, b_contact) = link_two_clients(tg, emu, daemon)
    a_issue = emu.add_issue(ALICE_TITLE, contact_id=a_contact)
    b_issue = emu.add_issue("Принтер Бориса", contact_id=b_contact)
    wait_baseline(daemon, a_issue)
    wait_baseline(daemon, b_issue)
    emu.add_comment(a_issue, ALICE_SECRET, author=("employee", employee))
    wait_text(tg, alice, ALICE_SECRET)
    return daemon, alice, a_contact, a_issue, bob, b_contact, b_issue


# ---------------------------------------------------------------- 7. forged callback data


def test_forged_callback_data_is_refused_and_shows_nothing(make_daemon, emu, tg, employee) -> None:
    daemon, alice, a_contact, a_issue, bob, b_contact, b_issue = two_clients(make_daemon, emu, tg, employee)
    tg.send_text(alice, "Где мой пропуск?")
    a_job = job_of(asked(tg, alice))
    tg.send_text(bob, "Вопрос Бориса")
    b_question = asked(tg, bob)
    b_job = job_of(b_question)
    before = len(tg.sent_to(bob))
    forged = [f"v:{a_issue}", f"r:{a_issue}", f"c:{a_issue}", f"a:{a_job}:{b_issue}", f"a:{a_job}:{a_issue}",
              f"n:{a_job}", f"a:{b_job}:{a_issue}", f"v:{a_issue + 1000}", "zz", f"v:{a_issue}:1", "c:-1", "l:x"]
    queries = [tg.press_button(bob, b_question.id, data.encode(), check=False) for data in forged]
    # A press about an issue is answered at once and refused in a message, whether the database already
    # shows the issue is another's or Okdesk must be asked (a forged press learns nothing of which
    # issues the bot follows); a foreign job or undecodable data is refused with an alert.
    by_okdesk = {f"v:{a_issue}", f"r:{a_issue}", f"c:{a_issue}", f"a:{b_job}:{a_issue}", f"v:{a_issue + 1000}"}
    assert [refused(tg, q) for q in queries] == [data not in by_okdesk for data in forged]
    wait_text(tg, bob, NOT_YOURS, count=len(by_okdesk))
    # The forged "Comment" set nothing up: Bob's next message is asked about, not put on Alice's issue.
    tg.send_text(bob, "Следующее сообщение Бориса")
    asked(tg, bob, count=2)
    assert len(tg.sent_to(bob)) == before + len(by_okdesk) + 1
    assert not [e for e in tg.edits if e.peer_user_id == bob.id]
    assert_nothing_of(tg, bob, a_issue, ALICE_TITLE, ALICE_SECRET, "Где мой пропуск")
    assert [c["content"] for c in emu.get_comments(a_issue)] == [ALICE_SECRET]
    assert emu.comments_by(b_issue, author=("contact", b_contact)) == []
    assert [i["id"] for i in emu.issues_of_contact(b_contact)] == [b_issue]
    assert daemon.find("callback_refused_unknown") and daemon.find("callback_refused_foreign_job")
    assert daemon.find("callback_refused_not_owner", issue_id=a_issue)
    # Alice's own question was untouched by the forgeries: her choice still works, once.
    tg.press_button(alice, asked(tg, alice).id, f"n:{a_job}".encode())
    wait_text(tg, alice, "✅ Заявка #")
    issues = eventually(lambda: len(emu.issues_of_contact(a_contact)) == 2 and emu.issues_of_contact(a_contact))
    assert issues[1]["title"] == "Где мой пропуск?"


# ---------------------------------------------------------------- 8. replies about another client's issue


def test_reply_to_another_chats_message_is_not_about_that_issue(make_daemon, emu, tg, employee) -> None:
    """Telegram message ids are the bot's, so Bob can name the id of a message sent to Alice."""
    _, alice, _, a_issue, bob, b_contact, b_issue = two_clients(make_daemon, emu, tg, employee)
    (alices,) = wait_text(tg, alice, ALICE_SECRET)
    assert f"#{a_issue}" in alices.text
    tg.send_text(bob, "Присоединяюсь к вопросу", reply_to=alices.id)
    question = asked(tg, bob)
    assert {d for _, d in buttons(question.reply_markup)} == {f"a:{job_of(question)}:{b_issue}".encode(),
                                                               f"n:{job_of(question)}".encode(),
                                                               f"xj:{job_of(question)}".encode()}
    assert_nothing_of(tg, bob, a_issue, ALICE_TITLE, ALICE_SECRET)
    assert [c["content"] for c in emu.get_comments(a_issue)] == [ALICE_SECRET]
    assert emu.comments_by(b_issue, author=("contact", b_contact)) == []


def test_reply_to_own_card_of_an_issue_handed_to_another_client_is_refused(make_daemon, emu, tg,
                                                                             employee) -> None:
    daemon, alice, a_contact, a_issue, bob, b_contact, b_issue = two_clients(make_daemon, emu, tg, employee)
    card = open_card(tg, bob, b_issue)
    emu.set_contact(b_issue, a_contact)
    tg.send_text(bob, "Уточнение к моей заявке", reply_to=card.id)
    wait_text(tg, bob, NOT_YOURS)
    daemon.wait_event("inbound_refused", issue_id=b_issue)
    assert emu.get_comments(b_issue) == []
    # Staff write on it now for Alice: Bob hears nothing of it.
    emu.add_comment(b_issue, "Ответ уже для Алисы", author=("employee", employee))
    wait_text(tg, alice, "Ответ уже для Алисы")
    tg.send_text(bob, "/menu")
    wait_text(tg, bob, "Выберите действие")
    assert not [s for s in everything_shown_to(tg, bob) if "Ответ уже для Алисы" in s]
    assert_nothing_of(tg, bob, a_issue, ALICE_TITLE, ALICE_SECRET)


# ---------------------------------------------------------------- 9. stale buttons after a relink


def test_stale_buttons_and_dialog_after_a_relink_are_refused(make_daemon, emu, tg, employee) -> None:
    daemon, _, _, a_issue, bob, b_contact, b_issue = two_clients(make_daemon, emu, tg, employee)
    emu.add_comment(b_issue, "Картридж заказан", author=("employee", employee))
    wait_text(tg, bob, "Картридж заказан")
    new_contact = emu.add_contact("Борис", "Орлов", phone="+79163330000")
    card = open_card(tg, bob, b_issue)
    tg.press_button(bob, card.id, f"c:{b_issue}".encode())
    wait_text(tg, bob, f"Напишите комментарий к заявке #{b_issue}")
    # Bob shares another number of his: it belongs to another Okdesk contact.
    tg.send_contact(bob, phone="79163330000", first_name="Борис", last_name="Орлов", user_id=bob.id)
    wait_text(tg, bob, "Готово", count=2)
    daemon.wait_event("client_linked", tg_user_id=bob.id, contact_id=new_contact)
    edits_before = len([e for e in tg.edits if e.msg_id == card.id])
    for data in (f"c:{b_issue}", f"r:{b_issue}", "l:0"):
        query = tg.press_button(bob, card.id, data.encode())
        if data == "l:0":
            assert not refused(tg, query)
        else:
            assert refused_either_way(tg, bob, query), data
    # The old "Comment" dialog is gone with the old link, and a reply to the old card is refused.
    tg.send_text(bob, "Это после смены номера")
    wait_text(tg, bob, "У вас нет открытых заявок")
    tg.send_text(bob, "Ответ на старую карточку", reply_to=card.id)
    wait_text(tg, bob, NOT_YOURS)
    daemon.wait_event("inbound_refused", issue_id=b_issue)
    assert emu.get_comments(b_issue)[0]["content"] == "Картридж заказан" and len(emu.get_comments(b_issue)) == 1
    card_edits = [e for e in tg.edits if e.msg_id == card.id][edits_before:]
    assert all("Картридж" not in e.text and f"#{b_issue}" not in e.text for e in card_edits)
    assert emu.issues_of_contact(new_contact) == []


# ---------------------------------------------------------------- 10. handed over before the press


def test_issue_handed_over_between_question_and_press_is_refused(make_daemon, emu, tg, employee) -> None:
    daemon, alice, a_contact, a_issue, bob, b_contact, b_issue = two_clients(make_daemon, emu, tg, employee)
    tg.send_text(bob, "Принтер снова зажевал бумагу")
    question = asked(tg, bob)
    job = job_of(question)
    add = f"a:{job}:{b_issue}".encode()
    assert add in {d for _, d in buttons(question.reply_markup)}
    emu.set_contact(b_issue, a_contact)
    # The poll may or may not have seen the hand-over yet: an alert at once, or a message after Okdesk.
    assert refused_either_way(tg, bob, tg.press_button(bob, question.id, add))
    daemon.wait_event("callback_refused_not_owner", issue_id=b_issue)
    assert emu.get_comments(b_issue) == []
    # The message is not lost: the question's other button still makes it Bob's new issue.
    tg.press_button(bob, question.id, f"n:{job}".encode())
    wait_text(tg, bob, "✅ Заявка #")
    (issue,) = eventually(lambda: emu.issues_of_contact(b_contact), what="Bob's new issue")
    assert issue["title"] == "Принтер снова зажевал бумагу"
    assert emu.get_comments(b_issue) == []
    assert not [s for s in everything_shown_to(tg, alice) if "зажевал" in s]
