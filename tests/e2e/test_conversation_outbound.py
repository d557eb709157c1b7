"""What staff's actions tell the client, read end to end through `syncd run`: an issue staff create is
announced once with its number and title (also across a SIGKILL and a restart); a completed issue is
one message in Okdesk's own word with the rating buttons; a 👎 asks what went wrong and offers to
reopen; a reopening the client made, by writing or by the button, is one message, never followed by a
«Решена → Открыта» line."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import client_with_issue, eventually, link_client, press, texts_to, wait_text
from tests.e2e.inbound_steps import button_texts, callback_data

pytestmark = pytest.mark.e2e

RATING = ["👎 Плохо", "👌 Нормально", "👍 Отлично"]


def arrows(tg: Any, user: Any) -> list[str]:
    return [t for t in texts_to(tg, user) if "→" in t]


def test_an_issue_staff_create_is_announced_once_across_a_kill_and_a_restart(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    issue_id = emu.add_issue("Плановая замена ИБП", contact_id=contact_id, author=("employee", employee))
    # Killed as soon as the announcement is planned (committed with the issue's first look), before
    # or while it is sent: the next start sends it, once.
    daemon.wait_event("deliveries_planned", issue_id=issue_id)
    daemon.kill()
    daemon.start()
    expected = f"📋 Для вас создана заявка #{issue_id} «Плановая замена ИБП»."
    (announced,) = wait_text(tg, user, expected)
    assert announced.text == expected
    assert button_texts(announced) == ["💬 Комментировать", "📄 Подробнее"]
    # Staff write: the comment comes as usual, the announcement does not come again.
    emu.add_comment(issue_id, "<p>Приедем в четверг</p>", author=("employee", employee))
    wait_text(tg, user, "Приедем в четверг")
    daemon.kill()
    daemon.start()
    daemon.wait_cycles(5)
    assert [t for t in texts_to(tg, user) if "Для вас создана заявка" in t] == [expected]
    # A reply to the announcement is the client's comment on that issue.
    tg.send_text(user, "Хорошо, жду", reply_to=announced.id)
    wait_text(tg, user, f"Комментарий добавлен в заявку #{issue_id}")
    (comment,) = eventually(lambda: emu.comments_by(issue_id, author=("contact", contact_id)), what="the comment")
    assert "Хорошо, жду" in comment["content"]


def test_completion_asks_the_rating_in_one_message_and_a_bad_one_offers_reopen(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает сканер")
    emu.set_status(issue_id, "completed", author=("employee", employee))
    done = f"🏁 Заявка #{issue_id} «Не работает сканер»: решена."
    (notice,) = wait_text(tg, user, done)
    assert notice.text == f"{done}\n\nОцените, пожалуйста, нашу работу:"
    assert button_texts(notice) == RATING
    daemon.wait_cycles(3)
    # One message: no status line beside it, no separate rating question.
    assert texts_to(tg, user)[-1] == notice.text and arrows(tg, user) == []
    tg.press_button(user, notice.id, f"rt:{issue_id}:1".encode())
    (followup,) = wait_text(tg, user, "Что пошло не так?")
    assert followup.text == (
        f"Жаль, что мы вас подвели. Что пошло не так? Напишите одним сообщением, и мы добавим его к заявке "
        f"#{issue_id}.\n\nЕсли проблема не решена, заявку можно возобновить.")
    assert followup.reply_to_msg_id == notice.id
    assert button_texts(followup) == ["🔄 Возобновить заявку", "✍️ Рассказать, что не так", "✖ Отмена"]
    assert emu.issue_rate(issue_id) == "bad"
    press(tg, user, followup.id, callback_data(followup)[0])
    (reopened,) = wait_text(tg, user, f"Заявка #{issue_id} возобновлена")
    assert reopened.text == f"🔄 Заявка #{issue_id} возобновлена: служба поддержки снова займётся ею."
    assert reopened.reply_to_msg_id == followup.id
    assert emu.get_issue(issue_id)["status"]["code"] == "opened"
    # The client answers the question: their words are a comment on the issue, nothing is asked.
    tg.send_text(user, "Сканер видит только половину листа")
    (remark,) = eventually(lambda: emu.comments_by(issue_id, author=("contact", contact_id)), what="the remark")
    assert "Сканер видит только половину листа" in remark["content"] and remark["public"]
    daemon.wait_cycles(5)
    assert arrows(tg, user) == []
    assert daemon.errors() == []


def test_a_reopening_by_writing_is_one_message_and_a_later_staff_change_is_news(make_daemon, emu, tg,
                                                                                employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает сканер")
    emu.set_status(issue_id, "completed", author=("employee", employee))
    (notice,) = wait_text(tg, user, f"🏁 Заявка #{issue_id} «Не работает сканер»: решена.")
    tg.send_text(user, "Сканер снова не работает", reply_to=notice.id)
    (asked,) = wait_text(tg, user, "Что сделать с вашим сообщением?")
    before = len(texts_to(tg, user))
    press(tg, user, asked.id, next(d for d in callback_data(asked) if d.startswith(b"ro:")))
    (told,) = wait_text(tg, user, f"Заявка #{issue_id} возобновлена")
    assert told.text == f"🔄 Заявка #{issue_id} возобновлена, ваш комментарий добавлен."
    assert emu.get_issue(issue_id)["status"]["code"] == "opened"
    daemon.wait_cycles(5)
    # Exactly one message since the choice: no «Решена → Открыта» after it.
    assert texts_to(tg, user)[before:] == [told.text]
    # A restart looks again: still nothing more.
    daemon.kill()
    daemon.start()
    daemon.wait_cycles(5)
    assert texts_to(tg, user)[before:] == [told.text]
    # Staff's own change of the same kind, later, is news as always.
    emu.set_status(issue_id, "completed", author=("employee", employee))
    wait_text(tg, user, f"🏁 Заявка #{issue_id} «Не работает сканер»: решена.", count=2)
    emu.set_status(issue_id, "opened", author=("employee", employee))
    wait_text(tg, user, f"#{issue_id} «Не работает сканер»: Решена → Открыта")
    assert daemon.errors() == []
