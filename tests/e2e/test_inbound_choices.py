"""A message with no context is asked about; a double message is one issue; issues carry type, priority, author."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.helpers import (
    client_with_issue,
    eventually,
    link_client,
    press,
    sha,
    texts_to,
    wait_text,
)
from tests.e2e.inbound_steps import (
    ADDED,
    CREATED,
    button_texts,
    callback_data,
    names,
    new_issue_mode,
    resend_media,
)
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e

ASK = "Куда добавить это сообщение?"
OFFER = "У вас нет открытых заявок. Создать заявку из этого сообщения?"
TAKEN = "Это сообщение уже обработано."


def answers_to(tg: Any, msg_id: int) -> list[str | None]:
    return [a.message for a in tg.callback_answers if a.msg_id == msg_id]


def last_answer(tg: Any, msg_id: int) -> str | None:
    return answers_to(tg, msg_id)[-1]


def offers(tg: Any, user: Any, needle: str, count: int) -> list[Any]:
    return wait_text(tg, user, needle, count=count)[:count]


# ---------------------------------------------------------------- no context: ask


def test_no_context_offers_open_issues_and_add_takes_text_and_files(make_daemon, emu, tg) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сломался кондиционер")
    other = emu.add_issue("Нет интернета в переговорной", contact_id=contact_id)
    photo = make_png(90, 70)
    tg.send_media(user, "photo", data=photo, caption="Вот показания пульта")
    (ask,) = wait_text(tg, user, ASK)
    labels = button_texts(ask)
    assert f"➕ В #{issue_id} «Сломался кондиционер»" in labels
    assert f"➕ В #{other} «Нет интернета в переговорной»" in labels
    assert labels[-2:] == ["📝 Новая заявка", "✖ Отмена"]
    add = next(d for d in callback_data(ask) if d.startswith(b"a:") and d.endswith(f":{issue_id}".encode()))
    press(tg, user, ask.id, add)
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert "Вот показания пульта" in comment["content"]
    assert [a["sha256"] for a in comment["attachments"]] == [sha(photo)]
    # Nothing asked again: the message already sent was the whole of it.
    assert not [t for t in texts_to(tg, user) if t.startswith("Опишите проблему") or t.startswith("Напишите")]
    # The question lost its buttons; a stale press changes nothing.
    eventually(lambda: any(e.msg_id == ask.id and not callback_data(e) for e in tg.edits), what="buttons removed")
    press(tg, user, ask.id, add)
    assert last_answer(tg, ask.id) == TAKEN
    new = next(d for d in callback_data(ask) if d.startswith(b"n:"))
    press(tg, user, ask.id, new)
    assert last_answer(tg, ask.id) == TAKEN
    daemon.wait_cycles(2)
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert not emu.comments_by(other, author=("contact", contact_id))
    assert len(emu.issues_of_contact(contact_id)) == 2
    assert sum(ADDED in t for t in texts_to(tg, user)) == 1


def test_no_open_issues_offer_creates_issue_from_the_message(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    data = b"%PDF-1.4\n" + bytes(4000)
    tg.send_media(user, "document", data=data, file_name="Скан договора.pdf", caption="Прошу проверить договор")
    (offer,) = wait_text(tg, user, OFFER)
    assert button_texts(offer) == ["📝 Создать заявку", "✖ Отмена"]
    press(tg, user, offer.id, callback_data(offer)[0])
    (confirm,) = wait_text(tg, user, CREATED)
    (issue,) = emu.issues_of_contact(contact_id)
    assert issue["title"] == "Прошу проверить договор"
    assert "Прошу проверить договор" in issue["description"]
    assert names(issue["attachments"]) == ["Скан договора.pdf"]
    assert issue["attachments"][0]["sha256"] == sha(data)
    assert f"#{issue['id']}" in confirm.text
    assert not [t for t in texts_to(tg, user) if t.startswith("Опишите проблему")]
    press(tg, user, offer.id, callback_data(offer)[0])
    assert last_answer(tg, offer.id) == TAKEN
    daemon.wait_cycles(2)
    assert len(emu.issues_of_contact(contact_id)) == 1


# ---------------------------------------------------------------- duplicates


@pytest.mark.parametrize("order", ["first-then-second", "second-then-first"])
def test_same_text_twice_is_one_issue_whatever_is_pressed(make_daemon, emu, tg, order) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    text = "Не работает принтер в бухгалтерии"
    tg.send_text(user, text)
    tg.send_text(user, text)
    pair = offers(tg, user, OFFER, 2)
    first, second = pair if order == "first-then-second" else pair[::-1]
    press(tg, user, first.id, callback_data(first)[0])
    wait_text(tg, user, CREATED)
    (issue,) = emu.issues_of_contact(contact_id)
    press(tg, user, second.id, callback_data(second)[0])
    wait_text(tg, user, f"Такая заявка уже создана: #{issue['id']}.")
    for sent in (first, second, first, second):
        press(tg, user, sent.id, callback_data(sent)[0])
        assert last_answer(tg, sent.id) == TAKEN
    daemon.wait_cycles(2)
    assert len(emu.issues_of_contact(contact_id)) == 1
    assert sum(t.startswith(CREATED) for t in texts_to(tg, user)) == 1
    assert len(daemon.find("inbound_duplicate_issue", tg_user_id=user.id)) == 1


def test_both_offers_pressed_at_once_make_one_issue(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    text = "Сломался замок на двери склада"
    tg.send_text(user, text)
    tg.send_text(user, text)
    a, b = offers(tg, user, OFFER, 2)
    for sent in (b, a, b, a):
        tg.press_button(user, sent.id, callback_data(sent)[0], check=False)
    wait_text(tg, user, CREATED)
    daemon.wait_event("inbound_duplicate_issue", tg_user_id=user.id)
    daemon.wait_cycles(2)
    (issue,) = emu.issues_of_contact(contact_id)
    twin_said = [t for t in texts_to(tg, user) if t.startswith("Такая заявка уже")]
    assert twin_said in ([f"Такая заявка уже создана: #{issue['id']}."],
                         ["Такая заявка уже создаётся, подождите немного."])


def test_same_photo_twice_is_one_issue_a_different_photo_another(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    caption = "Протекает потолок"
    first = tg.send_media(user, "photo", data=make_png(70, 50), caption=caption)
    again = resend_media(tg, user, first, caption=caption)
    assert tg.message(again).media.photo.id == tg.message(first).media.photo.id
    other = tg.send_media(user, "photo", data=make_png(71, 50), caption=caption)
    one, two, three = offers(tg, user, OFFER, 3)
    press(tg, user, one.id, callback_data(one)[0])
    wait_text(tg, user, CREATED)
    press(tg, user, two.id, callback_data(two)[0])
    (issue,) = emu.issues_of_contact(contact_id)
    wait_text(tg, user, f"Такая заявка уже создана: #{issue['id']}.")
    press(tg, user, three.id, callback_data(three)[0])
    wait_text(tg, user, CREATED, count=2)
    first_issue, other_issue = emu.issues_of_contact(contact_id)
    assert first_issue["attachments"][0]["sha256"] == tg.media_of(first).blob.sha256
    assert other_issue["attachments"][0]["sha256"] == tg.media_of(other).blob.sha256


def test_outside_the_window_the_same_text_is_a_new_issue(make_daemon, emu, tg) -> None:
    daemon = make_daemon(sync={"duplicate_window": 1}).start()
    user, contact_id = link_client(tg, emu, daemon)
    text = "Опять не работает почта"
    first = tg.send_text(user, text)
    # Telegram dates are whole seconds: wait until the next message is dated 2 s later.
    sent_at = tg.message(first).date.timestamp()
    time.sleep(max(0.0, int(sent_at) + 2 - time.time()))
    tg.send_text(user, text)
    one, two = offers(tg, user, OFFER, 2)
    press(tg, user, one.id, callback_data(one)[0])
    wait_text(tg, user, CREATED)
    press(tg, user, two.id, callback_data(two)[0])
    wait_text(tg, user, CREATED, count=2)
    assert len(emu.issues_of_contact(contact_id)) == 2
    assert not daemon.find("inbound_duplicate_issue")


def test_new_issue_twice_with_the_same_text_is_one_issue(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    new_issue_mode(tg, user)
    tg.send_text(user, "Нужен доступ к общей папке")
    wait_text(tg, user, CREATED)
    new_issue_mode(tg, user)
    tg.send_text(user, "Нужен  доступ к общей папке")  # the same words, spaced differently
    (issue,) = emu.issues_of_contact(contact_id)
    wait_text(tg, user, f"Такая заявка уже создана: #{issue['id']}.")
    daemon.wait_cycles(2)
    assert len(emu.issues_of_contact(contact_id)) == 1
    assert sum(t.startswith(CREATED) for t in texts_to(tg, user)) == 1


# ---------------------------------------------------------------- type, priority, author


def create_issue(tg: Any, user: Any, text: str, count: int) -> None:
    new_issue_mode(tg, user)
    tg.send_text(user, text)
    wait_text(tg, user, CREATED, count=count)


@pytest.mark.parametrize("codes", [("incident", "high"), ("", "")])
def test_issue_type_and_priority_from_settings(make_daemon, emu, tg, codes) -> None:
    daemon = make_daemon(okdesk={"issue_type": codes[0], "issue_priority": codes[1]}).start()
    user, contact_id = link_client(tg, emu, daemon)
    create_issue(tg, user, "Проверка типа и приоритета", 1)
    (issue,) = emu.issues_of_contact(contact_id)
    assert (issue["type"]["code"], issue["priority"]["code"]) == (codes[0] or "service", codes[1] or "normal")


def test_administrator_key_makes_the_contact_the_author(make_daemon, emu, tg) -> None:
    emu.options.api_key_role = "administrator"
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    create_issue(tg, user, "Автор — сам клиент", 1)
    (issue,) = emu.issues_of_contact(contact_id)
    assert issue["author"]["id"] == contact_id and issue["author"]["name"] == "Петров Иван"
    assert emu.count_requests(r"^/api/v1/issues/?$", method="POST") == 1
    assert not daemon.find("okdesk_issue_author_refused")
    # A refused author (each way Okdesk may say it): tests/e2e/test_issue_author.py.
