"""The client's conversation through the daemon in the test process: a company client linked by INN and
service object, a private person without a contact, the profile (masked phone, unlink, relink), the
portal button, and the menu (my issues, the card, help)."""

from __future__ import annotations

from tests.e2e.helpers import (
    answer_to,
    client_with_issue,
    db_rows,
    eventually,
    link_client,
    link_two_clients,
    result_of,
    texts_to,
    wait_text,
)
from tests.e2e.inbound_steps import CREATED, callback_data, new_issue_mode, open_card
from tests.e2e.test_company_clients import (
    ASK_COMPANY,
    ASK_NAME,
    INN,
    PHONE,
    STALE,
    as_company,
    share_unknown_phone,
)
from tests.e2e.test_portal_links import LINK_TEXT, NOT_YOURS, WAIT, url_buttons
from tests.e2e.test_profile import open_profile, relink, unlink
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon


def test_a_company_client_is_linked_by_inn_and_service_object_and_their_issues_carry_both(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    company = emu.add_company("ООО Ромашка", inn=INN)
    emu.add_maintenance_entity(company, "Офис на Ленина")
    store = emu.add_maintenance_entity(company, "Склад")
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Анна", last_name="Иванова", phone=PHONE, lang_code="ru")
    as_company(tg, user)
    tg.send_text(user, "7707083894")  # a checksum that fails: caught before Okdesk is asked
    wait_text(tg, user, "Это не похоже на ИНН")
    tg.send_text(user, "77 0708 3893")
    (pick,) = wait_text(tg, user, "Выберите объект обслуживания")
    assert "ООО Ромашка" in pick.text
    tg.press_button(user, pick.id, f"me:{store}".encode())
    wait_text(tg, user, ASK_NAME)
    answer = answer_to(tg, tg.press_button(user, pick.id, f"me:{store}".encode(), check=False))
    assert answer.alert and answer.message == STALE
    tg.send_text(user, "Иванова Анна Петровна")
    wait_text(tg, user, "Готово! Вы подключены как")
    (contact,) = eventually(lambda: emu.get_contacts(), what="the contact created")
    assert contact["company_id"] == company and contact["maintenance_entity_ids"] == [store]
    new_issue_mode(tg, user)
    tg.send_text(user, "Не работает касса")
    wait_text(tg, user, CREATED)
    (issue,) = eventually(lambda: emu.issues_of_contact(contact["id"]), what="the issue")
    assert issue["company_id"] == company and issue["service_object_id"] == store
    profile = open_profile(tg, user)
    assert profile.text.splitlines()[:3] == ["Ваш профиль", "Имя: Иванова Анна Петровна", "Компания: ООО Ромашка"]
    assert daemon.errors() == []


def test_a_private_person_unknown_to_okdesk_gets_a_contact_of_their_own(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Ольга", last_name="Новикова", phone=PHONE, lang_code="ru")
    tg.send_text(user, "/start")
    wait_text(tg, user, "Здравствуйте")
    tg.send_text(user, "просто текст до привязки")
    wait_text(tg, user, "Сначала подключитесь")
    question = share_unknown_phone(tg, user, ask=ASK_COMPANY)
    tg.press_button(user, question.id, b"cn")
    wait_text(tg, user, ASK_NAME)
    tg.send_text(user, "Новикова Ольга")
    wait_text(tg, user, "Готово")
    (contact,) = eventually(lambda: emu.get_contacts(), what="the contact created")
    assert contact["company_id"] is None and contact["last_name"] == "Новикова"
    (row,) = db_rows(daemon, "SELECT okdesk_contact_id FROM links WHERE tg_user_id = ?", user.id)
    assert row["okdesk_contact_id"] == contact["id"]


def test_the_profile_masks_the_phone_unlinks_and_relinks_with_another_number(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon().start()
    user, old_contact = link_client(tg, emu, daemon)
    assert open_profile(tg, user).text == "Ваш профиль\nИмя: Петров Иван\nТелефон: +7 *** ***-67-89"
    new_contact = emu.add_contact("Иван", "Петров-Новый", phone="+79995554433")
    relink(tg, user, "79995554433")
    (link,) = db_rows(daemon, "SELECT okdesk_contact_id FROM links WHERE tg_user_id = ?", user.id)
    assert link["okdesk_contact_id"] == new_contact != old_contact
    unlink(tg, user, open_profile(tg, user))
    daemon.wait_event("client_unlinked", tg_user_id=user.id)
    assert db_rows(daemon, "SELECT * FROM links WHERE tg_user_id = ?", user.id) == []
    tg.send_text(user, "ещё сообщение")
    wait_text(tg, user, "Сначала подключитесь", count=1)


def test_the_portal_button_mints_a_one_time_link_for_the_own_contact_only(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon().start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    alice_issue = emu.add_issue("Счёт Алисы", contact_id=alice_contact)
    bob_issue = emu.add_issue("Заявка Бориса", contact_id=bob_contact)
    daemon.wait_event("issue_followed", issue_id=alice_issue)
    daemon.wait_event("issue_followed", issue_id=bob_issue)
    card = open_card(tg, alice, alice_issue)
    query = tg.press_button(alice, card.id, f"p:{alice_issue}".encode())
    (sent,) = wait_text(tg, alice, LINK_TEXT)
    assert answer_to(tg, query).message == WAIT
    (link,) = emu.login_links
    assert link.user == ("contact", alice_contact) and link.one_time
    assert url_buttons(sent.reply_markup) == [("🌐 Войти в портал", link.url)] and link.url not in sent.text
    bob_card = open_card(tg, bob, bob_issue)
    forged = tg.press_button(bob, bob_card.id, f"p:{alice_issue}".encode(), check=False)
    assert result_of(tg, bob, forged, NOT_YOURS) == NOT_YOURS
    assert len(emu.login_links) == 1
    assert link.token not in daemon.log.text()


def test_the_menu_lists_the_clients_own_issues_and_the_card_refreshes(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер")
    other = emu.add_contact("Чужой", "Клиент", phone="+79990001122")
    emu.add_issue("Чужая заявка", contact_id=other)
    tg.send_text(user, "📋 Мои заявки")
    (listing,) = wait_text(tg, user, "Ваши заявки (1)")
    assert callback_data(listing)[:1] == [f"v:{issue_id}".encode()]
    emu.add_comment(issue_id, "<p>Картридж заказан</p>", author=("employee", employee))
    wait_text(tg, user, "Картридж заказан")
    card = open_card(tg, user, issue_id)
    assert "Картридж заказан" in card.text
    assert f"r:{issue_id}".encode() in callback_data(card)
    emu.set_status(issue_id, "in_progress", author=("employee", employee))
    wait_text(tg, user, "Открыта → В работе")
    answer_to(tg, tg.press_button(user, card.id, f"r:{issue_id}".encode(), check=False))
    tg.wait_for(lambda: [e for e in tg.edits if e.msg_id == card.id and "В работе" in (e.text or "")])
    tg.send_text(user, "/help")
    wait_text(tg, user, "Что умеет этот бот")
    assert not [t for t in texts_to(tg, user) if "Чужая заявка" in t]
