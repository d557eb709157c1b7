"""What staff's actions tell the client, through the daemon in the test process: an issue staff create
for a linked client is announced once (not the client's own, not the ones they had before linking, not
again after a restart); a completed issue is one message with Okdesk's word and the rating; a 👎 asks
what went wrong and offers to reopen; a reopening the client made is not announced back to them."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import (
    client_with_issue,
    eventually,
    link_client,
    press,
    texts_to,
    wait_baseline,
    wait_text,
)
from tests.e2e.inbound_steps import button_texts, callback_data, new_issue_mode
from tests.e2e.test_rating import completed_notice
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon

CREATED = "Для вас создана заявка"
FOLLOWUP = "Жаль, что мы вас подвели. Что пошло не так?"


def created_texts(tg: TelegramTestServer, user: Any) -> list[str]:
    return [t for t in texts_to(tg, user) if CREATED in t]


def test_an_issue_staff_create_is_announced_once_and_none_other_is(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon = make_daemon().start()
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    before = emu.add_issue("Старая заявка", contact_id=contact_id)
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    wait_baseline(daemon, before)
    staff = emu.add_issue("Плановая замена картриджа", contact_id=contact_id, author=("employee", employee))
    (announced,) = wait_text(tg, user, CREATED)
    assert announced.text == f"📋 Для вас создана заявка #{staff} «Плановая замена картриджа»."
    assert callback_data(announced) == [f"c:{staff}".encode(), f"v:{staff}".encode()]
    # A reply to it is a comment on that issue.
    tg.send_text(user, "Удобно в четверг", reply_to=announced.id)
    eventually(lambda: emu.comments_by(staff, author=("contact", contact_id)), what="the reply as a comment")
    # The client's own issue from the bot gets its own confirmation only.
    new_issue_mode(tg, user)
    tg.send_text(user, "Не работает сканер")
    wait_text(tg, user, "создана. Ответы службы поддержки придут сюда")
    # The old issue changes: its news comes, never an announcement.
    emu.add_comment(before, "<p>Закрываем старую</p>", author=("employee", employee))
    wait_text(tg, user, "Закрываем старую")
    daemon.wait_cycles(3)
    assert created_texts(tg, user) == [announced.text]
    # A restart looks at everything again: still once.
    daemon.stop()
    daemon.start()
    emu.add_comment(staff, "<p>Мастер приедет в четверг</p>", author=("employee", employee))
    wait_text(tg, user, "Мастер приедет в четверг")
    daemon.wait_cycles(3)
    assert created_texts(tg, user) == [announced.text]
    assert daemon.errors() == []


def test_a_bad_rating_asks_what_went_wrong_and_the_answer_is_a_remark(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Ноутбук")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    assert notice.text == f"🏁 Заявка #{issue_id} «Ноутбук»: решена.\n\nОцените, пожалуйста, нашу работу:"
    assert button_texts(notice) == ["👎 Плохо", "👌 Нормально", "👍 Отлично"]
    tg.press_button(user, notice.id, f"rt:{issue_id}:1".encode())
    (followup,) = wait_text(tg, user, FOLLOWUP)
    assert followup.text == (f"Жаль, что мы вас подвели. Что пошло не так? Напишите одним сообщением, и мы добавим его "
                             f"к заявке #{issue_id}.\n\nЕсли проблема не решена, заявку можно возобновить.")
    assert followup.reply_to_msg_id == notice.id
    assert button_texts(followup) == ["🔄 Возобновить заявку", "✍️ Рассказать, что не так", "✖ Отмена"]
    assert callback_data(followup) == [f"ri:{issue_id}".encode(), f"rm:{issue_id}".encode(), b"x"]
    assert emu.issue_rate(issue_id) == "bad"
    edit = tg.wait_for(lambda: ([e for e in tg.edits if e.msg_id == notice.id] or [None])[-1])
    assert edit.text == f"🏁 Заявка #{issue_id} «Ноутбук»: решена.\n\nВаша оценка: 👎 Плохо"
    assert callback_data(edit) == []  # the follow-up carries the buttons now
    # The client just answers: a public comment on the issue as it is, no "reopen?" question.
    tg.send_text(user, "Зарядка так и не работает")
    (remark,) = eventually(lambda: emu.comments_by(issue_id, author=("contact", contact_id)), what="the remark")
    assert "Зарядка так и не работает" in remark["content"] and remark["public"]
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    assert not [t for t in texts_to(tg, user) if "Что сделать с вашим сообщением" in t]
    assert daemon.errors() == []


def test_reopen_after_a_bad_rating_reopens_once_and_is_not_announced_back(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Ноутбук")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    tg.press_button(user, notice.id, f"rt:{issue_id}:1".encode())
    (followup,) = wait_text(tg, user, FOLLOWUP)
    press(tg, user, followup.id, f"ri:{issue_id}".encode())
    (told,) = wait_text(tg, user, f"Заявка #{issue_id} возобновлена")
    assert told.text == f"🔄 Заявка #{issue_id} возобновлена: служба поддержки снова займётся ею."
    assert emu.get_issue(issue_id)["status"]["code"] == "opened"
    # The change carries the account's reopen comment, for staff only.
    (private,) = emu.comments_by(issue_id, author=("employee", emu.api_employee_id))
    assert private["content"] == ("Клиент Петров Иван возобновил заявку через Telegram-канал службы поддержки (бот). "
                                  "Причина — в его комментарии, добавленном следом.")
    assert private["public"] is False
    daemon.wait_cycles(3)
    assert [t for t in texts_to(tg, user) if "→" in t] == []
    # Pressed again: it is open already, nothing is changed.
    assert press(tg, user, followup.id, f"ri:{issue_id}".encode()).message == f"Заявка #{issue_id} уже открыта."
    # A later change by staff is news again, including the same transition made by staff.
    emu.set_status(issue_id, "in_progress", author=("employee", employee))
    wait_text(tg, user, f"#{issue_id} «Ноутбук»: Открыта → В работе")
    emu.set_status(issue_id, "completed", author=("employee", employee))
    wait_text(tg, user, f"🏁 Заявка #{issue_id} «Ноутбук»: решена.", count=2)
    emu.set_status(issue_id, "opened", author=("employee", employee))
    wait_text(tg, user, f"#{issue_id} «Ноутбук»: Решена → Открыта")
    assert daemon.errors() == []
