"""Okdesk and Telegram failing in every way we know: nothing lost, nothing duplicated, the daemon runs on."""

from __future__ import annotations

import time

import pytest

from tests.e2e.helpers import (
    client_with_issue,
    eventually,
    link_two_clients,
    outbox,
    texts_to,
    wait_baseline,
    wait_text,
)
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e


def _count(tg, user, needle: str) -> int:  # type: ignore[no-untyped-def]
    return len([t for t in texts_to(tg, user) if needle in t])


@pytest.mark.parametrize("fault", [
    Fault(kind="status", status=503, path=r"/issues", times=None),
    Fault(kind="status", status=500, path=r"/comments", times=None),
    Fault(kind="timeout", delay=4, path=r"/issues", times=3),
    Fault(kind="malformed_json", path=r"/issues", times=None),
    Fault(kind="error_body", path=r"/issues/\d+", times=None),
    Fault(kind="drop", path=r"/issues", times=None),
], ids=["503", "500-comments", "timeout", "malformed-json", "200-error-body", "dropped"])
def test_okdesk_faults_are_survived_and_the_comment_arrives_once(fault, make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сбой")
    emu.add_fault(fault)
    emu.add_comment(issue_id, "<p>ответ сквозь сбой</p>", author=("employee", employee))
    # The daemon meets the fault and keeps running.
    if fault.times is None:
        eventually(lambda: fault.hits >= 3, what="the fault met three times")
        assert daemon.proc.poll() is None
        emu.clear_faults()
    wait_text(tg, user, "ответ сквозь сбой", timeout=30)
    daemon.wait_cycles(4)
    assert _count(tg, user, "ответ сквозь сбой") == 1
    assert daemon.errors() == []


def test_okdesk_429_is_waited_out_as_asked(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Лимит")
    emu.reset_requests()
    fault = emu.add_fault(Fault(kind="retry_after", retry_after=2, path=r"/issues/list", times=1))
    emu.add_comment(issue_id, "<p>после паузы</p>", author=("employee", employee))
    wait_text(tg, user, "после паузы", timeout=30)
    # (the sweep may deliver the comment before the next poll meets the 429: wait for both, and a
    # little past the wait Okdesk asked for)
    eventually(lambda: fault.hits >= 1, what="the 429 answered")
    time.sleep(2.5)
    records = sorted(emu.requests, key=lambda r: r.started)
    limited = [r for r in records if r.status == 429]
    assert limited, "the fault never fired"
    after = [r for r in records if r.started > limited[0].finished]
    # Nobody asks Okdesk anything inside the wait it asked for.
    assert after and after[0].started - limited[0].finished >= 1.9


def test_okdesk_down_at_boot_is_not_a_reason_to_exit(make_daemon, emu, tg, employee) -> None:
    emu.add_fault(Fault(kind="status", status=502, times=None))
    daemon = make_daemon().start()
    ready = daemon.wait_event("ready")
    assert ready["first_poll_ok"] is False
    user = tg.add_user(first_name="Иван", last_name="Петров", phone="79123456789", lang_code="ru")
    tg.send_text(user, "/start")
    wait_text(tg, user, "Здравствуйте")  # Telegram keeps working while Okdesk is down
    emu.clear_faults()
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    tg.send_contact(user, phone="79123456789", first_name="Иван", last_name="Петров", user_id=user.id)
    wait_text(tg, user, "Готово")
    issue_id = emu.add_issue("Заработало", contact_id=contact_id)
    emu.add_comment(issue_id, "<p>всё поднялось</p>", author=("employee", employee))
    wait_text(tg, user, "всё поднялось", timeout=20)


def test_refused_connections_then_okdesk_comes_back(variant, make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Переезд сервера")
    port = emu.port
    emu.stop()
    daemon.wait_event("poll_failed", timeout=10)
    emu.start(port=port)
    emu.add_comment(issue_id, "<p>сервер вернулся</p>", author=("employee", employee))
    wait_text(tg, user, "сервер вернулся", timeout=20)
    assert daemon.proc.poll() is None


def test_a_telegram_error_is_retried_and_delivered_once(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Повтор")
    tg.fail_next("SendMessage", "INTERNAL_SERVER_ERROR", code=500, times=2, user=user)
    tg.fail_next("SendMessage", "MEDIA_EMPTY", code=400, times=1, user=user)
    emu.add_comment(issue_id, "<p>со второй попытки</p>", author=("employee", employee))
    wait_text(tg, user, "со второй попытки", timeout=20)
    daemon.wait_event("delivery_failed")
    assert _count(tg, user, "со второй попытки") == 1


def test_a_failing_chat_waits_alone_and_is_parked_with_a_notice_to_staff(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon(okdesk={"employee_id": employee}, sync={"retry_budget": 3, "retry_cap": 0.5}).start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    a_issue = emu.add_issue("Заявка Алисы", contact_id=alice_contact)
    b_issue = emu.add_issue("Заявка Бориса", contact_id=bob_contact)
    wait_baseline(daemon, a_issue)
    wait_baseline(daemon, b_issue)
    # Telegram refuses everything for Alice (an item error, not an outage).
    tg.fail_next("SendMessage", "MESSAGE_EMPTY", code=400, times=None, user=alice)
    emu.add_comment(a_issue, "<p>первое Алисе</p>", author=("employee", employee))
    emu.add_comment(a_issue, "<p>второе Алисе</p>", author=("employee", employee))
    emu.add_comment(b_issue, "<p>Борису</p>", author=("employee", employee))
    # Bob never waits for Alice's trouble.
    wait_text(tg, bob, "Борису", timeout=15)
    assert not any("Алисе" in t for t in texts_to(tg, alice))
    parked = daemon.wait_event("delivery_parked", timeout=30)
    assert parked["tg_chat_id"] == alice.id
    # Staff learn about it once, privately, as the configured employee.
    eventually(lambda: any("не получил" in c["content"] for c in emu.get_comments(a_issue)), timeout=15)
    staff = [c for c in emu.get_comments(a_issue) if "не получил" in c["content"]]
    assert staff and all(c["public"] is False and c["author"]["id"] == employee for c in staff)
    # In staff's words, not "comment" or "created".
    words = ("Не доставлено: сообщение о том, что для него создана эта заявка от ", "Не доставлено: ответ сотрудника от ")
    assert all(any(w in c["content"] for w in words) for c in staff)
    # All of Alice's items (the issue's announcement, both comments) end up parked, each its own
    # notice, none silently dropped.
    eventually(lambda: len([r for r in outbox(daemon) if r["state"] == "failed"]) == 3, timeout=30)
    eventually(lambda: len([c for c in emu.get_comments(a_issue) if "не получил" in c["content"]]) == 3,
                timeout=15)
    notices = [c["content"] for c in emu.get_comments(a_issue) if "не получил" in c["content"]]
    assert [sum(w in n for n in notices) for w in words] == [1, 2]
    # The daemon's own notices are never forwarded to anybody.
    assert not any("не получил" in t for t in texts_to(tg, alice) + texts_to(tg, bob))


def test_a_client_who_blocked_the_bot_is_skipped_and_gets_everything_after_coming_back(
        make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Блокировка", okdesk={"employee_id": employee})
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>пока заблокирован</p>", author=("employee", employee))
    daemon.wait_event("client_blocked_bot", timeout=15)
    eventually(lambda: any("заблокировал" in c["content"] for c in emu.get_comments(issue_id)), timeout=15)
    # Not retried forever while blocked: one attempt, then silence.
    attempts = len([r for r in tg.rpc_calls("SendMessage") if r.error == "USER_IS_BLOCKED"])
    daemon.wait_cycles(5)
    assert len([r for r in tg.rpc_calls("SendMessage") if r.error == "USER_IS_BLOCKED"]) == attempts
    # Writing to the bot unblocks it; what waited is delivered, once.
    tg.send_text(user, "я вернулся")
    wait_text(tg, user, "пока заблокирован", timeout=15)
    assert _count(tg, user, "пока заблокирован") == 1
    notices = [c for c in emu.get_comments(issue_id) if "заблокировал" in c["content"]]
    assert len(notices) == 1 and notices[0]["public"] is False


def test_no_notices_without_an_employee_to_sign_them(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Без уведомлений", sync={"max_file_mb": 0.01})
    from tests.okdesk_emulator import Upload

    emu.add_comment(issue_id, "<p>большой файл</p>", author=("employee", employee),
                    attachments=[Upload("big.bin", data=b"x" * 50_000)])
    (msg,) = wait_text(tg, user, "большой файл")
    assert "big.bin" in msg.text
    daemon.wait_cycles(3)
    assert [c for c in emu.get_comments(issue_id) if not c["public"]] == []


def test_while_telegram_is_down_for_everyone_items_wait_without_spending_their_budget(make_daemon, emu, tg,
                                                                                      employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Авария Telegram", okdesk={"employee_id": employee}, sync={"retry_budget": 1.5, "retry_cap": 0.3})
    # Telegram answers every send with a server error, for several retry budgets' time.
    tg.fail_next("SendMessage", "INTERNAL_SERVER_ERROR", code=500, times=None)
    emu.add_comment(issue_id, "<p>переживёт аварию</p>", author=("employee", employee))
    eventually(lambda: len(daemon.find("delivery_failed")) >= 8, timeout=30, what="retries during the outage")
    assert daemon.find("delivery_parked") == []
    tg.clear_faults()
    wait_text(tg, user, "переживёт аварию", timeout=20)
    eventually(lambda: [r["state"] for r in outbox(daemon)] == ["done"], what="the item recorded as done")
    assert not any("не получил" in c["content"] for c in emu.get_comments(issue_id))


def test_status_names_refused_by_okdesk_do_not_stop_delivery(make_daemon, emu, tg, employee) -> None:
    emu.add_fault(Fault(kind="status", status=403, path=r"/issues/statuses", times=None))
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Без справочника")
    emu.add_comment(issue_id, "<p>справочник не нужен</p>", author=("employee", employee))
    wait_text(tg, user, "справочник не нужен")
    emu.set_status(issue_id, "in_progress", author=("employee", employee))
    # The issue's own status name stands in for the dictionary.
    wait_text(tg, user, "→ В работе")
    assert len(daemon.find("status_names_unavailable")) == 1
