"""A way out of every question, through `syncd run`, read as the client reads it: /cancel and the cancel
buttons, a question left unanswered until it expires, a short thanks that is not questioned, and a text
then a photo after "Comment" taken as one comment with the file."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import client_with_issue, db_rows, press, sha, texts_to, wait_text
from tests.e2e.inbound_steps import ADDED, button_texts, callback_data, comment_mode, new_issue_mode
from tests.e2e.test_inbound_media import own_comments
from tests.tgserver import make_png

pytestmark = pytest.mark.e2e

ASKED = "Куда добавить это сообщение?"
CANCEL = "✖ Отмена"
NOT_SENT = "✖ Отменено: это сообщение не передано в службу поддержки."
EXPIRED_MARK = "⌛ Время ответа истекло: сообщение не передано в службу поддержки."
HELD_EXPIRED = ("⌛ Вы не ответили на вопрос об этом сообщении в течение 1 мин., поэтому мы его не передали "
                "в службу поддержки. Если оно ещё нужно, отправьте его снова.")
EXPIRED_ALERT = ("Время ответа на этот вопрос истекло, и сообщение не передано в службу поддержки. "
                 "Если оно ещё нужно, отправьте его снова.")
THANKS_ACK = ("🙂 Рады помочь! Короткие ответы вроде этого мы не передаём в службу поддержки. "
              "Чтобы добавить что-то в заявку, ответьте на сообщение о ней: смахните его влево "
              "или нажмите «Ответить».")


def edited_to(tg: Any, msg_id: int, text: str) -> Any:
    return tg.wait_for(lambda: next((e for e in tg.edits if e.msg_id == msg_id and e.text == text), None))


def test_cancel_answers_plainly_and_an_unanswered_question_expires_with_the_client_told(
        make_daemon, emu, tg) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает почта",
                                                           sync={"question_ttl": 3})
    tg.send_text(user, "/cancel")
    (nothing,) = wait_text(tg, user, "Сейчас отменять нечего")
    assert nothing.text == "Сейчас отменять нечего: мы ни о чём вас не спрашиваем."
    new_issue_mode(tg, user)
    (prompt,) = [m for m in tg.sent_to(user) if (m.text or "").startswith("Опишите проблему")]
    assert prompt.text == ("Опишите проблему: текст, фото, видео, файлы или альбом. Из этого будет создана заявка; "
                           "несколько сообщений подряд (например, текст и фото) станут одной заявкой.")
    assert button_texts(prompt) == [CANCEL]
    tg.send_text(user, "/cancel")
    (done,) = wait_text(tg, user, "Отменено: новая заявка")
    assert done.text == "Отменено: новая заявка не создана."
    prompt = comment_mode(tg, user, issue_id)
    press(tg, user, prompt.id, b"x")
    edited_to(tg, prompt.id, f"Отменено: комментарий к заявке #{issue_id} мы больше не ждём.")
    # "Where should this go?" carries a way out, and pressing it sends nothing.
    tg.send_text(user, "Outlook просит пароль")
    (asked,) = wait_text(tg, user, ASKED)
    assert asked.text == ASKED and button_texts(asked)[-1] == CANCEL
    press(tg, user, asked.id, callback_data(asked)[-1])
    assert edited_to(tg, asked.id, NOT_SENT).reply_markup is None
    # The next one is left unanswered: it expires, and the client is told so in a reply to that message.
    late = tg.send_text(user, "И календарь не открывается")
    second = wait_text(tg, user, ASKED, count=2)[-1]
    (told,) = wait_text(tg, user, "⌛ Вы не ответили", timeout=20)
    assert told.text == HELD_EXPIRED and told.reply_to_msg_id == late
    assert edited_to(tg, second.id, EXPIRED_MARK).reply_markup is None
    assert press(tg, user, second.id, callback_data(second)[0]).message == EXPIRED_ALERT
    daemon.wait_cycles(2)
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    assert len(emu.issues_of_contact(contact_id)) == 1
    assert [r["state"] for r in db_rows(daemon, "SELECT state FROM inbound_jobs ORDER BY id")] == [
        "cancelled", "expired"]
    assert daemon.errors() == []


def test_a_thanks_is_not_questioned_and_a_text_then_a_photo_after_comment_is_one_comment(
        make_daemon, emu, tg) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сломался сканер",
                                                           sync={"burst_window": 2})
    thanks = tg.send_text(user, "Спасибо большое!")
    (ack,) = wait_text(tg, user, "Рады помочь")
    assert ack.text == THANKS_ACK and ack.reply_to_msg_id == thanks
    tg.send_text(user, "👍")
    wait_text(tg, user, "Рады помочь", count=2)
    prompt = comment_mode(tg, user, issue_id)
    assert prompt.text == (f"Напишите комментарий к заявке #{issue_id}: текст, фото, видео или файлы. "
                           "Ваше следующее сообщение в течение 60 мин. будет добавлено в заявку; "
                           "несколько сообщений подряд (например, текст и фото) станут одним комментарием.")
    photo = make_png(96, 64)
    tg.send_text(user, "Сканер пишет «ошибка 12», вот экран:")
    tg.send_media(user, "photo", data=photo)
    (confirm,) = wait_text(tg, user, ADDED)
    assert confirm.text == f"{ADDED} #{issue_id}."
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert "Сканер пишет «ошибка 12», вот экран:" in comment["content"]
    assert [a["sha256"] for a in comment["attachments"]] == [sha(photo)]
    daemon.wait_cycles(2)
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert not [t for t in texts_to(tg, user) if ASKED in t]
    assert daemon.errors() == []
