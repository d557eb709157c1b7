"""The profile: who the client is linked as (phone masked), unlink (forgets them, cancels what waits
for them), relink with another number; through `syncd run`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import phone_pattern
from tests.e2e.helpers import (
    db_rows,
    eventually,
    link_client,
    start_with_issue,
    texts_to,
    wait_baseline,
    wait_text,
)
from tests.e2e.inbound_steps import callback_data

pytestmark = pytest.mark.e2e

PHONE = "79123456789"
MASKED = "+7 *** ***-67-89"


def open_profile(tg: Any, user: Any, label: str = "👤 Профиль", header: str = "Ваш профиль") -> Any:
    before = len([m for m in tg.sent_to(user) if header in (m.text or "")])
    tg.send_text(user, label)
    return wait_text(tg, user, header, count=before + 1)[-1]


def unlink(tg: Any, user: Any, profile: Any) -> None:
    assert callback_data(profile) == [b"u", b"rl"]
    tg.press_button(user, profile.id, b"u")
    (ask,) = wait_text(tg, user, "Отвязать Telegram от вашего контакта?")
    assert callback_data(ask) == [b"uy", b"un"]
    tg.press_button(user, ask.id, b"uy")
    wait_text(tg, user, "Telegram отвязан")


def relink(tg: Any, user: Any, phone: str) -> None:
    """The profile's "another number", then that number shared: linked anew."""
    linked = len([m for m in tg.sent_to(user) if (m.text or "").startswith("Готово")])
    tg.press_button(user, open_profile(tg, user).id, b"rl")
    wait_text(tg, user, "Чтобы подключиться с другим номером")
    tg.send_contact(user, phone=phone, first_name=user.first_name, last_name=user.last_name, user_id=user.id)
    wait_text(tg, user, "Готово", count=linked + 1)


def test_profile_shows_name_and_masked_phone_never_the_full_one(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, _ = link_client(tg, emu, daemon, phone=PHONE, contact_phone="+7 (912) 345-67-89")
    profile = open_profile(tg, user)
    assert profile.text == f"Ваш профиль\nИмя: Петров Иван\nТелефон: {MASKED}"
    tg.send_text(user, "/profile")
    wait_text(tg, user, "Ваш профиль", count=2)
    # English too, and the menu's button for it.
    bob, _ = link_client(tg, emu, daemon, first="Bob", last="Smith", phone="447700900123",
                         contact_phone="+447700900123", lang="en")
    english = open_profile(tg, bob, "👤 Profile", "Your profile")
    assert english.text == "Your profile\nName: Smith Bob\nPhone: +********-01-23"
    tg.send_text(bob, "/help")
    (help_text,) = wait_text(tg, bob, "What this bot can do")
    assert "“Profile”" in help_text.text and "“My requests”" in help_text.text
    for who, phone in ((user, PHONE), (bob, "447700900123")):
        pattern = phone_pattern(phone)
        assert pattern is not None
        assert not [t for t in texts_to(tg, who) if pattern.search(t)]


def test_unlink_forgets_the_client_and_cancels_what_waits_for_them(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Принтер не печатает")
    tg.send_text(user, "Мой секретный текст")
    wait_text(tg, user, "Куда добавить это сообщение?")  # a job waiting for the client's choice
    profile = open_profile(tg, user)
    # The first staff reply is held on its way (sent, answer withheld); the second waits behind it.
    hold = tg.hold("SendMessage")
    emu.add_comment(issue_id, "<p>первый ответ</p>", author=("employee", employee))
    assert hold.reached.wait(15)
    emu.add_comment(issue_id, "<p>второй ответ</p>", author=("employee", employee))
    eventually(lambda: len(db_rows(daemon, "SELECT id FROM outbox WHERE tg_chat_id = ? AND state = 'pending'",
                                   user.id)) == 2, what="two deliveries waiting")
    unlink(tg, user, profile)
    hold.release()

    assert db_rows(daemon, "SELECT * FROM links WHERE tg_user_id = ?", user.id) == []
    assert db_rows(daemon, "SELECT * FROM dialogs WHERE tg_user_id = ?", user.id) == []
    texts = [r["content"] for r in db_rows(daemon, "SELECT content FROM inbox_messages WHERE tg_user_id = ?",
                                           user.id)]
    assert texts and all("секретный" not in t for t in texts)
    states = {r["state"] for r in db_rows(daemon, "SELECT state FROM inbound_jobs WHERE tg_user_id = ?", user.id)}
    assert states == {"refused"}
    pattern = phone_pattern(PHONE)
    assert pattern is not None
    dump = "\n".join(str(tuple(r)) for table in ("links", "dialogs", "inbox_messages", "outbox")
                     for r in db_rows(daemon, f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
    assert not pattern.search(dump)
    # The held reply was already out: its late answer does not undo the cancel. The one behind it
    # is cancelled and never sent.
    assert hold.delivered.wait(15)
    daemon.wait_event("delivered", tg_chat_id=user.id)
    states = [r["state"] for r in db_rows(daemon, "SELECT state FROM outbox WHERE tg_chat_id = ?", user.id)]
    assert states == ["cancelled", "cancelled"]
    daemon.wait_event("client_unlinked", tg_user_id=user.id)
    emu.add_comment(issue_id, "<p>третий ответ</p>", author=("employee", employee))
    daemon.wait_cycles(3)
    assert not [t for t in texts_to(tg, user) if "второй ответ" in t or "третий ответ" in t]
    # A message now is no job: the client is not linked any more.
    tg.send_text(user, "ещё сообщение")
    wait_text(tg, user, "Сначала подключитесь")
    assert len(db_rows(daemon, "SELECT id FROM inbound_jobs WHERE tg_user_id = ?", user.id)) == 1


def test_relink_with_another_number(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    user, old_contact = link_client(tg, emu, daemon, phone=PHONE)
    new_contact = emu.add_contact("Иван", "Петров-Новый", phone="+79995554433")
    relink(tg, user, "79995554433")
    (link,) = db_rows(daemon, "SELECT okdesk_contact_id, phone FROM links WHERE tg_user_id = ?", user.id)
    assert link["okdesk_contact_id"] == new_contact and link["okdesk_contact_id"] != old_contact
    assert link["phone"] == "+79995554433"
    assert open_profile(tg, user).text.endswith("Телефон: +7 *** ***-44-33")
    # Replies now come for the new contact's issues.
    issue_id = emu.add_issue("Новая заявка", contact_id=new_contact)
    wait_baseline(daemon, issue_id)
    emu.add_comment(issue_id, "<p>для нового контакта</p>", author=("employee", employee))
    wait_text(tg, user, "для нового контакта")
