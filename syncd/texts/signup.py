"""Sign-up's second chances, the bot's command menu, the support contact in /help, and "My requests"."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        # Added to the name question only when the Telegram name is offered as a button.
        "name_button_hint": "Или нажмите кнопку ниже, если в Telegram ваше имя указано так же.",
        "name_last_missing": (
            "Пожалуйста, напишите и фамилию, и имя, например «Петров Иван»: без фамилии мы не можем вас записать."
        ),
        "inn_unknown_button": "👤 Не знаю ИНН, продолжить как частное лицо",
        # The command menu (Telegram's Menu button): short, as Telegram shows them beside the commands.
        "cmd_new": "Новая заявка",
        "cmd_issues": "Мои заявки",
        "cmd_profile": "Профиль: ваш контакт и номер",
        "cmd_help": "Помощь",
        "cmd_cancel": "Отменить наш вопрос",
        "help_support": "\nСвязаться со службой поддержки: {contact}",
        "issues_header_pages": "Ваши заявки ({total}), страница {page} из {pages}:",
        "issues_legend": "🟢 открыта или в работе, ⏸ отложена, 🏁 решена или закрыта.",
        "issues_company_mark": "🏢 заявка вашей компании, созданная не вами.",
        "refresh_unchanged": "Ничего не изменилось.",
        "refresh_done": "Обновлено.",
    },
    "en": {
        "name_button_hint": "Or press the button below if your name in Telegram reads the same.",
        "name_last_missing": (
            "Please type both your last name and your first name, e.g. “Petrov Ivan”: we cannot sign you up "
            "without a last name."
        ),
        "inn_unknown_button": "👤 I don't know the INN, continue as a private person",
        "cmd_new": "New request",
        "cmd_issues": "My requests",
        "cmd_profile": "Profile: your contact and number",
        "cmd_help": "Help",
        "cmd_cancel": "Cancel our question",
        "help_support": "\nTo reach the support desk: {contact}",
        "issues_header_pages": "Your requests ({total}), page {page} of {pages}:",
        "issues_legend": "🟢 open or in progress, ⏸ on hold, 🏁 resolved or closed.",
        "issues_company_mark": "🏢 your company's request, created by someone else.",
        "refresh_unchanged": "Nothing has changed.",
        "refresh_done": "Updated.",
    },
}
