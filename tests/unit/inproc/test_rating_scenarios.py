"""The rating's harder paths through the daemon in the test process: an answer Okdesk never gave (found
on the next tap, or by the recheck), a rating given in the portal, a reopened issue, a forged press."""

from __future__ import annotations

from typing import Any

from syncd.store.states import UNSURE
from tests.e2e.helpers import (
    db_rows,
    eventually,
    link_two_clients,
    press,
    result_of,
    start_with_issue,
    wait_text,
)
from tests.e2e.inbound_steps import callback_data
from tests.e2e.test_rating import RATINGS, THANKS, accepted, completed_notice
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import InProcessDaemon, MakeDaemon

LOST = "Связь с системой поддержки прервалась"


def rated_issue(make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int,
                **overrides: dict[str, Any]) -> tuple[InProcessDaemon, Any, int, Any]:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Ноутбук", **overrides)
    return daemon, user, issue_id, completed_notice(tg, user, emu, issue_id, employee)


def test_a_tap_after_an_unanswered_request_finds_the_rating_and_thanks(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id, notice = rated_issue(make_daemon, emu, tg, employee, okdesk={"timeout": 0.5})
    emu.add_fault(Fault(kind="after_effect_timeout", path=rf"/issues/{issue_id}/rates$", method="POST", delay=1))
    first = tg.press_button(user, notice.id, f"rt:{issue_id}:2".encode())
    assert result_of(tg, user, first, LOST)
    assert [r["state"] for r in db_rows(daemon, RATINGS)] == [UNSURE]  # sent, its outcome unknown
    eventually(lambda: accepted(emu, issue_id), what="the rating applied by Okdesk")
    again = tg.press_button(user, notice.id, f"rt:{issue_id}:2".encode())
    assert result_of(tg, user, again, THANKS)
    assert [(r["rate"], r["state"]) for r in db_rows(daemon, RATINGS)] == [("normal", "done")]
    assert emu.rates_of(issue_id) == ["normal"]


def test_a_request_okdesk_failed_is_sent_again_by_the_recheck(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id, notice = rated_issue(make_daemon, emu, tg, employee, sync={"recheck_interval": 0.5})
    emu.add_fault(Fault(kind="status", status=503, path=rf"/issues/{issue_id}/rates$", method="POST", times=None))
    first = tg.press_button(user, notice.id, f"rt:{issue_id}:1".encode())
    assert result_of(tg, user, first, LOST)
    emu.clear_faults()
    wait_text(tg, user, f"Спасибо за оценку заявки #{issue_id}! Ваша оценка: 👎 Плохо")
    # A 👎 found applied later is followed by "what went wrong?", as at a press.
    (followup,) = wait_text(tg, user, "Жаль, что мы вас подвели. Что пошло не так?")
    assert callback_data(followup) == [f"ri:{issue_id}".encode(), f"rm:{issue_id}".encode(), b"x"]
    daemon.wait_event("rating_resent", outcome="done")
    assert emu.issue_rate(issue_id) == "bad" and len(accepted(emu, issue_id)) == 1


def test_a_stop_while_the_recheck_waits_for_okdesk_is_no_error(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    """The recheck is a coroutine job: APScheduler logs one cancelled by its shutdown as an error."""
    daemon, user, issue_id, notice = rated_issue(make_daemon, emu, tg, employee, sync={"recheck_interval": 0.3})
    emu.add_fault(Fault(kind="status", status=503, path=rf"/issues/{issue_id}/rates$", method="POST", times=None))
    assert result_of(tg, user, tg.press_button(user, notice.id, f"rt:{issue_id}:1".encode()), LOST)
    slow = emu.add_fault(Fault(kind="slow", delay=3, path=rf"/issues/{issue_id}$", method="GET", times=None))
    eventually(lambda: slow.hits, what="the recheck waiting for Okdesk's answer")
    assert daemon.stop() == 0
    assert daemon.errors() == []
    assert [r["state"] for r in db_rows(daemon, RATINGS)] == [UNSURE]  # looked at again at the next start


def test_rated_in_the_portal_or_reopened_before_the_tap_is_not_rated_again(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id, notice = rated_issue(make_daemon, emu, tg, employee)
    second = emu.add_issue("Монитор", contact_id=emu.get_issue(issue_id)["contact"]["id"])
    daemon.wait_event("issue_followed", issue_id=second)
    emu.set_rate(issue_id, "bad")
    query = tg.press_button(user, notice.id, f"rt:{issue_id}:3".encode())
    assert result_of(tg, user, query, "Заявка уже оценена: 👎 Плохо")
    reopened = completed_notice(tg, user, emu, second, employee)
    emu.set_status(second, "in_progress", author=("employee", employee))
    query = tg.press_button(user, reopened.id, f"rt:{second}:3".encode())
    assert result_of(tg, user, query, "Заявка сейчас не решена, оценить её нельзя.")
    assert emu.rate_attempts() == []
    assert [(r["rate"], r["state"]) for r in db_rows(daemon, RATINGS)] == [("bad", "done")]


def test_a_forged_press_for_another_clients_issue_is_refused(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon = make_daemon().start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    mine = emu.add_issue("Алисина заявка", contact_id=alice_contact)
    theirs = emu.add_issue("Борина заявка", contact_id=bob_contact)
    for issue_id in (mine, theirs):
        daemon.wait_event("issue_followed", issue_id=issue_id)
    emu.set_status(theirs, "completed", author=("employee", employee))
    notice = completed_notice(tg, alice, emu, mine, employee)
    for data in (f"rt:{theirs}:3", f"rm:{theirs}"):
        answer = press(tg, alice, notice.id, data.encode())
        assert answer.message == "Эта заявка вам недоступна." and answer.alert
    assert emu.rate_attempts() == [] and db_rows(daemon, RATINGS) == []
