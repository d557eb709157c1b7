"""Sign-up that never dead-ends, through the daemon in the test process: the phone button comes back with
every text that needs it, a company client without the INN goes on as a private person, the name is read
as «Фамилия Имя» (a first name alone is asked again, never stored with a made-up last name), and the
support contact is shown wherever the client is sent to support."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import answer_to, eventually, link_client, wait_text
from tests.e2e.inbound_steps import callback_data
from tests.e2e.test_company_clients import (
    INN,
    OTHER_INN,
    PHONE,
    as_company,
    created_contact,
    share_unknown_phone,
)
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon

SUPPORT = "+7 495 123-45-67"
NEED_LINK = "Сначала подключитесь: поделитесь номером телефона кнопкой ниже."
ASK_NAME = ("Как вас зовут? Напишите фамилию и имя, например «Петров Иван» (отчество можно добавить третьим "
            "словом).")
BUTTON_HINT = "Или нажмите кнопку ниже, если в Telegram ваше имя указано так же."
LAST_MISSING = ("Пожалуйста, напишите и фамилию, и имя, например «Петров Иван»: без фамилии мы не можем вас "
                "записать.")


def asks_for_phone(message: Any) -> bool:
    """The message carries Telegram's share-phone button (a reply keyboard)."""
    rows = getattr(message.reply_markup, "rows", None) or []
    return any("RequestPhone" in type(b).__name__ or "RequestPhone" in type(getattr(b, "type", None)).__name__
               for row in rows for b in row.buttons)


def reply_keyboard(message: Any) -> list[str]:
    rows = getattr(message.reply_markup, "rows", None) or []
    return [b.text for row in rows for b in row.buttons]


