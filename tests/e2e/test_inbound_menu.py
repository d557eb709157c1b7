"""The client's menu, My issues, issue cards, the Comment button and replies, through `syncd run`."""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

import pytest
from telethon.tl import types

from tests.e2e.helpers import (
    answer_to,
    client_with_issue,
    eventually,
    link_client,
    wait_baseline,
    wait_text,
)
from tests.e2e.inbound_steps import comment_mode, open_card
from tests.tgserver.limits import callback_data

pytestmark = pytest.mark.e2e

MENU_RU = ["📝 Новая заявка", "📋 Мои заявки", "👤 Профиль", "❓ Помощь"]
MENU_EN = ["📝 New request", "📋 My requests", "👤 Profile", "❓ Help"]
ASKED = "Куда добавить это сообщение?"


def reply_labels(markup: Any) -> list[str]:
    assert isinstance(markup, types.ReplyKeyboardMarkup), f"not a reply keyboard: {markup!r}"
    return [button.text for row in markup.rows for button in row.buttons]


def inline(markup: Any) -> list[tuple[str, bytes]]:
    assert isinstance(markup, types.ReplyInlineMarkup), f"not an inline keyboard: {markup!r}"
    return [(b.text, callback_data(b)) for row in markup.rows for b in row.buttons if callback_data(b) is not None]


def status_name(emu: Any, code: str) -> str:
    return next(s["name"] for s in emu.statuses if s["code"] == code)


def wait_edit(tg: Any, msg_id: int, needle: str) -> Any:
    return tg.wait_for(lambda: next((e for e in reversed(tg.edits) if e.msg_id == msg_id and needle in e.text),
                                    None))


def comment_texts(emu: Any, issue_id: int, contact_id: int) -> list[str]:
    return [c["content"] for c in emu.comments_by(issue_id, author=("contact", contact_id))]


# ---------------------------------------------------------------- 1. menu and languages


