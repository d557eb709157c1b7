"""A client writes on a finished issue: reopen it, make a new issue, or only comment — the client chooses.

Okdesk staff rarely look at comments on finished issues, so this is the one reply that is not
posted at once. A completed issue can be reopened for ``okdesk.reopen_days`` (a status change to the
first open code, then the comment); a closed one, or one completed longer ago, cannot.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.e2e.helpers import client_with_issue, eventually, press, texts_to, wait_text
from tests.e2e.inbound_steps import ADDED, CREATED, button_texts, callback_data
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

ASK_REOPEN = "в статусе «Решена». Что сделать с вашим сообщением?"
ASK_CLOSED = "возобновить её уже нельзя. Что сделать с вашим сообщением?"
REOPENED = "возобновлена, ваш комментарий добавлен"
NOT_REOPENED = "не удалось возобновить, но ваш комментарий добавлен"
TAKEN = "Это сообщение уже обработано."


def finished_issue(make_daemon: Any, emu: Any, tg: Any, code: str = "completed",
                   **overrides: Any) -> tuple[Any, Any, int, int, Any]:
    """A client whose issue staff just finished; returns the status notification too."""
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает сканер", **overrides)
    emu.set_status(issue_id, code)
    # Finished: said in Okdesk's word for the status ("решена", "закрыта").
    (notice,) = wait_text(tg, user, f"🏁 Заявка #{issue_id} «Не работает сканер»: ")
    return daemon, user, issue_id, contact_id, notice


def question(tg: Any, user: Any, needle: str) -> Any:
    (asked,) = wait_text(tg, user, needle)
    return asked


def verb(asked: Any, prefix: bytes) -> bytes:
    return next(d for d in callback_data(asked) if d.startswith(prefix))


def status_posts(emu: Any, issue_id: int) -> int:
    return emu.count_requests(rf"/api/v1/issues/{issue_id}/statuses/?$", "POST")


def test_a_reply_on_a_completed_issue_asks_and_reopen_reopens_then_comments(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    tg.send_text(user, "Сканер опять не работает", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    assert button_texts(asked) == [
        "🔄 Возобновить заявку", "🆕 Создать новую заявку", "💬 Просто комментарий", "✖ Отмена"]
    # Nothing is posted while the client decides.
    daemon.wait_cycles(1)
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    assert press(tg, user, asked.id, verb(asked, b"ro:")).message == "✓"
    wait_text(tg, user, f"Заявка #{issue_id} {REOPENED}")
    assert emu.get_issue(issue_id)["status"]["code"] == "opened"  # the first open code of the setting
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert "Сканер опять не работает" in comment["content"]
    # The status went first, then the comment: staff see an open issue with the client's words.
    order = [r.path for r in emu.requests if r.method == "POST" and str(issue_id) in r.path]
    assert [re.sub(r".*/", "", p.rstrip("/")) for p in order] == ["statuses", "comments"]
    # A second press of any button changes nothing.
    assert press(tg, user, asked.id, verb(asked, b"ro:")).message == TAKEN
    assert press(tg, user, asked.id, verb(asked, b"ac:")).message == TAKEN
    daemon.wait_cycles(2)
    assert status_posts(emu, issue_id) == 1
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1


def test_new_issue_leaves_the_finished_one_alone(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    tg.send_text(user, "Теперь не работает принтер на втором этаже", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    press(tg, user, asked.id, verb(asked, b"n:"))
    wait_text(tg, user, CREATED)
    (new,) = [i for i in emu.issues_of_contact(contact_id) if i["id"] != issue_id]
    assert "принтер на втором этаже" in new["description"]
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    assert status_posts(emu, issue_id) == 0


def test_just_a_comment_keeps_the_issue_completed(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    tg.send_text(user, "Спасибо, всё работает!", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    press(tg, user, asked.id, verb(asked, b"ac:"))
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert comment["public"] is True and "Спасибо" in comment["content"]
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    assert status_posts(emu, issue_id) == 0


def test_a_closed_issue_is_not_offered_for_reopening(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg, code="closed")
    tg.send_text(user, "А можно ещё вопрос?", reply_to=notice.id)
    asked = question(tg, user, ASK_CLOSED)
    assert not any(d.startswith(b"ro:") for d in callback_data(asked))
    # A forged "reopen" for this message: the comment goes, the closed issue stays closed.
    job_id = verb(asked, b"ac:").split(b":")[1]
    assert press(tg, user, asked.id, b"ro:" + job_id).message == "✓"
    wait_text(tg, user, f"Заявку #{issue_id} {NOT_REOPENED}")
    assert emu.get_issue(issue_id)["status"]["code"] == "closed"
    assert status_posts(emu, issue_id) == 0
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1


def test_after_the_reopen_window_a_completed_issue_is_not_offered_for_reopening(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    emu.set_completed_at(issue_id, datetime.now(timezone.utc) - timedelta(days=7, minutes=5))  # the default: 7
    tg.send_text(user, "Снова сломался", reply_to=notice.id)
    asked = question(tg, user, ASK_CLOSED)
    assert button_texts(asked) == [
        "🆕 Создать новую заявку", "💬 Просто комментарий", "✖ Отмена"]


def test_a_message_after_the_comment_button_of_a_completed_issue_is_asked_about_too(make_daemon, emu, tg) -> None:
    from tests.e2e.inbound_steps import comment_mode

    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    comment_mode(tg, user, issue_id)
    tg.send_text(user, "Ещё одна деталь")
    asked = question(tg, user, ASK_REOPEN)
    assert any(d.startswith(b"ro:") for d in callback_data(asked))


def test_a_reopen_okdesk_refuses_still_delivers_the_comment(make_daemon, emu, tg) -> None:
    emu.options.forbidden_transitions = {("completed", "opened")}
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    tg.send_text(user, "Проблема вернулась", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    press(tg, user, asked.id, verb(asked, b"ro:"))
    wait_text(tg, user, f"Заявку #{issue_id} {NOT_REOPENED}")
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    assert status_posts(emu, issue_id) == 1  # asked once, refused, not asked again
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert daemon.find("issue_not_reopened", issue_id=issue_id)


def test_staff_reopening_before_the_answer_makes_it_a_plain_comment(make_daemon, emu, tg) -> None:
    """The question waits for the client; when staff reopened the issue meanwhile, the choice still counts
    but no status change is sent for an issue that is open."""
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    tg.send_text(user, "Не всё исправлено", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    emu.set_status(issue_id, "in_progress")
    press(tg, user, asked.id, verb(asked, b"ro:"))
    wait_text(tg, user, f"Заявка #{issue_id} {REOPENED}")  # it is open, as the client asked
    assert status_posts(emu, issue_id) == 0
    assert emu.get_issue(issue_id)["status"]["code"] == "in_progress"
    eventually(lambda: len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1, what="one comment")


def test_a_crash_after_the_reopen_before_its_record_neither_reopens_nor_comments_twice(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg, okdesk={"timeout": 1})
    tg.send_text(user, "Опять не сканирует", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    # Okdesk reopens the issue, but its answer never arrives; the daemon dies meanwhile.
    emu.add_fault(Fault(kind="after_effect_timeout", path=r"/statuses/?$", method="POST", times=1, delay=8))
    press(tg, user, asked.id, verb(asked, b"ro:"))
    eventually(lambda: emu.get_issue(issue_id)["status"]["code"] == "opened", what="Okdesk reopened the issue")
    daemon.kill()
    daemon.start()
    wait_text(tg, user, f"Заявка #{issue_id} {REOPENED}")
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert "Опять не сканирует" in comment["content"]
    # The killed request is logged once its delay is over; none is sent after it.
    eventually(lambda: status_posts(emu, issue_id) == 1, what="the killed status change logged")
    daemon.wait_cycles(3)
    assert status_posts(emu, issue_id) == 1
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert len([t for t in texts_to(tg, user) if REOPENED in t]) == 1


def test_a_forged_reopen_on_a_where_to_question_does_nothing(make_daemon, emu, tg) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает сканер")
    tg.send_text(user, "Сообщение без ответа на что-либо")
    (asked,) = wait_text(tg, user, "Куда добавить это сообщение?")
    job_id = verb(asked, b"n:").split(b":")[1]
    assert press(tg, user, asked.id, b"ro:" + job_id).message == TAKEN
    assert press(tg, user, asked.id, b"ac:" + job_id).message == TAKEN
    daemon.wait_cycles(2)
    assert [i["id"] for i in emu.issues_of_contact(contact_id)] == [issue_id]
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []
    # The question still stands.
    press(tg, user, asked.id, b"n:" + job_id)
    wait_text(tg, user, CREATED)
