"""The satisfaction rating of a completed issue, through `syncd run`: worded buttons on the completed
notification, Okdesk's own rating written exactly once (double tap, a crash between the request and
its record), a forged press refused, both body shapes, the switch, and the remark after it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import (
    answer_to,
    db_rows,
    eventually,
    link_client,
    link_two_clients,
    press,
    result_of,
    start_with_issue,
    wait_baseline,
    wait_text,
)
from tests.e2e.inbound_steps import button_texts, callback_data
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

LABELS = ["👎 Плохо", "👌 Нормально", "👍 Отлично"]
THANKS = "Спасибо за оценку!"
SENDING = "⏳ Отправляем оценку…"
RATINGS = "SELECT * FROM issue_ratings"


def completed_notice(tg: Any, user: Any, emu: Any, issue_id: int, employee: int) -> Any:
    """Staff complete the issue; the client's notification of it."""
    emu.set_status(issue_id, "completed", author=("employee", employee))
    (notice,) = wait_text(tg, user, f"🏁 Заявка #{issue_id} «")
    return notice


def accepted(emu: Any, issue_id: int) -> list[Any]:
    return [a for a in emu.rate_attempts(issue_id) if a.status == 200]


def last_edit(tg: Any, msg_id: int) -> Any:
    return tg.wait_for(lambda: ([e for e in tg.edits if e.msg_id == msg_id] or [None])[-1])


def remark(tg: Any, emu: Any, user: Any, issue_id: int, msg_id: int, text: str) -> dict[str, Any]:
    """The Remark button of the rated notification ``msg_id``, then ``text``: the comment it became."""
    tg.press_button(user, msg_id, f"rm:{issue_id}".encode())
    wait_text(tg, user, f"Напишите отзыв к заявке #{issue_id} одним сообщением")
    tg.send_text(user, text)
    contact = emu.get_issue(issue_id)["contact"]["id"]
    (found,) = eventually(lambda: emu.comments_by(issue_id, author=("contact", contact)), what="the remark")
    return found


def test_a_tap_writes_okdesks_rating_once_and_the_client_is_thanked(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Принтер не печатает")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    assert button_texts(notice) == LABELS
    assert callback_data(notice) == [f"rt:{issue_id}:{n}".encode() for n in (1, 2, 3)]
    query = tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode())
    # Answered at once, before Okdesk is asked; the thanks follow once the rating is written.
    answer = answer_to(tg, query)
    assert (answer.message, answer.alert) == (SENDING, False)
    assert result_of(tg, user, query, THANKS) == THANKS
    assert emu.issue_rate(issue_id) == "good"
    assert [(a.value, a.shape) for a in emu.rate_attempts(issue_id)] == [("good", "flat")]
    # The notification keeps its words, names the rating instead of asking for it, and offers a remark
    # instead of the choice.
    edit = last_edit(tg, notice.id)
    assert notice.text.endswith("\n\nОцените, пожалуйста, нашу работу:")
    assert edit.text == notice.text.replace("Оцените, пожалуйста, нашу работу:", "Ваша оценка: 👍 Отлично")
    assert callback_data(edit) == [f"rm:{issue_id}".encode()]
    (row,) = db_rows(daemon, RATINGS)
    assert (row["okdesk_issue_id"], row["rate"], row["state"]) == (issue_id, "good", "done")
    # A re-poll (and a restart) never asks for a rating again: one notification of the change.
    assert daemon.stop() == 0
    daemon.start()
    daemon.wait_cycles(5)
    assert len([m for m in tg.sent_to(user) if callback_data(m)[:1] == [f"rt:{issue_id}:1".encode()]]) == 1
    assert daemon.errors() == []


