"""A way out of every question, through the daemon in the test process: /cancel and the cancel button on
each question (new request, comment, remark, where to, reopen or not), a question that expired and the
late answer, a short thanks not questioned, and a text then a photo after "Comment" or "New request"
taken as one comment or one issue."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.helpers import (
    client_with_issue,
    db_rows,
    eventually,
    link_client,
    press,
    sha,
    texts_to,
    wait_text,
)
from tests.e2e.inbound_steps import (
    ADDED,
    CREATED,
    button_texts,
    callback_data,
    comment_mode,
    new_issue_mode,
    open_card,
)
from tests.e2e.test_inbound_media import own_comments
from tests.e2e.test_rating import last_edit
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer, make_png
from tests.unit.daemon_harness import MakeDaemon

ASKED = "Куда добавить это сообщение?"
NOT_SENT = "✖ Отменено: это сообщение не передано в службу поддержки."
NOTHING = "Сейчас отменять нечего: мы ни о чём вас не спрашиваем."
THANKS_ACK = "🙂 Рады помочь! Короткие ответы вроде этого мы не передаём в службу поддержки."
EXPIRED_NOTE = "⌛ Вы не ответили на вопрос об этом сообщении"
EXPIRED_ALERT = ("Время ответа на этот вопрос истекло, и сообщение не передано в службу поддержки. "
                 "Если оно ещё нужно, отправьте его снова.")


def edits_of(tg: TelegramTestServer, msg_id: int) -> list[Any]:
    return [e for e in tg.edits if e.msg_id == msg_id]


def wait_edit(tg: TelegramTestServer, msg_id: int, text: str) -> Any:
    return tg.wait_for(lambda: next((e for e in edits_of(tg, msg_id) if e.text == text), None))


def job_states(daemon: Any) -> list[str]:
    return [r["state"] for r in db_rows(daemon, "SELECT state FROM inbound_jobs ORDER BY id")]


def test_cancel_on_each_question_says_what_was_cancelled_and_sends_nothing(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер")
    # Nothing asked yet.
    tg.send_text(user, "/cancel")
    wait_text(tg, user, NOTHING)
    # "New request", then /cancel: no issue, and the next message is asked about.
    new_issue_mode(tg, user)
    tg.send_text(user, "/cancel")
    wait_text(tg, user, "Отменено: новая заявка не создана.")
    # "Comment", then its cancel button: the prompt says what was cancelled.
    prompt = comment_mode(tg, user, issue_id)
    assert button_texts(prompt) == ["✖ Отмена"]
    press(tg, user, prompt.id, b"x")
    wait_edit(tg, prompt.id, f"Отменено: комментарий к заявке #{issue_id} мы больше не ждём.")
    # Pressed again: over already.
    assert press(tg, user, prompt.id, b"x").message == "Этот вопрос уже закрыт, отменять нечего."
    # "Where should this go?", then its cancel button: the message is not sent.
    tg.send_text(user, "Картридж закончился")
    (asked,) = wait_text(tg, user, ASKED)
    cancel = callback_data(asked)[-1]
    assert cancel.startswith(b"xj:") and button_texts(asked)[-1] == "✖ Отмена"
    press(tg, user, asked.id, cancel)
    wait_edit(tg, asked.id, NOT_SENT)
    # Its other buttons do nothing now.
    assert press(tg, user, asked.id, callback_data(asked)[0]).message == "Это сообщение уже обработано."
    # Another question, cancelled by /cancel: the question loses its buttons too.
    tg.send_text(user, "И сканер тоже")
    asked = wait_text(tg, user, ASKED, count=2)[-1]
    tg.send_text(user, "/cancel")
    wait_text(tg, user, "Отменено: ваше сообщение не передано в службу поддержки.")
    assert wait_edit(tg, asked.id, NOT_SENT).reply_markup is None
    # Reopen or not, then /cancel.
    emu.set_status(issue_id, "completed", author=("employee", employee))
    (notice,) = wait_text(tg, user, f"#{issue_id} «Не печатает принтер»: ")
    tg.send_text(user, "Опять не печатает", reply_to=notice.id)
    (finished,) = wait_text(tg, user, "Что сделать с вашим сообщением?")
    assert button_texts(finished)[-1] == "✖ Отмена"
    tg.send_text(user, "/cancel")
    wait_text(tg, user, "Отменено: ваше сообщение не передано в службу поддержки.", count=2)
    wait_edit(tg, finished.id, NOT_SENT)
    # A remark, then /cancel.
    tg.press_button(user, notice.id, f"rt:{issue_id}:2".encode())  # 👌: its edit offers the remark
    edit = last_edit(tg, notice.id)
    tg.press_button(user, edit.msg_id, f"rm:{issue_id}".encode())
    (remark,) = wait_text(tg, user, f"Напишите отзыв к заявке #{issue_id}")
    assert button_texts(remark) == ["✖ Отмена"]
    tg.send_text(user, "/cancel")
    wait_text(tg, user, f"Отменено: отзыв к заявке #{issue_id} мы больше не ждём.")
    daemon.wait_cycles(2)
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    assert len(emu.issues_of_contact(contact_id)) == 1
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    assert job_states(daemon) == ["cancelled", "cancelled", "cancelled"]
    assert daemon.errors() == []


def test_an_unanswered_question_expires_and_the_client_is_told_so_and_what_now(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Нет интернета",
                                                           sync={"question_ttl": 1})
    msg = tg.send_text(user, "Роутер мигает красным")
    (asked,) = wait_text(tg, user, ASKED)
    # Left unanswered: the question loses its buttons, and the client is told in a reply to the message.
    (told,) = wait_text(tg, user, "⌛ Вы не ответили на вопрос об этом сообщении в течение 1 мин.")
    assert told.reply_to_msg_id == msg
    assert told.text.endswith("поэтому мы его не передали в службу поддержки. Если оно ещё нужно, отправьте его снова.")
    edit = wait_edit(tg, asked.id, "⌛ Время ответа истекло: сообщение не передано в службу поддержки.")
    assert edit.reply_markup is None
    # A button of the old question, pressed later: told it expired, nothing posted.
    assert press(tg, user, asked.id, callback_data(asked)[0]).message == EXPIRED_ALERT
    assert press(tg, user, asked.id, callback_data(asked)[-1]).message == EXPIRED_ALERT
    # "Comment", answered after the time is over: told so, and asked where instead.
    prompt = comment_mode(tg, user, issue_id)
    time.sleep(max(0.0, prompt.at + 1.3 - time.time()))
    tg.send_text(user, "Запоздалое уточнение")
    (late,) = wait_text(tg, user, f"⌛ Время на комментарий к заявке #{issue_id} истекло")
    assert late.text.endswith(ASKED)
    daemon.wait_cycles(2)
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    assert job_states(daemon)[0] == "expired"
    daemon.wait_event("question_expired")


def test_an_expiry_note_cut_off_by_a_stop_reaches_the_client_once_at_the_next_start(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, _, _ = client_with_issue(make_daemon, emu, tg, "Нет сети",
                                           sync={"question_ttl": 1, "shutdown_grace": 0.3})
    msg = tg.send_text(user, "Сеть пропадает каждые пять минут")
    wait_text(tg, user, ASKED)
    # The note's send stays in flight at Telegram when the daemon stops; it then fails, having stored nothing.
    stall = tg.stall("SendMessage", where=lambda request: request.message.startswith(EXPIRED_NOTE))
    daemon.wait_event("question_expired")
    assert stall.reached.wait(10)
    assert daemon.stop() == 0
    stall.release(error="INTERNAL")
    assert not [t for t in texts_to(tg, user) if t.startswith(EXPIRED_NOTE)]
    assert job_states(daemon) == ["expired"]
    # Started again: the note recorded with the expiry goes, once, still a reply to the message.
    daemon.start()
    (told,) = wait_text(tg, user, EXPIRED_NOTE)
    assert told.reply_to_msg_id == msg
    daemon.wait_cycles(2)
    assert len([t for t in texts_to(tg, user) if t.startswith(EXPIRED_NOTE)]) == 1


def test_a_short_thanks_is_acknowledged_not_questioned_and_not_sent(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает почта")
    thanks = tg.send_text(user, "Спасибо большое!")
    (ack,) = wait_text(tg, user, THANKS_ACK)
    assert ack.reply_to_msg_id == thanks and ack.reply_markup is None
    sticker = tg.send_media(user, "sticker", data=make_png(512, 512))
    acks = wait_text(tg, user, THANKS_ACK, count=2)
    assert acks[-1].reply_to_msg_id == sticker
    tg.send_text(user, "👍")
    wait_text(tg, user, THANKS_ACK, count=3)
    # A thanks as a reply is a comment like any other message (no question waits: the reply alone says so).
    card = open_card(tg, user, issue_id)
    tg.send_text(user, "Спасибо", reply_to=card.id)
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert comment["content"] == "Спасибо"
    assert not [t for t in texts_to(tg, user) if ASKED in t]
    assert db_rows(daemon, "SELECT COUNT(*) AS n FROM inbound_jobs")[0]["n"] == 1
    assert daemon.find("small_talk_not_sent")


def test_a_text_then_a_photo_after_comment_is_one_comment_with_the_file(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сломался сканер",
                                                           sync={"burst_window": 1.5})
    comment_mode(tg, user, issue_id)
    photo = make_png(80, 60)
    tg.send_text(user, "Сканер пишет «ошибка 12», вот экран:")
    tg.send_media(user, "photo", data=photo)
    (confirm,) = wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert "Сканер пишет «ошибка 12», вот экран:" in comment["content"]
    assert [a["sha256"] for a in comment["attachments"]] == [sha(photo)]
    # After the window, a message is treated as any other.
    time.sleep(1.6)
    tg.send_text(user, "И ещё: не включается принтер")
    wait_text(tg, user, ASKED)
    assert sum(ADDED in t for t in texts_to(tg, user)) == 1
    assert daemon.find("burst_taken", messages=2)


def test_a_text_then_a_photo_after_new_request_is_one_issue_with_the_file(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon(sync={"burst_window": 1.5}).start()
    user, contact_id = link_client(tg, emu, daemon)
    new_issue_mode(tg, user)
    photo = make_png(70, 50)
    tg.send_text(user, "Разбит экран ноутбука")
    tg.send_media(user, "photo", data=photo, caption="вот так")
    wait_text(tg, user, CREATED)
    (issue,) = eventually(lambda: emu.issues_of_contact(contact_id), what="the issue")
    # One issue of both: its title made of their words, as of an album's.
    assert issue["title"] == "Разбит экран ноутбука вот так"
    assert [a["sha256"] for a in emu.get_issue(issue["id"])["attachments"]] == [sha(photo)]
    assert "вот так" in issue["description"]
    daemon.wait_cycles(2)
    assert len(emu.issues_of_contact(contact_id)) == 1
    assert not [t for t in texts_to(tg, user) if ASKED in t or "Создать заявку из этого сообщения" in t]


def test_a_burst_cut_by_a_stop_is_gathered_again_as_one_at_the_next_start(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сломался сканер",
                                                           sync={"burst_window": 30})
    comment_mode(tg, user, issue_id)
    photo = make_png(40, 30)
    tg.send_text(user, "Вот что он пишет:")
    tg.send_media(user, "photo", data=photo)
    recorded = "SELECT job_id FROM inbox_messages WHERE content != '{}' AND job_id IS NULL"
    eventually(lambda: len(db_rows(daemon, recorded)) == 2, what="both messages recorded, no job yet")
    daemon.stop()
    daemon.overrides["sync"]["burst_window"] = 0.5  # the next start gathers them and is done quickly
    daemon.start()
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert "Вот что он пишет:" in comment["content"]
    assert [a["sha256"] for a in comment["attachments"]] == [sha(photo)]
    assert daemon.find("burst_taken", messages=2)


def test_the_prompts_cancel_pressed_while_its_answer_gathers_sends_nothing_and_asks_nothing(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер",
                                                           sync={"burst_window": 2})
    prompt = comment_mode(tg, user, issue_id)
    tg.send_text(user, "Передумал, всё заработало")  # gathering: more may follow within the window
    eventually(lambda: daemon.parts.intake.bursts.open(user.id), what="the answer gathering")
    tg.press_button(user, prompt.id, b"x")
    told = tg.wait_for(lambda: next((e for e in edits_of(tg, prompt.id) if e.text.startswith("Отменено")), None))
    assert told.text == (f"Отменено: комментарий к заявке #{issue_id} мы больше не ждём.\n"
                         "Отменено: ваше сообщение не передано в службу поддержки.")
    time.sleep(2.5)  # past the burst window: a gathered answer would be asked about or posted now
    assert ASKED not in texts_to(tg, user)
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    assert job_states(daemon) == []
    assert daemon.errors() == []


def test_keeping_the_link_cancels_only_the_unlink_question(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер")
    comment_mode(tg, user, issue_id)  # a question waiting for the client's message, left open
    tg.send_text(user, "👤 Профиль")
    (profile,) = wait_text(tg, user, "Ваш профиль")
    tg.press_button(user, profile.id, b"u")
    (ask,) = wait_text(tg, user, "Отвязать Telegram от вашего контакта?")
    assert button_texts(ask) == ["Да, отвязать", "✖ Отмена"]
    tg.press_button(user, ask.id, callback_data(ask)[1])
    assert wait_edit(tg, ask.id, "Хорошо, Telegram остаётся подключённым.").reply_markup is None
    assert [r["tg_user_id"] for r in db_rows(daemon, "SELECT tg_user_id FROM links")] == [user.id]
    # The comment's question is still open: the next message is the comment.
    tg.send_text(user, "Картридж заменили, всё равно не печатает")
    wait_text(tg, user, f"{ADDED} #{issue_id}")
