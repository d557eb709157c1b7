"""Every text the bot shows a client or writes to staff, in Russian and English.

Russian is the default: most clients write in Russian, and the CIS languages get Russian too.
"""

from __future__ import annotations

RUSSIAN_FOR = {"ru", "uk", "be", "kk", "ky", "uz", "tg", "hy", "az", "ka", "ro", "tk"}

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "greeting": (
            "Здравствуйте! Это бот службы поддержки.\n\n"
            "Чтобы получать ответы по вашим заявкам, поделитесь номером телефона кнопкой ниже: "
            "по нему мы найдём вас в системе."
        ),
        "share_phone_button": "📱 Поделиться номером",
        "linked_as": "Вы подключены как {name}. Ответы сотрудников по вашим заявкам будут приходить сюда.",
        "linked_now": "Готово! Вы подключены как {name}. Ответы сотрудников по вашим заявкам будут приходить сюда.",
        "not_own_contact": (
            "Это не ваш номер. Пожалуйста, нажмите кнопку «Поделиться номером», "
            "чтобы отправить свой собственный контакт."
        ),
        "several_contacts": (
            "Этот номер указан у нескольких контактов, и мы не можем выбрать за вас. "
            "Пожалуйста, обратитесь в службу поддержки{support}."
        ),
        "ask_name": "Мы не нашли вас по номеру телефона. Как вас зовут? Напишите фамилию, имя и отчество или нажмите кнопку.",
        "name_invalid": "Пожалуйста, напишите имя текстом (от 2 до 100 символов).",
        "not_found_call": "Мы не нашли вас по номеру телефона. Пожалуйста, обратитесь в службу поддержки{support}.",
        "support_suffix": ": {contact}",
        "private_only": "Я работаю только в личных сообщениях. Напишите мне напрямую.",
        "okdesk_unavailable": "Система поддержки сейчас недоступна. Пожалуйста, попробуйте ещё раз через несколько минут.",
        "need_link": "Сначала подключитесь: отправьте /start и поделитесь номером телефона.",
        "issue_header": "Заявка #{issue_id} «{title}»",
        "comment_author": "{author}:",
        "files_only": "📎 Файлы: {count}",
        "files_added": "Добавлены файлы: {count}",
        "status_changed": "#{issue_id} «{title}»: {old} → {new}",
        "file_too_large": "📎 {name} ({size}) — файл слишком большой для Telegram, он доступен в заявке.",
        "file_unavailable": "📎 {name} — файл не удалось получить.",
        "staff_parked": (
            "[syncd] Клиент не получил в Telegram сообщение по этой заявке ({what}) после повторных попыток: "
            "{error}. Свяжитесь с клиентом другим способом."
        ),
        "staff_blocked": (
            "[syncd] Клиент заблокировал бота в Telegram и не получает сообщения по этой заявке. "
            "Свяжитесь с клиентом другим способом."
        ),
        "staff_too_large": (
            "[syncd] Файл «{name}» ({size}) больше предела для Telegram ({limit}); клиент получил только "
            "его название."
        ),
        "unit_b": "Б",
        "unit_kb": "КБ",
        "unit_mb": "МБ",
        "unit_gb": "ГБ",
    },
    "en": {
        "greeting": (
            "Hello! This is the support bot.\n\n"
            "To get replies on your requests here, share your phone number with the button below: "
            "we use it to find you in our helpdesk."
        ),
        "share_phone_button": "📱 Share my phone number",
        "linked_as": "You are linked as {name}. Staff replies to your requests will arrive here.",
        "linked_now": "Done! You are linked as {name}. Staff replies to your requests will arrive here.",
        "not_own_contact": "This is not your own number. Please press “Share my phone number” to send your own contact.",
        "several_contacts": (
            "This number belongs to several contacts and we cannot choose for you. Please contact support{support}."
        ),
        "ask_name": "We could not find you by your phone number. What is your full name? Type it or press the button.",
        "name_invalid": "Please type your name (2 to 100 characters).",
        "not_found_call": "We could not find you by your phone number. Please contact support{support}.",
        "support_suffix": ": {contact}",
        "private_only": "I only work in private chats. Please write to me directly.",
        "okdesk_unavailable": "The helpdesk is unavailable right now. Please try again in a few minutes.",
        "need_link": "Please link your account first: send /start and share your phone number.",
        "issue_header": "Request #{issue_id} “{title}”",
        "comment_author": "{author}:",
        "files_only": "📎 Files: {count}",
        "files_added": "Files added: {count}",
        "status_changed": "#{issue_id} “{title}”: {old} → {new}",
        "file_too_large": "📎 {name} ({size}) is too large for Telegram; it is available in the request.",
        "file_unavailable": "📎 {name} could not be retrieved.",
        # Staff notices exist in Russian only: they are written into Okdesk, whose staff read Russian.
        "unit_b": "B",
        "unit_kb": "KB",
        "unit_mb": "MB",
        "unit_gb": "GB",
    },
}


def language_for(tg_lang_code: str | None, default: str = "ru") -> str:
    code = (tg_lang_code or "").split("-")[0].lower()
    if code == "en":
        return "en"
    if code in RUSSIAN_FOR:
        return "ru"
    return default


def t(lang: str, key: str, **values: object) -> str:
    text = TEXTS.get(lang, TEXTS["ru"]).get(key) or TEXTS["ru"][key]
    return text.format(**values) if values else text


def human_size(size: int | None, lang: str = "ru") -> str:
    if size is None:
        return "?"
    units = [("unit_gb", 1 << 30), ("unit_mb", 1 << 20), ("unit_kb", 1 << 10)]
    for key, scale in units:
        if size >= scale:
            value = size / scale
            shown = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{shown} {t(lang, key)}"
    return f"{size} {t(lang, 'unit_b')}"