def test_a_double_tap_rates_once_and_a_second_choice_is_already_rated(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Сканер")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    emu.options.latency = 0.3  # the second press arrives while the first is with Okdesk
    first = tg.press_button(user, notice.id, f"rt:{issue_id}:2".encode())
    second = tg.press_button(user, notice.id, f"rt:{issue_id}:2".encode())
    assert result_of(tg, user, first, THANKS) == THANKS
    assert result_of(tg, user, second, "Заявка уже оценена: 👌 Нормально")
    emu.options.latency = 0.0
    # A different choice later (an older copy of the buttons): answered, not written.
    assert press(tg, user, notice.id, f"rt:{issue_id}:1".encode()).message == "Заявка уже оценена: 👌 Нормально"
    assert emu.rates_of(issue_id) == ["normal"]
    assert emu.issue_rate(issue_id) == "normal"
    assert [r["rate"] for r in db_rows(daemon, RATINGS)] == ["normal"]
    assert daemon.errors() == []


def test_two_telegram_users_of_one_contact_pressing_together_rate_once(make_daemon, emu, tg, employee) -> None:
    """A contact shared by two Telegram users (a family phone, a shared office number): each gets the
    buttons, each presses while the other's rating is with Okdesk; one rating is sent."""
    emu.options.rate_again = "overwrite"  # where Okdesk would take a second rating, only ours can stop it
    daemon, first_user, issue_id = start_with_issue(make_daemon, emu, tg, "Общий сканер")
    second_user = tg.add_user(first_name="Иван", last_name="Петров", phone="79123456789")
    tg.send_contact(second_user, phone="79123456789", first_name="Иван", last_name="Петров",
                    user_id=second_user.id)
    wait_text(tg, second_user, "Готово")
    emu.set_status(issue_id, "completed", author=("employee", employee))
    notices = [wait_text(tg, u, f"#{issue_id} «")[0] for u in (first_user, second_user)]
    emu.options.latency = 0.3  # the second press arrives while the first is with Okdesk
    presses = [tg.press_button(u, n.id, f"rt:{issue_id}:{v}".encode())
               for u, n, v in ((first_user, notices[0], 3), (second_user, notices[1], 1))]
    # Each is told in their own chat: one is thanked, the other finds the issue rated.
    replies = sorted(result_of(tg, u, q, THANKS, "Заявка уже оценена: 👍 Отлично")
                     for u, q in zip((first_user, second_user), presses))
    assert replies == sorted([THANKS, "Заявка уже оценена: 👍 Отлично"])
    emu.options.latency = 0.0
    assert emu.rates_of(issue_id) == ["good"] and emu.issue_rate(issue_id) == "good"
    assert [(r["rate"], r["state"]) for r in db_rows(daemon, RATINGS)] == [("good", "done")]


def test_our_record_of_a_rating_stands_when_okdesk_no_longer_shows_it(make_daemon, emu, tg, employee) -> None:
    """Staff cleared the rating in Okdesk: an old button still finds it given, and nothing is sent again."""
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Картридж")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    assert result_of(tg, user, tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode()), THANKS)
    emu.set_rate(issue_id, None)
    # Our record alone decides: the alert comes at once, and Okdesk is not asked.
    answer = press(tg, user, notice.id, f"rt:{issue_id}:1".encode())
    assert (answer.message, answer.alert) == ("Заявка уже оценена: 👍 Отлично", True)
    assert emu.rates_of(issue_id) == ["good"] and emu.issue_rate(issue_id) is None
    assert [(r["rate"], r["state"]) for r in db_rows(daemon, RATINGS)] == [("good", "done")]


def test_a_rating_given_in_the_portal_is_answered_as_already_rated(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Монитор")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    emu.set_rate(issue_id, "bad")
    query = tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode())
    assert result_of(tg, user, query, "Заявка уже оценена: 👎 Плохо")
    assert emu.rate_attempts(issue_id) == []
    assert [(r["rate"], r["state"]) for r in db_rows(daemon, RATINGS)] == [("bad", "done")]


def test_a_crash_between_the_rate_request_and_its_record_ends_rated_once(make_daemon, emu, tg, employee) -> None:
    # Okdesk applies the rating and the answer never comes back; the daemon is killed meanwhile.
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Роутер", okdesk={"timeout": 20})
    notice = completed_notice(tg, user, emu, issue_id, employee)
    emu.add_fault(Fault(kind="after_effect_timeout", path=rf"/issues/{issue_id}/rates$", method="POST", delay=30))
    tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode())
    eventually(lambda: accepted(emu, issue_id), what="the rate request reached Okdesk")
    assert [r["state"] for r in db_rows(daemon, RATINGS)] == ["unsure"]  # written before Okdesk was asked
    daemon.kill()
    daemon.start()
    (told,) = wait_text(tg, user, f"Спасибо за оценку заявки #{issue_id}! Ваша оценка: 👍 Отлично")
    assert callback_data(told) == [f"rm:{issue_id}".encode()]
    assert [(r["rate"], r["state"]) for r in db_rows(daemon, RATINGS)] == [("good", "done")]
    daemon.wait_cycles(3)
    assert emu.rates_of(issue_id) == ["good"] and emu.issue_rate(issue_id) == "good"
    assert len(wait_text(tg, user, f"Спасибо за оценку заявки #{issue_id}")) == 1  # told once
    assert daemon.errors() == []


