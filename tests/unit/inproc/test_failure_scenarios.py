"""Failures through the daemon in the test process: Okdesk down then back (both ways), a client who
blocked the bot (staff told, privately), a send whose answer a stop cut off (resent under its random_id,
once), a comment whose answer was lost (found, not posted again), and messages sent while it was down."""

from __future__ import annotations

import time

from tests.e2e.helpers import client_with_issue, eventually, outbox, texts_to, wait_text
from tests.e2e.inbound_steps import ADDED, open_card
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon
from tests.unit.inproc.steps import notifying_client

COMMENT_POST = r"/issues/\d+/comments$"


def count(tg: TelegramTestServer, user: object, needle: str) -> int:
    return sum(needle in t for t in texts_to(tg, user))


def test_okdesk_down_is_retried_and_the_comment_arrives_once_each_way(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сбой", sync={"retry_cap": 0.4})
    card = open_card(tg, user, issue_id)
    fault = emu.add_fault(Fault(kind="status", status=503, path=r"/issues", times=None))
    emu.add_comment(issue_id, "<p>ответ сквозь сбой</p>", author=("employee", employee))
    tg.send_text(user, "пишу во время сбоя", reply_to=card.id)
    eventually(lambda: fault.hits >= 3, what="the fault met three times")
    daemon.wait_event("poll_failed")
    assert daemon.alive and not emu.comments_by(issue_id, author=("contact", contact_id))
    emu.clear_faults()
    wait_text(tg, user, "ответ сквозь сбой")
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert "пишу во время сбоя" in comment["content"]
    daemon.wait_cycles(3)
    assert count(tg, user, "ответ сквозь сбой") == 1 and count(tg, user, ADDED) == 1


def test_a_client_who_blocked_the_bot_is_told_to_staff_and_gets_it_after_coming_back(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Блокировка")
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>пока заблокирован</p>", author=("employee", employee))
    daemon.wait_event("client_blocked_bot")
    (notice,) = eventually(lambda: [c for c in emu.get_comments(issue_id) if "заблокировал" in c["content"]],
                           what="the staff notice")
    assert notice["public"] is False and notice["author"]["id"] == employee
    tg.unblock_user(user)
    tg.send_text(user, "я вернулся")
    wait_text(tg, user, "пока заблокирован")
    daemon.wait_cycles(2)
    assert count(tg, user, "пока заблокирован") == 1
    assert not [t for t in texts_to(tg, user) if "заблокировал" in t]


def test_a_send_cut_off_by_the_grace_is_resent_once_under_its_random_id(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, "Остановка", sync={"shutdown_grace": 0.5})
    hold = tg.hold("SendMessage")  # never released: Telegram stores the message, its answer never comes
    emu.add_comment(issue_id, "<p>оборвано остановкой</p>", author=("employee", employee))
    assert hold.reached.wait(10)
    began = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - began < 3  # the grace, then no longer
    assert daemon.find("stopping", run=1)[0]["in_flight"] == 1
    (row,) = [r for r in outbox(daemon) if r["kind"] == "telegram"]
    assert (row["state"], row["progress"]) == ("pending", 0)
    (msg,) = wait_text(tg, user, "оборвано остановкой")
    assert msg.random_id == row["random_ids"][0]
    daemon.start()
    daemon.wait_event("delivered", outbox_id=row["id"], run=2)
    assert [r.message_ids for r in tg.replays] == [[msg.id]]
    daemon.wait_cycles(2)
    assert count(tg, user, "оборвано остановкой") == 1


def test_a_comment_whose_answer_was_lost_is_found_not_posted_again(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сканер", okdesk={"timeout": 0.5})
    card = open_card(tg, user, issue_id)
    fault = emu.add_fault(Fault(kind="after_effect_timeout", path=COMMENT_POST, method="POST", times=1, delay=1))
    tg.send_text(user, "Сканер пишет ошибку 0x5", reply_to=card.id)
    found = daemon.wait_event("inbound_lost_answer_found")
    wait_text(tg, user, ADDED)
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert found["found_id"] == comment["id"] and fault.hits == 1
    eventually(lambda: emu.count_requests(COMMENT_POST, "POST") == 1, what="the lost POST logged")
    daemon.wait_cycles(2)
    assert emu.count_requests(COMMENT_POST, "POST") == 1 and count(tg, user, ADDED) == 1


def test_messages_sent_while_the_daemon_was_down_are_caught_up_once(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Принтер")
    card = open_card(tg, user, issue_id)
    assert daemon.stop() == 0
    texts = ["Пока вас не было: бумага замялась", "И картридж мигает"]
    for text in texts:
        tg.send_text(user, text, reply_to=card.id)
    tg.fail_next("GetDifference", "INTERNAL", code=500, times=1)
    daemon.start()
    assert daemon.wait_event("telegram_catch_up_failed", run=2)["error"] == "ServerError"
    eventually(lambda: len(emu.comments_by(issue_id, author=("contact", contact_id))) == 2, what="both posted")
    daemon.wait_cycles(2)
    assert [c["content"] for c in emu.comments_by(issue_id, author=("contact", contact_id))] == texts
    assert count(tg, user, ADDED) == 2


def test_a_gap_telegram_skipped_is_read_back_by_message_id(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Простой")
    card = open_card(tg, user, issue_id)
    assert daemon.stop() == 0
    texts = [f"Сообщение {n} за время простоя" for n in range(4)]
    for text in texts:
        tg.send_text(user, text, reply_to=card.id)
    tg.options.difference_too_long_after = 2  # more missed than Telegram hands back
    daemon.start()
    daemon.wait_event("telegram_difference_too_long", run=2)
    recovered = daemon.wait_event("telegram_gap_recovered", run=2)
    assert recovered["recovered_messages"] == 4 and recovered["complete"] is True
    eventually(lambda: len(emu.comments_by(issue_id, author=("contact", contact_id))) == 4, what="all posted")
    assert [c["content"] for c in emu.comments_by(issue_id, author=("contact", contact_id))] == texts


def test_a_staff_notice_whose_answer_was_lost_is_found_not_posted_twice(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Потерянный ответ", timeout=0.5)
    emu.add_fault(Fault(kind="after_effect_timeout", path=COMMENT_POST, method="POST", times=1, delay=1))
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>пока заблокирован</p>", author=("employee", employee))
    daemon.wait_event("staff_notice_failed")
    daemon.wait_event("staff_notice_found_after_unknown_outcome")
    eventually(lambda: emu.count_requests(COMMENT_POST, "POST") == 1, what="the lost POST logged")
    assert len([c for c in emu.get_comments(issue_id) if "заблокировал" in c["content"]]) == 1
