"""Linking's refusals and second chances through the daemon in the test process: someone else's contact,
a phone two contacts share, Okdesk down at the lookup, a name that is no name, /start once linked, and no
contact created where the settings say so."""

from __future__ import annotations

from tests.e2e.helpers import link_client, wait_text
from tests.e2e.test_company_clients import ASK_NAME, PHONE, share_unknown_phone
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon

UNAVAILABLE = "Система поддержки сейчас недоступна"


def test_refusals_before_linking_and_a_second_chance_after_each(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon().start()
    emu.add_contact("Пётр", "Двойной", phone="+79161112233")
    emu.add_contact("Павел", "Двойной", phone="+79161112233")
    twin = tg.add_user(first_name="Пётр", last_name="Двойной", phone="79161112233", lang_code="ru")
    stranger = tg.add_user(first_name="Мария", last_name="Сидорова", phone="79990001122")
    tg.send_contact(twin, phone="79990001122", first_name="Мария", last_name="Сидорова", user_id=stranger.id)
    wait_text(tg, twin, "не ваш")
    tg.send_contact(twin, phone="79161112233", first_name="Пётр", last_name="Двойной", user_id=twin.id)
    daemon.wait_event("contact_ambiguous", tg_user_id=twin.id)
    emu.add_fault(Fault(kind="status", status=503, path=r"/contacts", times=None))
    tg.send_contact(twin, phone="79161112233", first_name="Пётр", last_name="Двойной", user_id=twin.id)
    wait_text(tg, twin, UNAVAILABLE)
    emu.clear_faults()
    # A new client: a name that is none is asked again, then taken.
    user = tg.add_user(first_name="Анна", last_name="Новикова", phone=PHONE, lang_code="ru")
    tg.press_button(user, share_unknown_phone(tg, user).id, b"cn")
    wait_text(tg, user, ASK_NAME)
    tg.send_text(user, "/я")
    wait_text(tg, user, "Пожалуйста, напишите фамилию и имя буквами")
    tg.send_text(user, "Новикова Анна Сергеевна")
    wait_text(tg, user, "Готово")
    (created,) = [c for c in emu.get_contacts() if c["last_name"] == "Новикова"]
    assert (created["first_name"], created["patronymic"]) == ("Анна", "Сергеевна")
    tg.send_text(user, "/start")
    wait_text(tg, user, "Вы подключены как")


def test_no_contact_is_created_where_the_settings_say_so(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon(okdesk={"create_contacts": False}, telegram={"support_contact": "+7 495 123-45-67"})
    daemon.start()
    user = tg.add_user(first_name="Олег", last_name="Сидоров", phone=PHONE, lang_code="ru")
    tg.send_contact(user, phone=PHONE, first_name="Олег", last_name="Сидоров", user_id=user.id)
    (told,) = wait_text(tg, user, "Мы не нашли вас по номеру телефона. Пожалуйста, обратитесь в службу поддержки")
    assert "+7 495 123-45-67" in told.text
    assert emu.get_contacts() == []
    link_client(tg, emu, daemon, first="Ира", last="Линк", phone="79160000001", contact_phone="+79160000001")