def test_a_tap_after_an_unanswered_request_finds_the_rating_and_thanks(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Ноутбук", okdesk={"timeout": 1})
    notice = completed_notice(tg, user, emu, issue_id, employee)
    emu.add_fault(Fault(kind="after_effect_timeout", path=rf"/issues/{issue_id}/rates$", method="POST", delay=3))
    first = tg.press_button(user, notice.id, f"rt:{issue_id}:2".encode())
    assert result_of(tg, user, first, "Связь с системой поддержки прервалась")
    assert [r["state"] for r in db_rows(daemon, RATINGS)] == ["unsure"]
    again = tg.press_button(user, notice.id, f"rt:{issue_id}:2".encode())
    assert result_of(tg, user, again, THANKS)
    assert [(r["rate"], r["state"]) for r in db_rows(daemon, RATINGS)] == [("normal", "done")]
    assert emu.rates_of(issue_id) == ["normal"]  # read off the issue, never sent twice


def test_a_request_lost_before_okdesk_is_sent_again_at_start(make_daemon, emu, tg, employee) -> None:
    # The other half of "outcome unknown": nothing reached Okdesk, so the restart sends it again, once.
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Роутер", okdesk={"timeout": 20})
    notice = completed_notice(tg, user, emu, issue_id, employee)
    slow = emu.add_fault(Fault(kind="timeout", path=rf"/issues/{issue_id}/rates$", method="POST", delay=30))
    tg.press_button(user, notice.id, f"rt:{issue_id}:1".encode())
    eventually(lambda: slow.hits, what="the rate request on its way")
    assert emu.rate_attempts(issue_id) == []  # held before Okdesk looked at it
    daemon.kill()
    emu.clear_faults()
    daemon.start()
    wait_text(tg, user, f"Спасибо за оценку заявки #{issue_id}! Ваша оценка: 👎 Плохо")
    assert emu.issue_rate(issue_id) == "bad"
    assert len(accepted(emu, issue_id)) == 1


def test_a_forged_press_for_another_clients_issue_is_refused(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    mine = emu.add_issue("Алисина заявка", contact_id=alice_contact)
    theirs = emu.add_issue("Борина заявка", contact_id=bob_contact)
    for issue_id in (mine, theirs):
        wait_baseline(daemon, issue_id)
    emu.set_status(theirs, "completed", author=("employee", employee))
    notice = completed_notice(tg, alice, emu, mine, employee)
    wait_text(tg, bob, f"#{theirs} «")
    for data in (f"rt:{theirs}:3", f"rm:{theirs}"):
        answer = press(tg, alice, notice.id, data.encode())
        assert answer.message == "Эта заявка вам недоступна." and answer.alert
    assert emu.rate_attempts() == []
    assert daemon.find("callback_refused_not_requester", issue_id=theirs)
    assert db_rows(daemon, RATINGS) == []


def test_the_wrapped_body_shape_is_tried_after_a_refusal_and_kept(make_daemon, emu, tg, employee) -> None:
    emu.options.rate_body_shape = "wrapped"
    daemon, user, first = start_with_issue(make_daemon, emu, tg, "Первая")
    second = emu.add_issue("Вторая", contact_id=emu.get_issue(first)["contact"]["id"])
    wait_baseline(daemon, second)
    for issue_id, n, value in ((first, 3, "good"), (second, 1, "bad")):
        notice = completed_notice(tg, user, emu, issue_id, employee)
        assert result_of(tg, user, tg.press_button(user, notice.id, f"rt:{issue_id}:{n}".encode()), THANKS)
        assert emu.issue_rate(issue_id) == value
    assert [(a.shape, a.status) for a in emu.rate_attempts(first)] == [("flat", 422), ("wrapped", 200)]
    assert [(a.shape, a.status) for a in emu.rate_attempts(second)] == [("wrapped", 200)]  # remembered


def test_ratings_switched_off_show_no_buttons(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon()
    daemon.extra_env["SYNCD_OKDESK_RATINGS"] = "false"
    daemon.start()
    user, contact_id = link_client(tg, emu, daemon)
    issue_id = emu.add_issue("Без оценки", contact_id=contact_id)
    wait_baseline(daemon, issue_id)
    notice = completed_notice(tg, user, emu, issue_id, employee)
    assert notice.reply_markup is None
    assert press(tg, user, notice.id, f"rt:{issue_id}:3".encode()).alert
    assert emu.rate_attempts() == []


def test_an_issue_reopened_before_the_tap_is_not_rated(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Переоткрыта")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    emu.set_status(issue_id, "in_progress", author=("employee", employee))
    query = tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode())
    assert result_of(tg, user, query, "Заявка сейчас не решена, оценить её нельзя.")
    assert emu.rate_attempts() == [] and db_rows(daemon, RATINGS) == []


def test_a_remark_after_the_rating_is_a_public_comment(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Отзыв")
    notice = completed_notice(tg, user, emu, issue_id, employee)
    tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode())
    edit = last_edit(tg, notice.id)
    given = remark(tg, emu, user, issue_id, edit.msg_id, "Спасибо, всё работает быстро!")
    assert "Спасибо, всё работает быстро!" in given["content"] and given["public"]
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"  # a remark never reopens
