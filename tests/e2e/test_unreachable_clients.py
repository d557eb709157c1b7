"""A client Telegram will not let us reach: a stored address refused, or an account deleted.

A refused access_hash (PEER_ID_INVALID) is tried once more with access_hash 0, which Telegram accepts
from bots only under some conditions (core.telegram.org/api/peers): the test server has a switch for
both outcomes. A deleted account (INPUT_USER_DEACTIVATED, or USER_DEACTIVATED) is not a client who
blocked the bot: they will never write again, so their deliveries are parked at once, staff are told,
and the client is forgotten as an unlink forgets them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import client_with_issue, db_rows, eventually, outbox, texts_to, wait_text

pytestmark = pytest.mark.e2e


def count(tg: Any, user: Any, needle: str) -> int:
    return sum(needle in t for t in texts_to(tg, user))


def staff_notices(emu: Any, issue_id: int, words: str) -> list[dict[str, Any]]:
    return [c for c in emu.get_comments(issue_id) if words in c["content"] and not c["public"]]


@pytest.mark.parametrize("zero_hash_accepted", [True, False], ids=["zero-accepted", "zero-refused"])
def test_a_refused_access_hash_is_tried_with_zero_before_the_client_counts_as_unreachable(
        zero_hash_accepted, make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Смена адреса",
                                                           okdesk={"employee_id": employee})
    tg.options.zero_access_hash = zero_hash_accepted
    tg.change_access_hash(user)  # the access_hash the daemon stored is refused from now on
    emu.add_comment(issue_id, "<p>ответ по новому адресу</p>", author=("employee", employee))
    daemon.wait_event("access_hash_refused_trying_zero", timeout=15)
    if zero_hash_accepted:
        wait_text(tg, user, "ответ по новому адресу")
        assert [r.error for r in tg.rpc_calls("SendMessage")][-2:] == ["PEER_ID_INVALID", None]
    else:
        daemon.wait_event("client_unreachable", timeout=15)
        eventually(lambda: staff_notices(emu, issue_id, "не принимает сохранённый адрес"), what="a staff notice")
        daemon.wait_cycles(3)
        assert count(tg, user, "ответ по новому адресу") == 0
        tg.send_text(user, "я здесь")  # brings the new access_hash with it
        wait_text(tg, user, "ответ по новому адресу")
        assert len(staff_notices(emu, issue_id, "не принимает сохранённый адрес")) == 1
    daemon.wait_cycles(3)
    assert count(tg, user, "ответ по новому адресу") == 1
    assert not staff_notices(emu, issue_id, "заблокировал")  # not called a block


@pytest.mark.parametrize("error", ["INPUT_USER_DEACTIVATED", "USER_DEACTIVATED"])
def test_a_deleted_account_is_parked_at_once_told_to_staff_and_forgotten(error, make_daemon, emu, tg,
                                                                         employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Удалённый аккаунт",
                                                           okdesk={"employee_id": employee},
                                                           sync={"per_chat_interval": 1.0})
    tg.options.deactivated_error = error
    tg.deactivate_user(user)
    emu.add_comment(issue_id, "<p>первый ответ</p>", author=("employee", employee))
    emu.add_comment(issue_id, "<p>второй ответ</p>", author=("employee", employee))
    gone = daemon.wait_event("client_account_deleted", timeout=15)
    assert gone["error"] == error
    eventually(lambda: staff_notices(emu, issue_id, "удалил свой аккаунт Telegram"), what="a staff notice")
    daemon.wait_cycles(4)
    # Parked at once: one try, no retries, nothing waiting; nothing kept of the client but keys.
    assert [r.error for r in tg.rpc_calls("SendMessage")].count(error) == 1
    items = [r for r in outbox(daemon) if r["kind"] == "telegram" and r["okdesk_issue_id"] == issue_id]
    assert items and all(r["state"] == "failed" and r["payload"] == "{}" for r in items)
    assert all("deleted their Telegram account" in r["last_error"] for r in items)
    assert db_rows(daemon, "SELECT * FROM links WHERE tg_user_id = ?", user.id) == []
    assert len(staff_notices(emu, issue_id, "удалил свой аккаунт Telegram")) == 1
    assert not staff_notices(emu, issue_id, "заблокировал")


def test_user_deactivated_about_the_bot_itself_forgets_nobody(make_daemon, emu, tg, employee) -> None:
    """USER_DEACTIVATED is documented for the calling account (core.telegram.org/api/errors): when
    Telegram cannot show the client's account deleted, it may be the bot that is, and every client
    would be forgotten one by one. It is then an outage: items wait, links stay."""
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Бот удалён",
                                                           okdesk={"employee_id": employee})
    for method in ("SendMessage", "GetUsers"):
        tg.fail_next(method, "USER_DEACTIVATED", code=401, times=None)
    emu.add_comment(issue_id, "<p>ответ, пока бот недоступен</p>", author=("employee", employee))
    daemon.wait_event("account_deleted_not_confirmed", timeout=15)
    daemon.wait_event("delivery_failed", timeout=15)
    daemon.wait_cycles(3)
    assert not daemon.find("client_account_deleted")
    assert [r["tg_user_id"] for r in db_rows(daemon, "SELECT tg_user_id FROM links")] == [user.id]
    (item,) = [r for r in outbox(daemon) if r["kind"] == "telegram" and r["okdesk_issue_id"] == issue_id]
    assert item["state"] == "pending" and item["payload"] != "{}"
    tg.clear_faults()
    wait_text(tg, user, "ответ, пока бот недоступен")
    assert not staff_notices(emu, issue_id, "удалил свой аккаунт")