def test_linking_shows_the_menu_and_menu_and_help_show_it_again(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    (done,) = wait_text(tg, user, "Готово")
    assert reply_labels(done.reply_markup) == MENU_RU
    tg.send_text(user, "/menu")
    (shown,) = wait_text(tg, user, "Выберите действие")
    assert reply_labels(shown.reply_markup) == MENU_RU
    tg.send_text(user, "❓ Помощь")
    (help_msg,) = wait_text(tg, user, "Что умеет этот бот")
    assert "«Новая заявка» (/new)" in help_msg.text and "проведите влево" in help_msg.text
    assert "оцените работу" in help_msg.text and "возобновить" in help_msg.text
    assert "«Открыть в портале»" in help_msg.text  # on by default (okdesk.portal_links)
    assert reply_labels(help_msg.reply_markup) == MENU_RU
    tg.send_text(user, "/help")
    wait_text(tg, user, "Что умеет этот бот", count=2)
    # Menu words and commands are for the bot, never something to file in Okdesk.
    assert not [m for m in tg.sent_to(user) if ASKED in (m.text or "")]
    assert emu.issues_of_contact(contact_id) == []


@pytest.mark.parametrize(("lang_code", "default", "expected"), [
    ("en", None, "en"),
    ("uk", "en", "ru"),
    ("de", None, "ru"),
    ("de", "en", "en"),
    ("kk", "en", "ru"),
])
def test_texts_follow_the_telegram_language(lang_code, default, expected, make_daemon, emu, tg) -> None:
    overrides = {"telegram": {"default_language": default}} if default else {}
    make_daemon(**overrides).start()
    emu.add_contact("Jane", "Doe", phone="+79125550000")
    user = tg.add_user(first_name="Jane", last_name="Doe", phone="79125550000", lang_code=lang_code)
    en = expected == "en"
    tg.send_text(user, "/start")
    wait_text(tg, user, "Hello" if en else "Здравствуйте")
    tg.send_contact(user, phone="79125550000", first_name="Jane", last_name="Doe", user_id=user.id)
    (done,) = wait_text(tg, user, "Done!" if en else "Готово!")
    assert reply_labels(done.reply_markup) == (MENU_EN if en else MENU_RU)
    tg.send_text(user, "/menu")
    (shown,) = wait_text(tg, user, "Choose from the menu" if en else "Выберите действие")
    assert reply_labels(shown.reply_markup) == (MENU_EN if en else MENU_RU)
    tg.send_text(user, (MENU_EN if en else MENU_RU)[-1])
    wait_text(tg, user, "What this bot can do" if en else "Что умеет этот бот")
    tg.send_text(user, (MENU_EN if en else MENU_RU)[1])
    wait_text(tg, user, "You have no requests yet" if en else "У вас пока нет заявок")
    # Every text in one language: the English ones carry no Cyrillic, the Russian ones all do.
    cyrillic = [bool(re.search("[а-яё]", m.text or "", re.IGNORECASE)) for m in tg.sent_to(user)]
    assert cyrillic == [not en] * 5


# ---------------------------------------------------------------- 2. My issues


def test_my_issues_open_first_five_a_page_and_only_the_clients_own(make_daemon, emu, tg) -> None:
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    stranger = emu.add_contact("Пётр", "Чужой", phone="+79990001122")
    statuses = ["opened", "completed", "in_progress", "opened", "closed", "delayed", "opened"]
    ids = [emu.add_issue(f"Проблема номер {n}", contact_id=contact_id, status=code)
           for n, code in enumerate(statuses, 1)]
    foreign = [emu.add_issue("Чужая заявка соседа", contact_id=stranger) for _ in range(2)]
    finished = {i for i, code in zip(ids, statuses) if code in ("completed", "closed")}
    daemon = make_daemon().start()
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    tg.send_text(user, "📋 Мои заявки")
    (listing,) = wait_text(tg, user, "Ваши заявки (7), страница 1 из 2:")
    assert listing.text.splitlines()[1] == "🟢 открыта или в работе, ⏸ отложена, 🏁 решена или закрыта."
    page1 = inline(listing.reply_markup)
    assert [data for _, data in page1][-1] == b"l:1" and b"l:0" not in [d for _, d in page1]
    shown1 = [int(d[2:]) for _, d in page1 if d.startswith(b"v:")]
    assert len(shown1) == 5 and set(shown1) == set(ids) - finished  # every open one, on the first page
    # Status first, as a mark a phone shows: open, waiting (delayed), finished.
    label = {d: text for text, d in page1}
    assert label[f"v:{ids[0]}".encode()] == f"🟢 #{ids[0]} Проблема номер 1"
    assert label[f"v:{ids[5]}".encode()] == f"⏸ #{ids[5]} Проблема номер 6"

    tg.press_button(user, listing.id, b"l:1")
    page2_edit = wait_edit(tg, listing.id, "страница 2 из 2")
    page2 = inline(page2_edit.reply_markup)
    assert set(int(d[2:]) for _, d in page2 if d.startswith(b"v:")) == finished
    assert [d for _, d in page2 if d.startswith(b"l:")] == [b"l:0"]
    assert all(text.startswith("🏁 #") for text, d in page2 if d.startswith(b"v:"))

    tg.press_button(user, listing.id, b"l:0")
    back = tg.wait_for(lambda: [e for e in tg.edits if e.msg_id == listing.id and "страница 1 из 2" in e.text])
    assert {int(d[2:]) for _, d in inline(back[-1].reply_markup) if d.startswith(b"v:")} == set(shown1)

    seen = [m.text or "" for m in tg.sent_to(user)] + [e.text for e in tg.edits]
    seen += [text for e in tg.edits for text, _ in inline(e.reply_markup)] + [text for text, _ in page1]
    assert not [s for s in seen if "Чужая" in s or any(f"#{f} " in s for f in foreign)]
    assert len(tg.sent_to(user)) == 3  # greeting, "Готово", the list: paging edits, sends nothing new


def test_my_issues_empty(make_daemon, emu, tg) -> None:
    stranger = emu.add_contact("Пётр", "Чужой", phone="+79990001122")
    emu.add_issue("Чужая заявка соседа", contact_id=stranger)
    daemon = make_daemon().start()
    user, _ = link_client(tg, emu, daemon)
    tg.send_text(user, "/issues")
    (empty,) = wait_text(tg, user, "У вас пока нет заявок")
    assert reply_labels(empty.reply_markup) == MENU_RU
    assert not [m for m in tg.sent_to(user) if "Чужая" in (m.text or "")]


# ---------------------------------------------------------------- 3. the card


def test_card_shows_status_title_public_comments_and_refresh_edits_it(make_daemon, emu, tg, employee) -> None:
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    issue_id = emu.add_issue("Сломался сканер", contact_id=contact_id, status="in_progress")
    emu.add_comment(issue_id, "<p>Первый ответ сотрудника</p>", author=("employee", employee))
    emu.add_comment(issue_id, "Секретная заметка для своих", public=False, author=("employee", employee))
    daemon = make_daemon().start()
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    wait_baseline(daemon, issue_id)
    card = open_card(tg, user, issue_id)
    assert card.text.startswith(f"Заявка #{issue_id} «Сломался сканер»\nСтатус: {status_name(emu, 'in_progress')}\n")
    assert re.search(r"Создана: \d\d\.\d\d\.\d{4} \d\d:\d\d", card.text)
    assert "Последние комментарии:\n— " in card.text and "Первый ответ сотрудника" in card.text
    assert "Секретная" not in card.text
    assert [d for _, d in inline(card.reply_markup)] == [f"c:{issue_id}".encode(), f"r:{issue_id}".encode(),
                                                         f"p:{issue_id}".encode(), b"l:0"]

    emu.add_comment(issue_id, "Заменили ролик, проверьте", author=("employee", employee))
    wait_text(tg, user, "Заменили ролик")  # delivered as a staff comment as well
    query = tg.press_button(user, card.id, f"r:{issue_id}".encode())
    edit = wait_edit(tg, card.id, "Заменили ролик, проверьте")
    assert "Первый ответ сотрудника" in edit.text and "Секретная" not in edit.text
    answer = answer_to(tg, query)
    assert not answer.alert and answer.message == "Обновлено."


def test_card_without_comments_says_so(make_daemon, emu, tg) -> None:
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    issue_id = emu.add_issue("Нет интернета", contact_id=contact_id)
    daemon = make_daemon().start()
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    card = open_card(tg, user, issue_id)
    assert f"Статус: {status_name(emu, 'opened')}" in card.text and card.text.endswith("Комментариев пока нет.")


# ---------------------------------------------------------------- 4. the Comment button


def test_comment_button_then_one_message_is_the_comment(make_daemon, emu, tg) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает почта")
    comment_mode(tg, user, issue_id)
    tg.send_text(user, "Outlook пишет «нет соединения»")
    wait_text(tg, user, f"✅ Комментарий добавлен в заявку #{issue_id}.")
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert "Outlook пишет" in comment["content"] and comment["public"] is True
    # The window is used up: the next message is asked about, not silently added.
    tg.send_text(user, "А ещё не печатает принтер")
    wait_text(tg, user, ASKED)
    assert len(emu.get_comments(issue_id)) == 1


def test_comment_window_expires(make_daemon, emu, tg) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает почта", sync={"comment_window": 1})
    prompt = comment_mode(tg, user, issue_id)
    time.sleep(max(0.0, prompt.at + 1.3 - time.time()))  # the window itself is what is tested
    tg.send_text(user, "Запоздалое уточнение")
    wait_text(tg, user, ASKED)
    assert emu.get_comments(issue_id) == []


# ---------------------------------------------------------------- 5. dialog state survives a restart


def test_comment_dialog_survives_a_restart(make_daemon, emu, tg) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает почта")
    comment_mode(tg, user, issue_id)
    daemon.stop()
    daemon.start()
    tg.send_text(user, "Пишу после перезапуска")
    wait_text(tg, user, f"✅ Комментарий добавлен в заявку #{issue_id}.")
    assert comment_texts(emu, issue_id, contact_id) == ["Пишу после перезапуска"]
    assert not [m for m in tg.sent_to(user) if ASKED in (m.text or "")]


def test_new_issue_dialog_survives_a_kill(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    tg.send_text(user, "📝 Новая заявка")
    wait_text(tg, user, "Опишите проблему")
    daemon.kill()
    daemon.start()
    tg.send_text(user, "Сгорел блок питания")
    wait_text(tg, user, "✅ Заявка #")
    (issue,) = eventually(lambda: emu.issues_of_contact(contact_id), what="issue created")
    assert issue["title"] == "Сгорел блок питания"


# ---------------------------------------------------------------- 6. replies


@pytest.mark.parametrize("replied", ["card", "staff comment", "status change"])
def test_reply_to_a_bot_message_about_an_issue_is_a_comment_on_it(replied, make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    other = emu.add_issue("Другая заявка", contact_id=contact_id)
    issue_id = emu.add_issue("Не работает почта", contact_id=contact_id)
    wait_baseline(daemon, other)
    wait_baseline(daemon, issue_id)
    if replied == "card":
        target = open_card(tg, user, issue_id)
    elif replied == "staff comment":
        emu.add_comment(issue_id, "Перезагрузите роутер", author=("employee", employee))
        (target,) = wait_text(tg, user, "Перезагрузите роутер")
    else:
        emu.set_status(issue_id, "in_progress")
        (target,) = wait_text(tg, user, f"#{issue_id} «Не работает почта»: ")
    tg.send_text(user, "Сделал, не помогло", reply_to=target.id)
    wait_text(tg, user, f"✅ Комментарий добавлен в заявку #{issue_id}.")
    assert comment_texts(emu, issue_id, contact_id) == ["Сделал, не помогло"]
    assert comment_texts(emu, other, contact_id) == []
    assert not [m for m in tg.sent_to(user) if ASKED in (m.text or "")]


def test_reply_to_an_unrecorded_bot_message_is_resolved_from_its_number(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    other = emu.add_issue("Другая заявка", contact_id=contact_id)
    issue_id = emu.add_issue("Не работает почта", contact_id=contact_id)
    wait_baseline(daemon, other)
    wait_baseline(daemon, issue_id)
    emu.add_comment(issue_id, "Перезагрузите роутер", author=("employee", employee))
    (target,) = wait_text(tg, user, "Перезагрузите роутер")
    daemon.wait_event("delivered")
    daemon.stop()
    # As if the send had been confirmed only by RANDOM_ID_DUPLICATE: the daemon has no record of it.
    conn = sqlite3.connect(daemon.state_dir / "syncd.sqlite3")
    with conn:
        forgotten = conn.execute("DELETE FROM message_map WHERE tg_message_id = ?", (target.id,)).rowcount
    conn.close()
    assert forgotten == 1
    daemon.start()
    tg.send_text(user, "Роутер перезагружен", reply_to=target.id)
    wait_text(tg, user, f"✅ Комментарий добавлен в заявку #{issue_id}.")
    assert comment_texts(emu, issue_id, contact_id) == ["Роутер перезагружен"]
    # A reply to a bot message that names no issue has no context: it is asked about.
    (done,) = wait_text(tg, user, "Готово")
    tg.send_text(user, "Это куда?", reply_to=done.id)
    wait_text(tg, user, ASKED)
    assert comment_texts(emu, other, contact_id) == []
    assert comment_texts(emu, issue_id, contact_id) == ["Роутер перезагружен"]


def test_a_staff_comment_carries_a_reply_button_that_takes_the_next_message(make_daemon, emu, tg,
                                                                             employee) -> None:
    """The predecessor's "reply" button: under the last text of a staff comment (a Telegram reply works too)."""
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает почта")
    emu.add_comment(issue_id, "<p>" + "Проверьте настройки. " * 300 + "</p>", author=("employee", employee))
    parts = wait_text(tg, user, "Проверьте настройки", count=2)
    # A long comment comes in parts: the button is under the last one only.
    assert parts[0].reply_markup is None
    (button,) = [b for row in parts[-1].reply_markup.rows for b in row.buttons]
    assert button.text == "💬 Ответить" and callback_data(button) == f"c:{issue_id}".encode()
    tg.press_button(user, parts[-1].id, callback_data(button))
    wait_text(tg, user, f"Напишите комментарий к заявке #{issue_id}")
    tg.send_text(user, "Настройки проверил, всё так же")
    wait_text(tg, user, f"Комментарий добавлен в заявку #{issue_id}")
    assert [c["content"] for c in emu.comments_by(issue_id, author=("contact", contact_id))] == [
        "Настройки проверил, всё так же"]
