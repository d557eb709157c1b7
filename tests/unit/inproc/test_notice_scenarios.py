"""Staff notices through the daemon in the test process: a client who blocked the bot and came back gets
staff a follow-up on the same issue, exactly once per episode (restarts and a crash between queueing it
and clearing the mark included), whether they write or press a button; a stored address Telegram
refused, the same; a reopening by the client carries a private comment naming them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from syncd.relay.staff_notices import NoticeQueue
from syncd.store import Store
from syncd.store.db import make_engine
from tests.e2e.helpers import db_rows, eventually, outbox, wait_text
from tests.e2e.inbound_steps import callback_data
from tests.e2e.test_reopen import ASK_REOPEN, finished_issue, question, verb
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import InProcessDaemon, MakeDaemon
from tests.unit.inproc.steps import notifying_client

BLOCKED = "заблокировал Telegram-канал службы поддержки (бот)"
BACK = "снова на связи"


def notices(emu: OkdeskEmulator, issue_id: int, words: str) -> list[dict[str, Any]]:
    return [c for c in emu.get_comments(issue_id) if words in c["content"]]


def client_name(daemon: InProcessDaemon) -> str:
    (row,) = db_rows(daemon, "SELECT contact_name FROM links")
    return str(row["contact_name"])


def okdesk_date(emu: OkdeskEmulator, stored: str) -> str:
    """A moment the store keeps (SQLite: naive UTC) as Okdesk shows dates, in the account's zone."""
    moment = datetime.fromisoformat(stored).replace(tzinfo=timezone.utc)
    return moment.astimezone(emu.tz).strftime("%d.%m.%Y %H:%M")


def test_a_client_back_after_blocking_the_bot_is_followed_up_once_per_episode(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Блокировка и возврат")
    name = client_name(daemon)
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>пока заблокирован</p>", author=("employee", employee))
    (blocked,) = eventually(lambda: notices(emu, issue_id, BLOCKED), what="the blocked notice")
    missed = next(r for r in outbox(daemon) if r["kind"] == "telegram" and r["okdesk_issue_id"] == issue_id
                  and r["state"] == "pending")
    since = okdesk_date(emu, missed["created_at"])
    assert blocked["public"] is False and blocked["author"]["id"] == employee
    assert f"Клиент {name} {BLOCKED}" in blocked["content"]
    assert f"Не доставлено с {since}: ответ сотрудника." in blocked["content"]
    # A restart while the client still blocks the bot tells staff nothing new.
    assert daemon.stop() == 0
    daemon.start()
    daemon.wait_cycles(2)
    assert not notices(emu, issue_id, BACK)
    tg.unblock_user(user)
    tg.send_text(user, "я вернулся")
    wait_text(tg, user, "пока заблокирован")
    (back,) = eventually(lambda: notices(emu, issue_id, BACK), what="the follow-up")
    assert back["public"] is False and back["author"]["id"] == employee
    assert back["content"].startswith(
        f"Клиент {name} снова на связи в Telegram: он вернулся в Telegram-канал службы поддержки (бот).")
    assert f"которые он пропустил с {since}, сейчас будут доставлены ему в Telegram автоматически" in back["content"]
    assert "Что сделать: ничего." in back["content"]
    # Writing again, or a restart, is no news.
    tg.send_text(user, "и ещё раз")
    daemon.wait_cycles(3)
    assert daemon.stop() == 0
    daemon.start()
    daemon.wait_cycles(3)
    assert len(notices(emu, issue_id, BACK)) == 1 and len(notices(emu, issue_id, BLOCKED)) == 1
    # Blocking the bot again is another episode: told again, followed up again, once each.
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>снова заблокирован</p>", author=("employee", employee))
    eventually(lambda: len(notices(emu, issue_id, BLOCKED)) == 2, what="the second blocked notice")
    tg.unblock_user(user)
    tg.send_text(user, "и снова я")
    wait_text(tg, user, "снова заблокирован")
    eventually(lambda: len(notices(emu, issue_id, BACK)) == 2, what="the second follow-up")
    daemon.wait_cycles(3)
    assert len(notices(emu, issue_id, BACK)) == 2


def test_a_follow_up_queued_just_before_a_crash_is_posted_once(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Сбой на возврате")
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>пока заблокирован</p>", author=("employee", employee))
    eventually(lambda: notices(emu, issue_id, BLOCKED), what="the blocked notice")
    assert daemon.stop() == 0
    # The window a crash may leave: the follow-up queued, the client's mark not yet cleared.
    store = Store(make_engine(f"sqlite:///{daemon.state_dir / 'syncd.sqlite3'}"))
    link = store.get_link(user.id)
    assert link is not None and link.blocked_at is not None
    assert NoticeQueue(store, employee).reachable_again(link) == 1
    store.engine.dispose()
    daemon.start()
    tg.unblock_user(user)
    tg.send_text(user, "я вернулся")
    wait_text(tg, user, "пока заблокирован")
    eventually(lambda: notices(emu, issue_id, BACK), what="the follow-up")
    daemon.wait_cycles(3)
    assert len(notices(emu, issue_id, BACK)) == 1
    assert len([r for r in outbox(daemon) if r["dedupe_key"].startswith("notice:reachable:")]) == 1


def test_a_press_under_an_old_message_after_unblocking_brings_the_client_back_too(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Кнопка после блокировки")
    emu.add_comment(issue_id, "<p>первый ответ</p>", author=("employee", employee))
    (first,) = wait_text(tg, user, "первый ответ")
    tg.block_user(user)
    emu.add_comment(issue_id, "<p>пока заблокирован</p>", author=("employee", employee))
    eventually(lambda: notices(emu, issue_id, BLOCKED), what="the blocked notice")
    tg.unblock_user(user)
    tg.press_button(user, first.id, callback_data(first)[0])  # "Reply", without writing anything
    wait_text(tg, user, "пока заблокирован")
    (back,) = eventually(lambda: notices(emu, issue_id, BACK), what="the follow-up")
    assert back["public"] is False
    daemon.wait_cycles(3)
    assert len(notices(emu, issue_id, BACK)) == 1


def test_a_client_whose_stored_address_was_refused_is_followed_up_when_they_write(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Новый адрес")
    tg.options.zero_access_hash = False
    tg.change_access_hash(user)
    emu.add_comment(issue_id, "<p>по новому адресу</p>", author=("employee", employee))
    (refused,) = eventually(lambda: notices(emu, issue_id, "не принимает сохранённый адрес"), what="the notice")
    assert "заблокировал" not in refused["content"]  # not called a block
    tg.send_text(user, "я здесь")
    wait_text(tg, user, "по новому адресу")
    (back,) = eventually(lambda: notices(emu, issue_id, BACK), what="the follow-up")
    assert back["public"] is False and "заблокировал" not in back["content"]


def test_a_reopening_by_the_client_carries_a_private_comment_naming_them(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    name = client_name(daemon)
    tg.send_text(user, "Сканер снова не работает", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    tg.press_button(user, asked.id, verb(asked, b"ro:"))
    eventually(lambda: emu.comments_by(issue_id, author=("contact", contact_id)), what="the client's comment")
    assert emu.get_issue(issue_id)["status"]["code"] == "opened"
    (note,) = emu.comments_by(issue_id, author=("employee", emu.api_employee_id))
    assert note["public"] is False
    assert note["content"] == (f"Клиент {name} возобновил заявку через Telegram-канал службы поддержки (бот). "
                               "Причина — в его комментарии, добавленном следом.")
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert "Сканер снова не работает" in comment["content"] and comment["public"] is True