def test_the_phone_button_comes_back_and_no_inn_is_the_private_way(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    emu.add_company("ООО Ромашка", inn=INN)
    daemon = make_daemon(telegram={"support_contact": SUPPORT}).start()
    user = tg.add_user(first_name="Анна", last_name="Иванова", phone=PHONE, lang_code="ru")
    stranger = tg.add_user(first_name="Мария", last_name="Сидорова", phone="79990001122")
    tg.send_text(user, "Здравствуйте, у нас не работает касса")
    (need,) = wait_text(tg, user, NEED_LINK)
    assert need.text == NEED_LINK and asks_for_phone(need)
    # A button pressed before linking (an old card, say): the same words, with the button, as a message.
    answer_to(tg, tg.press_button(user, need.id, b"v:1", check=False))
    (_, again) = wait_text(tg, user, NEED_LINK, count=2)
    assert asks_for_phone(again)
    tg.send_contact(user, phone="79990001122", first_name="Мария", last_name="Сидорова", user_id=stranger.id)
    (not_own,) = wait_text(tg, user, "Это не ваш номер")
    assert asks_for_phone(not_own)
    emu.add_fault(Fault(kind="status", status=503, path=r"/contacts", times=None))
    tg.send_contact(user, phone=PHONE, first_name="Анна", last_name="Иванова", user_id=user.id)
    (down,) = wait_text(tg, user, "Система поддержки сейчас недоступна")
    assert asks_for_phone(down)
    emu.clear_faults()
    # A company's client: the INN question and a wrong INN each offer the way on without one.
    question = as_company(tg, user)
    (inn_ask,) = wait_text(tg, user, "Напишите ИНН компании")
    assert inn_ask.text.endswith("Если ИНН под рукой нет, можно продолжить как частное лицо кнопкой ниже.")
    assert callback_data(inn_ask) == [b"cn"]
    assert [b.text for row in inn_ask.reply_markup.rows for b in row.buttons] == [
        "👤 Не знаю ИНН, продолжить как частное лицо"]
    typo = tg.send_text(user, "7707083894")
    (wrong,) = wait_text(tg, user, "Это не похоже на ИНН")
    assert wrong.reply_to_msg_id == typo
    assert callback_data(wrong) == [b"cn"]
    tg.press_button(user, wrong.id, b"cn")
    (ask,) = wait_text(tg, user, ASK_NAME)
    assert ask.text == f"{ASK_NAME} {BUTTON_HINT}" and reply_keyboard(ask) == ["Иванова Анна"]
    # The older question's button is stale now.
    assert question.id != wrong.id
    # A first name alone is asked again, the button still at hand; nothing is created.
    tg.send_text(user, "Анна")
    (last_missing,) = wait_text(tg, user, LAST_MISSING)
    assert last_missing.text == f"{LAST_MISSING} {BUTTON_HINT}" and reply_keyboard(last_missing) == ["Иванова Анна"]
    assert emu.get_contacts() == []
    tg.send_text(user, "Иванова Анна")  # the button's words: Telegram's own first and last name
    wait_text(tg, user, "Готово! Вы подключены как")
    contact = created_contact(emu, "Иванова")
    assert (contact["first_name"], contact["patronymic"], contact["company_id"]) == ("Анна", None, None)
    daemon.wait_event("name_refused", problem="last_name_missing")
    assert daemon.errors() == []


def test_the_name_is_read_last_name_first_and_no_button_is_spoken_of_without_one(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon(okdesk={"company_clients": False}).start()
    user = tg.add_user(first_name="Иван", last_name=None, phone=PHONE, lang_code="ru")
    tg.send_contact(user, phone=PHONE, first_name="Иван", last_name="", user_id=user.id)
    first_ask = "Мы не нашли вас по номеру телефона. " + ASK_NAME
    (ask,) = wait_text(tg, user, first_ask)
    # Telegram knows no last name: no button, and no word about one.
    assert ask.text == first_ask and reply_keyboard(ask) == []
    alone = tg.send_text(user, "Иван")
    (again,) = wait_text(tg, user, LAST_MISSING)
    assert again.text == LAST_MISSING and again.reply_to_msg_id == alone
    tg.send_text(user, "Петров Иван")
    wait_text(tg, user, "Готово! Вы подключены как Петров Иван")
    contact = eventually(lambda: next(iter(emu.get_contacts()), None), what="the contact")
    assert (contact["last_name"], contact["first_name"], contact["patronymic"]) == ("Петров", "Иван", None)
    assert len(emu.get_contacts()) == 1
    # English: the same order, asked the same way.
    english = tg.add_user(first_name="Peter", last_name="Smith", phone="447700900123", lang_code="en")
    tg.send_contact(english, phone="447700900123", first_name="Peter", last_name="Smith", user_id=english.id)
    (ask_en,) = wait_text(tg, english, "What is your name?")
    assert ask_en.text == ("We could not find you by your phone number. What is your name? Type your last name and "
                           "first name, e.g. “Petrov Ivan” (you may add your patronymic as a third word). Or press "
                           "the button below if your name in Telegram reads the same.")
    assert reply_keyboard(ask_en) == ["Smith Peter"]
    tg.send_text(english, "Smith Peter John")
    wait_text(tg, english, "Done! You are linked as")
    smith = created_contact(emu, "Smith")
    assert (smith["first_name"], smith["patronymic"]) == ("Peter", "John")
    assert daemon.errors() == []


def test_texts_that_send_the_client_to_support_show_how_to_reach_it(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    emu.add_company("ООО Ромашка", inn=OTHER_INN)
    emu.add_company("ООО Ромашка-2", inn=OTHER_INN)
    emu.add_contact("Пётр", "Двойной", phone="+79161112233")
    emu.add_contact("Павел", "Двойной", phone="+79161112233")
    daemon = make_daemon(telegram={"support_contact": SUPPORT}).start()
    twin = tg.add_user(first_name="Пётр", last_name="Двойной", phone="79161112233", lang_code="ru")
    tg.send_contact(twin, phone="79161112233", first_name="Пётр", last_name="Двойной", user_id=twin.id)
    (several,) = wait_text(tg, twin, "Этот номер указан у нескольких контактов")
    assert several.text.endswith(f"Пожалуйста, обратитесь в службу поддержки: {SUPPORT}.")
    user = tg.add_user(first_name="Олег", last_name="Сидоров", phone=PHONE, lang_code="ru")
    tg.press_button(user, share_unknown_phone(tg, user).id, b"cy")
    wait_text(tg, user, "Напишите ИНН компании")
    tg.send_text(user, OTHER_INN)
    (shared,) = wait_text(tg, user, "С этим ИНН в системе несколько компаний")
    assert shared.text.endswith(f"Пожалуйста, обратитесь в службу поддержки: {SUPPORT}.")
    # /help names the contact too.
    client, _ = link_client(tg, emu, daemon, first="Ира", last="Линк", phone="79160000001",
                            contact_phone="+79160000001")
    tg.send_text(client, "/help")
    (shown,) = wait_text(tg, client, "Что умеет этот бот")
    assert shown.text.endswith(f"автоматически.\nСвязаться со службой поддержки: {SUPPORT}")
