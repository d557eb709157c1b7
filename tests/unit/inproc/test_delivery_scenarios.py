"""Okdesk -> Telegram through the daemon in the test process: a staff comment and its file reach the
client and a private one does not, a status change is announced, the completed issue's rating and
remark, and a message on a finished issue asks before it reopens."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import client_with_issue, eventually, press, sha, texts_to, wait_text
from tests.e2e.inbound_steps import button_texts, callback_data
from tests.e2e.test_rating import remark
from tests.okdesk_emulator import OkdeskEmulator, Upload
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon

RATING = ["👎 Плохо", "👌 Нормально", "👍 Отлично"]


def last_edit(tg: TelegramTestServer, msg_id: int) -> Any:
    return tg.wait_for(lambda: ([e for e in tg.edits if e.msg_id == msg_id] or [None])[-1])


def test_a_public_comment_and_its_file_reach_the_client_a_private_one_does_not(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер")
    emu.add_comment(issue_id, "<p>внутренняя заметка</p>", public=False, author=("employee", employee))
    report = b"%PDF-1.4" + bytes(5000)
    emu.add_comment(issue_id, "<p>Замените <b>картридж</b></p>", author=("employee", employee),
                    attachments=[Upload("отчёт.pdf", data=report)])
    (msg,) = wait_text(tg, user, "картридж")
    assert msg.text.startswith(f"Заявка #{issue_id} «Не печатает принтер»\nИванов Сергей:")
    (doc,) = tg.wait_for(lambda: [m for m in tg.sent_to(user) if m.file_name == "отчёт.pdf"])
    assert doc.sha256 == sha(report)
    daemon.wait_cycles(3)
    assert not [t for t in texts_to(tg, user) if "внутренняя" in t]
    assert len([t for t in texts_to(tg, user) if "картридж" in t]) == 1


def test_a_status_change_is_announced_then_the_rating_and_the_remark_reach_okdesk(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, "Сломался сканер")
    emu.set_status(issue_id, "in_progress", author=("employee", employee))
    wait_text(tg, user, f"#{issue_id} «Сломался сканер»: Открыта → В работе")
    emu.set_status(issue_id, "completed", comment_html="<p>Заменили ролик</p>", author=("employee", employee))
    (notice,) = wait_text(tg, user, f"🏁 Заявка #{issue_id} «Сломался сканер»: решена.")
    # Okdesk's own word for the status, and the rating asked in the same message.
    assert notice.text == f"🏁 Заявка #{issue_id} «Сломался сканер»: решена.\n\nОцените, пожалуйста, нашу работу:"
    wait_text(tg, user, "Заменили ролик")
    assert button_texts(notice) == RATING
    tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode())
    wait_text(tg, user, "Спасибо за оценку!")
    assert emu.issue_rate(issue_id) == "good"
    edit = last_edit(tg, notice.id)
    # The question answered gives way to the rating given.
    assert edit.text == f"🏁 Заявка #{issue_id} «Сломался сканер»: решена.\n\nВаша оценка: 👍 Отлично"
    assert callback_data(edit) == [f"rm:{issue_id}".encode()]
    given = remark(tg, emu, user, issue_id, notice.id, "Спасибо, всё работает!")
    assert "Спасибо, всё работает!" in given["content"] and given["public"]
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    # A second tap rates nothing again.
    press(tg, user, notice.id, f"rt:{issue_id}:1".encode())
    assert emu.issue_rate(issue_id) == "good"
    assert daemon.errors() == []


def test_a_reply_on_a_completed_issue_is_asked_about_and_reopen_reopens_then_comments(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает сканер")
    emu.set_status(issue_id, "completed")
    (notice,) = wait_text(tg, user, f"🏁 Заявка #{issue_id} «Не работает сканер»: решена.")
    tg.send_text(user, "Сканер опять не работает", reply_to=notice.id)
    (asked,) = wait_text(tg, user, "в статусе «Решена». Что сделать с вашим сообщением?")
    assert button_texts(asked) == ["🔄 Возобновить заявку", "🆕 Создать новую заявку", "💬 Просто комментарий",
                                   "✖ Отмена"]
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    reopen = next(d for d in callback_data(asked) if d.startswith(b"ro:"))
    assert press(tg, user, asked.id, reopen).message == "✓"
    wait_text(tg, user, f"Заявка #{issue_id} возобновлена, ваш комментарий добавлен")
    assert emu.get_issue(issue_id)["status"]["code"] == "opened"
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert "Сканер опять не работает" in comment["content"]
    assert press(tg, user, asked.id, reopen).message == "Это сообщение уже обработано."
    # The reopening the client asked for is told once, in their words: the poll that sees it says nothing.
    daemon.wait_cycles(3)
    assert [t for t in texts_to(tg, user) if "→" in t] == []
    # Only a comment, on a finished issue again: the issue stays as it is.
    emu.set_status(issue_id, "completed")
    daemon.wait_cycles(2)
    tg.send_text(user, "И ещё одно", reply_to=notice.id)
    asked = wait_text(tg, user, "в статусе «Решена». Что сделать с вашим сообщением?", count=2)[-1]
    press(tg, user, asked.id, next(d for d in callback_data(asked) if d.startswith(b"ac:")))
    eventually(lambda: len(emu.comments_by(issue_id, author=("contact", contact_id))) == 2, what="the comment")
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    assert daemon.errors() == []
