"""Linking a Telegram user to their Okdesk contact: /start, the contact button, and every answer."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import link_client, texts_to, wait_text

pytestmark = pytest.mark.e2e


def _request_phone_any(markup) -> bool:  # type: ignore[no-untyped-def]
    for row in markup.rows:
        for button in row.buttons:
            name = type(button).__name__
            if "RequestPhone" in name or "RequestPhone" in type(getattr(button, "type", None)).__name__:
                return True
    return False


def test_start_greets_and_offers_the_share_phone_button(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Анна", last_name="Смирнова", phone="79990001122", lang_code="ru")
    tg.send_text(user, "/start")
    (greeting,) = wait_text(tg, user, "Здравствуйте")
    assert _request_phone_any(greeting.reply_markup)
    english = tg.add_user(first_name="John", last_name="Smith", phone="447700900123", lang_code="en")
    tg.send_text(english, "/start")
    wait_text(tg, english, "Hello! This is the support bot")
    assert daemon.stop() == 0


@pytest.mark.parametrize("not_found", ["404", "empty_body", "empty_array", "null", "empty_object"])
def test_links_by_the_shared_own_phone_in_any_stored_form(not_found, make_daemon, emu, tg) -> None:
    # Okdesk's answer for "no contact with this phone" is undocumented: every variant is survived.
    emu.options.contact_not_found = not_found
    daemon = make_daemon().start()
    # Staff typed the number in free form: found through the usual forms, compared exactly.
    user, contact_id = link_client(tg, emu, daemon, phone="79123456789", contact_phone="8 (912) 345-67-89")
    assert "Петров" in wait_text(tg, user, "Готово")[0].text
    # /start again says who they are linked as.
    tg.send_text(user, "/start")
    wait_text(tg, user, "Вы подключены как")
    assert contact_id is not None


def test_someone_elses_contact_is_refused(make_daemon, emu, tg) -> None:
    make_daemon().start()
    emu.add_contact("Пётр", "Чужой", phone="+79005554433")
    user = tg.add_user(first_name="Мария", last_name="Кузнецова", phone="79001112233", lang_code="ru")
    other = tg.add_user(first_name="Пётр", last_name="Чужой", phone="79005554433", lang_code="ru")
    tg.send_text(user, "/start")
    wait_text(tg, user, "Здравствуйте")
    tg.send_contact(user, phone="79005554433", first_name="Пётр", last_name="Чужой", user_id=other.id)
    wait_text(tg, user, "Это не ваш номер")
    # A contact card without a user id (typed into the address book) is not theirs either.
    tg.send_contact(user, phone="79005554433", first_name="Пётр", last_name="Чужой", user_id=0)
    wait_text(tg, user, "Это не ваш номер", count=2)
    assert not any("Готово" in text for text in texts_to(tg, user))


def test_several_matching_contacts_refer_to_support_and_create_nothing(make_daemon, emu, tg) -> None:
    # Both seen by the first lookup: search_string here looks at mobile numbers' digits too. (Where nothing
    # does, the contact found by its phone is linked without a walk over every contact.)
    emu.options.contact_search_string_mobile = emu.options.contact_search_string_digits = True
    make_daemon(telegram={"support_contact": "+7 495 123-45-67"}).start()
    emu.add_contact("Иван", "Первый", phone="+79123456789")
    emu.add_contact("Иван", "Второй", mobile_phone="8 912 345-67-89")
    before = len(emu.get_contacts())
    user = tg.add_user(first_name="Иван", last_name="Петров", phone="79123456789", lang_code="ru")
    tg.send_contact(user, phone="79123456789", first_name="Иван", last_name="Петров", user_id=user.id)
    (reply,) = wait_text(tg, user, "нескольких контактов")
    assert "+7 495 123-45-67" in reply.text
    assert len(emu.get_contacts()) == before


def test_a_number_that_merely_contains_the_digits_does_not_link(make_daemon, emu, tg) -> None:
    """The predecessor matched by substring and bound the wrong contact."""
    make_daemon(okdesk={"create_contacts": False}).start()
    emu.add_contact("Чужой", "Контакт", phone="+7 912 345-67-891")  # one digit longer
    emu.add_contact("Другой", "Контакт", phone="+79123456780")
    user = tg.add_user(first_name="Иван", last_name="Петров", phone="79123456789", lang_code="ru")
    tg.send_contact(user, phone="79123456789", first_name="Иван", last_name="Петров", user_id=user.id)
    wait_text(tg, user, "Мы не нашли вас")


def test_unknown_phone_asks_the_name_and_creates_the_contact(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Ольга", last_name="Новикова", phone="79161234567", lang_code="ru")
    tg.send_contact(user, phone="79161234567", first_name="Ольга", last_name="Новикова", user_id=user.id)
    # Not a company's client (tests/e2e/test_company_clients.py has those).
    (company,) = wait_text(tg, user, "от имени компании")
    tg.press_button(user, company.id, b"cn")
    (ask,) = wait_text(tg, user, "Как вас зовут")
    # The Telegram name is offered as a button.
    labels = [b.text for row in ask.reply_markup.rows for b in row.buttons]
    assert labels == ["Новикова Ольга"]
    # The dialog survives a restart (the predecessor kept it in memory).
    assert daemon.stop() == 0
    daemon.start()
    tg.send_text(user, "Новикова Ольга Сергеевна")
    wait_text(tg, user, "Готово")
    (created,) = [c for c in emu.get_contacts() if c.get("last_name") == "Новикова"]
    assert created["first_name"] == "Ольга" and created["patronymic"] == "Сергеевна"
    assert "79161234567" in "".join(ch for ch in str(created.get("mobile_phone") or created.get("phone")) if ch.isdigit())


def test_unknown_phone_without_contact_creation_says_whom_to_call(make_daemon, emu, tg) -> None:
    make_daemon(okdesk={"create_contacts": False}, telegram={"support_contact": "+7 495 765-43-21"}).start()
    user = tg.add_user(first_name="Олег", last_name="Сидоров", phone="79170000000", lang_code="ru")
    tg.send_contact(user, phone="79170000000", first_name="Олег", last_name="Сидоров", user_id=user.id)
    (reply,) = wait_text(tg, user, "Мы не нашли вас")
    assert "+7 495 765-43-21" in reply.text
    assert emu.get_contacts() == []


def test_group_chat_is_told_private_only_and_nothing_else(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Иван", last_name="Петров", phone="79123456789", lang_code="ru")
    chat_id = tg.add_group(777, "Офис", [user])
    tg.send_group_text(user, chat_id, "/start")
    tg.wait_for(lambda: [m for m in tg.sent if "только в личных" in (m.text or "")], timeout=10)
    assert daemon.find("client_linked") == []
    assert [m for m in tg.sent if m.peer_user_id == user.id] == []


def test_okdesk_down_while_linking_asks_to_try_later(make_daemon, emu, tg) -> None:
    from tests.okdesk_emulator import Fault

    make_daemon().start()
    emu.add_contact("Иван", "Петров", phone="+79123456789")
    user = tg.add_user(first_name="Иван", last_name="Петров", phone="79123456789", lang_code="ru")
    emu.add_fault(Fault(kind="status", status=503, path=r"/contacts", times=None))
    tg.send_contact(user, phone="79123456789", first_name="Иван", last_name="Петров", user_id=user.id)
    wait_text(tg, user, "недоступна")
    emu.clear_faults()
    tg.send_contact(user, phone="79123456789", first_name="Иван", last_name="Петров", user_id=user.id)
    wait_text(tg, user, "Готово")
