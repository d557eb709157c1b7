"""Private notices to staff in Okdesk: Russian only (they are for the account's staff, not a client).

Staff never heard of the bot: every notice names it as the support desk's Telegram channel, names the
client, says what the client missed and since when, and what to do now. syncd.sync.notices puts the
pieces together; no English word, code or exception text ever goes into them (those go to the log).
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        # What happened (the first line of a notice).
        "staff_blocked": (
            "Клиент {client} заблокировал Telegram-канал службы поддержки (бот) и не получает в Telegram "
            "сообщения по этой заявке."
        ),
        "staff_unreachable": (
            "Клиент {client} не получает сообщения по этой заявке из Telegram-канала службы поддержки (бота): "
            "Telegram не принимает сохранённый адрес клиента."
        ),
        "staff_account_deleted": (
            "Клиент {client} удалил свой аккаунт Telegram: сообщения по этой заявке из Telegram-канала службы "
            "поддержки (бота) до него больше не дойдут, и его связь с ботом забыта."
        ),
        "staff_parked": (
            "Клиент {client} не получил сообщение по этой заявке из Telegram-канала службы поддержки (бота): "
            "{cause}. Попытки доставки прекращены."
        ),
        "staff_too_large": (
            "Файл «{name}» ({size}), добавленный {since}, больше предела для передачи в Telegram ({limit}), "
            "поэтому клиент {client} получил из Telegram-канала службы поддержки (бота) только его название."
        ),
        "staff_too_large_undated": (
            "Файл «{name}» ({size}) больше предела для передачи в Telegram ({limit}), поэтому клиент {client} "
            "получил из Telegram-канала службы поддержки (бота) только его название."
        ),
        "staff_reachable_again": (
            "Клиент {client} снова на связи в Telegram: он вернулся в Telegram-канал службы поддержки (бот). "
            "Сообщения по этой заявке, которые он пропустил с {since}, сейчас будут доставлены ему в Telegram "
            "автоматически."
        ),
        # Why a delivery was given up (staff_parked's {cause}); the error itself goes to the log only.
        "staff_cause_telegram_refused": "Telegram отказался его принять",
        "staff_cause_telegram_down": "Telegram слишком долго был недоступен",
        "staff_cause_okdesk_file": "файлы этого сообщения не удалось получить из Okdesk",
        "staff_cause_okdesk_down": "Okdesk слишком долго был недоступен",
        "staff_cause_other": "его не удалось доставить, подробности — в журнале бота",
        # What the client missed, and since when (the second line).
        "staff_missed_since": "Не доставлено с {since}: {what}.",
        "staff_missed_at": "Не доставлено: {what} от {since}.",
        "staff_missed": "Не доставлено: {what}.",
        "staff_what_comment": "ответ сотрудника",
        "staff_what_status": "смена статуса",
        "staff_what_files": "файлы, добавленные сотрудником",
        "staff_what_confirmation": "подтверждение, что его сообщение принято",
        "staff_what_message": "сообщение по заявке",
        "staff_what_waiting": "сообщения, ожидавшие отправки",
        "staff_what_created": "сообщение о том, что для него создана эта заявка",
        "staff_what_post_failed": "сообщение, что его сообщение не удалось передать в службу поддержки",
        "staff_what_question_expired": (
            "сообщение, что его сообщение не передано в службу поддержки: он не ответил вовремя на вопрос бота"
        ),
        # What staff should do (the last line).
        "staff_todo_contact": (
            "Что сделать: позвоните клиенту или напишите ему другим способом (например, по электронной почте)."
        ),
        "staff_todo_contact_until_back": (
            "Что сделать: позвоните клиенту или напишите ему другим способом (например, по электронной почте). "
            "Когда клиент снова напишет боту, пропущенное будет доставлено ему автоматически, а здесь появится "
            "отметка об этом."
        ),
        "staff_todo_account_deleted": (
            "Что сделать: свяжитесь с клиентом по телефону или по электронной почте. В Telegram ответы снова "
            "начнут приходить ему, только если он заново подключится к боту с нового аккаунта."
        ),
        "staff_todo_file": (
            "Что сделать: отправьте файл клиенту другим способом (например, по электронной почте) или приложите "
            "файл меньшего размера."
        ),
        "staff_todo_nothing": (
            "Что сделать: ничего. Если вы уже связались с клиентом другим способом, эти сообщения он всё равно "
            "получит и в Telegram."
        ),
        # A client with no name in Okdesk (the contact's name is empty).
        "staff_unnamed_client": "без имени",
    },
    "en": {},
}
