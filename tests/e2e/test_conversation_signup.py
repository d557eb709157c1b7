"""Sign-up and the bot's command menu as the client reads them, through `syncd run`: the phone button coming
back with every text that needs it, the INN question's way out as a private person, the name read as
«Фамилия Имя», the commands Telegram's Menu button lists, and /help with the support contact."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import eventually, link_client, wait_text
from tests.e2e.inbound_steps import callback_data

pytestmark = pytest.mark.e2e

SUPPORT = "+7 495 123-45-67"
PHONE = "79161234567"


def asks_for_phone(message: Any) -> bool:
    rows = getattr(message.reply_markup, "rows", None) or []
    return any("RequestPhone" in type(b).__name__ or "RequestPhone" in type(getattr(b, "type", None)).__name__
               for row in rows for b in row.buttons)


def labels(message: Any) -> list[str]:
    rows = getattr(message.reply_markup, "rows", None) or []
    return [b.text for row in rows for b in row.buttons]


def test_sign_up_never_dead_ends_and_the_name_is_read_last_name_first(make_daemon, emu, tg) -> None:
    daemon = make_daemon(telegram={"support_contact": SUPPORT}).start()
    user = tg.add_user(first_name="Иван", last_name="Петров", phone=PHONE, lang_code="ru")
    neighbour = tg.add_user(first_name="Мария", last_name="Сидорова", phone="79990001122")
    # Writing before signing up: told what to do, with the button that does it.
    first = tg.send_text(user, "Добрый день, не работает касса")
    (need,) = wait_text(tg, user, "Сначала подключитесь")
    assert need.text == "Сначала подключитесь: поделитесь номером телефона кнопкой ниже." and asks_for_phone(need)
    assert need.reply_to_msg_id == first  # which words were not passed on
    # Someone else's contact: refused, the button again at hand.
    shared = tg.send_contact(user, phone="79990001122", first_name="Мария", last_name="Сидорова",
                             user_id=neighbour.id)
    (not_own,) = wait_text(tg, user, "Это не ваш номер")
    assert not_own.reply_to_msg_id == shared
    assert not_own.text == ("Это не ваш номер. Пожалуйста, нажмите кнопку «Поделиться номером», чтобы отправить "
                            "свой собственный контакт.")
    assert asks_for_phone(not_own)
    # His own, unknown to Okdesk: from a company, but without the INN at hand.
    tg.send_contact(user, phone=PHONE, first_name="Иван", last_name="Петров", user_id=user.id)
    (company,) = wait_text(tg, user, "Вы обращаетесь от имени компании?")
    tg.press_button(user, company.id, b"cy")
    (inn,) = wait_text(tg, user, "Напишите ИНН компании")
    assert inn.text == ("Напишите ИНН компании: 10 цифр для организации или 12 цифр для ИП. Если ИНН под рукой нет, "
                        "можно продолжить как частное лицо кнопкой ниже.")
    assert labels(inn) == ["👤 Не знаю ИНН, продолжить как частное лицо"] and callback_data(inn) == [b"cn"]
    tg.press_button(user, inn.id, b"cn")
    (ask,) = wait_text(tg, user, "Как вас зовут?")
    assert ask.text == ("Как вас зовут? Напишите фамилию и имя, например «Петров Иван» (отчество можно добавить "
                        "третьим словом). Или нажмите кнопку ниже, если в Telegram ваше имя указано так же.")
    assert labels(ask) == ["Петров Иван"]
    # A first name alone: asked again, nothing made up.
    alone = tg.send_text(user, "Иван")
    (again,) = wait_text(tg, user, "без фамилии")
    assert again.reply_to_msg_id == alone
    assert again.text == ("Пожалуйста, напишите и фамилию, и имя, например «Петров Иван»: без фамилии мы не можем "
                          "вас записать. Или нажмите кнопку ниже, если в Telegram ваше имя указано так же.")
    assert emu.get_contacts() == []
    tg.send_text(user, "Петров Иван Сергеевич")
    (done,) = wait_text(tg, user, "Готово!")
    assert done.text.startswith("Готово! Вы подключены как Петров Иван Сергеевич.")
    (contact,) = eventually(lambda: emu.get_contacts(), what="the contact created")
    assert (contact["last_name"], contact["first_name"], contact["patronymic"]) == ("Петров", "Иван", "Сергеевич")
    assert contact["company_id"] is None
    assert daemon.errors() == []


COMMANDS = {
    "ru": [("new", "Новая заявка"), ("issues", "Мои заявки"), ("profile", "Профиль: ваш контакт и номер"),
           ("help", "Помощь"), ("cancel", "Отменить наш вопрос")],
    "en": [("new", "New request"), ("issues", "My requests"), ("profile", "Profile: your contact and number"),
           ("help", "Help"), ("cancel", "Cancel our question")],
}
HELP = (
    "Что умеет этот бот:\n"
    "• «Новая заявка» (/new): опишите проблему текстом, фото, видео или файлами, и мы создадим заявку.\n"
    "• «Мои заявки» (/issues): ваши заявки и их статус; нажмите на заявку, чтобы открыть её карточку с последними "
    "комментариями.\n"
    "• «Профиль» (/profile): ваш контакт; там же можно сменить номер или отвязать Telegram.\n"
    "• Чтобы дополнить заявку, проведите влево по любому нашему сообщению о ней (или нажмите на него и выберите "
    "«Ответить») и напишите ответ. Можно и нажать «Комментировать» в карточке заявки.\n"
    "• /cancel отменяет наш вопрос, если отвечать на него не нужно.\n"
    "• Когда заявка решена, оцените работу кнопками под уведомлением. Если проблема вернулась, напишите в заявку: "
    "мы предложим возобновить её или создать новую.\n"
    "• «Открыть в портале» в карточке заявки присылает одноразовую ссылку: она открывает клиентский портал службы "
    "поддержки без пароля, со всеми вашими заявками и их историей.\n"
    "Ответы службы поддержки и смена статуса приходят сюда автоматически.\n"
    f"Связаться со службой поддержки: {SUPPORT}"
)


def test_the_menu_button_lists_the_commands_and_help_names_the_support_contact(make_daemon, emu, tg) -> None:
    daemon = make_daemon(telegram={"support_contact": SUPPORT}).start()
    daemon.wait_event("bot_commands_registered", languages_written=3)
    held = {lang: [(c.command, c.description) for c in commands]
            for (scope, lang), commands in tg.bot_commands.items() if scope == "BotCommandScopeDefault"}
    # Russian for Russian and for every language neither listed (telegram.default_language).
    assert held == {"ru": COMMANDS["ru"], "en": COMMANDS["en"], "": COMMANDS["ru"]}
    user, _ = link_client(tg, emu, daemon)
    tg.send_text(user, "/help")
    (shown,) = wait_text(tg, user, "Что умеет этот бот")
    assert shown.text == HELP
    # Restarted: Telegram holds the lists already, none is written again.
    writes = len(tg.rpc_calls("SetBotCommands"))
    assert daemon.stop() == 0
    daemon.start()
    daemon.wait_event("bot_commands_current", run=2)
    assert len(tg.rpc_calls("SetBotCommands")) == writes == 3
    english, _ = link_client(tg, emu, daemon, first="Bob", last="Smith", phone="447700900123",
                             contact_phone="+447700900123", lang="en")
    tg.send_text(english, "/help")
    (english_help,) = wait_text(tg, english, "What this bot can do")
    assert "swipe left on any of our messages about it (or tap it and choose “Reply”)" in english_help.text
    assert english_help.text.endswith(f"\nTo reach the support desk: {SUPPORT}")
    assert daemon.errors() == []
