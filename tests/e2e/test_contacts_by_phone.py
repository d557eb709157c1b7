"""A client's number is found whether staff entered it as the phone or only as the mobile phone, under every
variant of Okdesk's lookups (tests/okdesk_emulator/contact_filters.py); a client never gets a second
contact, and one the daemon creates carries both fields, so a relink finds it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import db_rows, wait_text
from tests.e2e.test_profile import open_profile, unlink
from tests.okdesk_emulator.contact_filters import MOBILE_VISIBLE

pytestmark = pytest.mark.e2e

PHONE = "79123456789"  # as Telegram shares it


def _switch(emu: Any, switches: dict[str, object]) -> None:
    for name, value in switches.items():
        setattr(emu.options, name, value)


def _share(tg: Any, user: Any) -> None:
    tg.send_contact(user, phone=user.phone, first_name=user.first_name, last_name=user.last_name,
                    user_id=user.id)


def _linked_contact(daemon: Any, user: Any) -> int:
    (link,) = db_rows(daemon, "SELECT okdesk_contact_id FROM links WHERE tg_user_id = ?", user.id)
    return int(link["okdesk_contact_id"])


def _create_by_name(tg: Any, user: Any, name: str) -> None:
    """A number nobody has: not a company's client, then the name, then linked to a new contact."""
    _share(tg, user)
    (company,) = wait_text(tg, user, "от имени компании")
    tg.press_button(user, company.id, b"cn")
    wait_text(tg, user, "Как вас зовут")
    tg.send_text(user, name)
    wait_text(tg, user, "Готово")


@pytest.mark.parametrize("variant", list(MOBILE_VISIBLE))
def test_a_contact_staff_entered_with_only_a_mobile_number_is_linked(variant, make_daemon, emu, tg) -> None:
    _switch(emu, MOBILE_VISIBLE[variant])
    daemon = make_daemon().start()
    emu.add_contact("Пётр", "Другой", phone="+79001110000")
    anna = emu.add_contact("Анна", "Мобильная", mobile_phone="+79123456789")
    before = len(emu.get_contacts())
    user = tg.add_user(first_name="Анна", last_name="Мобильная", phone=PHONE, lang_code="ru")
    _share(tg, user)
    assert "Мобильная" in wait_text(tg, user, "Готово")[0].text
    assert _linked_contact(daemon, user) == anna
    # Logged before the link, so read by the time the link's own line is.
    daemon.wait_event("client_linked", tg_user_id=user.id)
    assert len(emu.get_contacts()) == before and daemon.find("contact_created") == []


def test_when_no_lookup_can_see_mobile_numbers_no_second_contact_is_created(make_daemon, emu, tg) -> None:
    # Every lookup at its least convenient, and /contacts/list items without mobile_phone: nothing can
    # tell that the client is there. The daemon can tell that it could not look: it creates nothing.
    emu.options.contact_list_mobile_phone = False
    daemon = make_daemon(telegram={"support_contact": "+7 495 123-45-67"}).start()
    emu.add_contact("Анна", "Мобильная", mobile_phone="8 (912) 345-67-89")
    user = tg.add_user(first_name="Анна", last_name="Мобильная", phone=PHONE, lang_code="ru")
    _share(tg, user)
    (reply,) = wait_text(tg, user, "Мы не нашли вас")
    assert "+7 495 123-45-67" in reply.text
    assert len(emu.get_contacts()) == 1 and emu.count_requests(r"/contacts/?$", "POST") == 0
    # (the log is read from the daemon's output, which may trail what Telegram got)
    warning = daemon.wait_event("contact_lookup_incomplete", tg_user_id=user.id)
    assert len(daemon.find("contact_lookup_incomplete", tg_user_id=user.id)) == 1
    assert warning["reason"] == "no_mobile_phone" and warning["level"] == "warning"
    assert not db_rows(daemon, "SELECT * FROM links WHERE tg_user_id = ?", user.id)


def test_a_relink_finds_the_contact_created_before(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Ольга", last_name="Новикова", phone="79161234567", lang_code="ru")
    _create_by_name(tg, user, "Новикова Ольга")
    (created,) = emu.get_contacts()
    # Both fields: `phone` is what every client searches, and a Telegram number is a mobile one.
    assert created["phone"] == created["mobile_phone"] == "+79161234567"
    unlink(tg, user, open_profile(tg, user))
    walks = emu.count_requests(r"/contacts/list$")
    _share(tg, user)
    wait_text(tg, user, "Готово", count=2)
    assert _linked_contact(daemon, user) == created["id"] and len(emu.get_contacts()) == 1
    # Found by ?phone= at once: no walk over every contact.
    assert emu.count_requests(r"/contacts/list$") == walks


@pytest.mark.parametrize("variant", ["least-convenient", "suffix-phone-filter", "search-sees-mobile"])
def test_a_number_that_merely_contains_the_clients_digits_is_not_taken(variant, make_daemon, emu, tg) -> None:
    _switch(emu, MOBILE_VISIBLE[variant])
    emu.options.contact_search_string_digits = True  # the search hands back every near miss it can
    daemon = make_daemon().start()
    longer = emu.add_contact("Чужой", "Длинный", mobile_phone="+1 (791) 234-56-789")  # ends with the digits
    extra = emu.add_contact("Чужой", "Лишний", phone="+7 912 345-67-891", mobile_phone="+7 912 345-67-891")
    user = tg.add_user(first_name="Иван", last_name="Петров", phone=PHONE, lang_code="ru")
    _create_by_name(tg, user, "Петров Иван")
    own = _linked_contact(daemon, user)
    assert own not in (longer, extra) and len(emu.get_contacts()) == 3


def test_a_contact_staff_create_while_the_client_types_their_name_is_the_one_linked(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    for n in range(3):
        emu.add_contact("Другой", str(n), phone=f"+7900111000{n}")
    user = tg.add_user(first_name="Анна", last_name="Новая", phone=PHONE, lang_code="ru")
    _share(tg, user)
    (company,) = wait_text(tg, user, "от имени компании")
    tg.press_button(user, company.id, b"cn")
    wait_text(tg, user, "Как вас зовут")
    staff_made = emu.add_contact("Анна", "Новая", mobile_phone="+7 912 345-67-89")
    walks = emu.count_requests(r"/contacts/list$")
    tg.send_text(user, "Новая Анна")
    wait_text(tg, user, "Готово")
    daemon.wait_event("client_linked", tg_user_id=user.id)  # logged after a create would be
    assert _linked_contact(daemon, user) == staff_made and daemon.find("contact_created") == []
    # The second look walked only the contacts created since the first (one page).
    assert emu.count_requests(r"/contacts/list$") == walks + 1
