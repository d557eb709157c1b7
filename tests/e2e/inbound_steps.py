"""Steps the inbound (Telegram -> Okdesk) end-to-end files share: cards, comment mode, names, buttons."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from tests.e2e.helpers import wait_text
from tests.tgserver.limits import markup_callback_data

ADDED = "✅ Комментарий добавлен в заявку"
CREATED = "✅ Заявка #"


def callback_data(sent: Any) -> list[bytes]:
    """The callback data of a bot message's inline buttons, in order."""
    return markup_callback_data(sent.reply_markup)


def button_texts(sent: Any) -> list[str]:
    """The labels of a bot message's inline buttons, in order ([] for a message without buttons)."""
    return [b.text for row in sent.reply_markup.rows for b in row.buttons] if sent.reply_markup else []


def cards_of(tg: Any, user: Any, issue_id: int) -> list[Any]:
    """The issue's cards sent to the user (a staff comment begins with the same header; a card has a status)."""
    return [m for m in tg.sent_to(user)
            if (m.text or "").startswith(f"Заявка #{issue_id} «") and "\nСтатус: " in (m.text or "")]


def wait_card(tg: Any, user: Any, issue_id: int, count: int = 1) -> Any:
    """The count-th card of the issue sent to the user."""
    return tg.wait_for(lambda: (found := cards_of(tg, user, issue_id)) and len(found) >= count and found)[count - 1]


def open_card(tg: Any, user: Any, issue_id: int) -> Any:
    """My issues, then the issue's button: the card (a bot message mapped to the issue: a reply to it is
    a comment)."""
    lists = len([m for m in tg.sent_to(user) if (m.text or "").startswith("Ваши заявки")])
    cards_before = len(cards_of(tg, user, issue_id))
    tg.send_text(user, "📋 Мои заявки")
    listing = wait_text(tg, user, "Ваши заявки", count=lists + 1)[-1]
    tg.press_button(user, listing.id, f"v:{issue_id}".encode())
    return wait_card(tg, user, issue_id, count=cards_before + 1)


def comment_mode(tg: Any, user: Any, issue_id: int) -> Any:
    """The Comment button of the issue's card: the next message is a comment on it. Returns the prompt."""
    prompts = sum(1 for m in tg.sent_to(user) if f"Напишите комментарий к заявке #{issue_id}" in (m.text or ""))
    card = open_card(tg, user, issue_id)
    tg.press_button(user, card.id, f"c:{issue_id}".encode())
    return wait_text(tg, user, f"Напишите комментарий к заявке #{issue_id}", count=prompts + 1)[-1]


def new_issue_mode(tg: Any, user: Any) -> None:
    """The menu's New issue: the next message becomes an issue."""
    count = sum(1 for m in tg.sent_to(user) if (m.text or "").startswith("Опишите проблему"))
    tg.send_text(user, "📝 Новая заявка")
    wait_text(tg, user, "Опишите проблему", count=count + 1)


def account_tz(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def stamp(tg: Any, msg_id: int, tz: timezone) -> str:
    """The Telegram message's date as the daemon names files: account time zone, whole seconds."""
    date = tg.message(msg_id).date
    return date.replace(microsecond=0).astimezone(tz).strftime("%Y-%m-%d_%H-%M-%S")


def resend_media(tg: Any, user: Any, msg_id: int, caption: str = "") -> int:
    """The user sends the very same Telegram file again (same photo/document id), as Telegram does
    when a file is forwarded or picked again from the chat. The test server has no public call for
    this, so the message is built from the earlier one's media."""
    media = tg.message(msg_id).media
    fields = tg._private(user, caption, None, media=media)
    return tg._push_user_messages(user, lambda: [fields])[0]


def names(attachments: list[dict[str, Any]]) -> list[str]:
    return [a["attachment_file_name"] for a in attachments]
