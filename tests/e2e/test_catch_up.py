"""Messages clients send while the daemon is down reach Okdesk, whatever Telegram's catch-up does.

Telethon 1.45 catches up with updates.getDifference; one transient error ends that catch-up until
the next update (request_retries=0), and updates.differenceTooLong makes it skip the gap silently.
The daemon retries the first and reads the second back by message id (syncd/telegram/catchup.py);
what it cannot read back is logged as an error and shown by `syncd status --json`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import Daemon, syncd_env
from tests.e2e.helpers import eventually, start_with_issue, texts_to
from tests.e2e.inbound_steps import ADDED, open_card

pytestmark = pytest.mark.e2e


def away(make_daemon: Any, emu: Any, tg: Any, texts: list[str], **overrides: Any) -> tuple[Daemon, Any, int, int]:
    """A linked client with an issue card; the daemon stops, and the client replies to the card while
    it is down, and pins the card (a service message: not something they wrote). Returns (daemon,
    user, issue id, contact id)."""
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Не печатает принтер", **overrides)
    contact_id = emu.get_issue(issue_id)["contact"]["id"]
    card = open_card(tg, user, issue_id)
    assert daemon.stop() == 0  # Telethon saves how far it read the updates
    for n, text in enumerate(texts):
        tg.send_text(user, text, reply_to=card.id)
        if n == 0:
            tg.pin_message(user, card.id)
    return daemon, user, issue_id, contact_id


def comments(emu: Any, issue_id: int, contact_id: int) -> list[str]:
    return [c["content"] for c in emu.comments_by(issue_id, author=("contact", contact_id))]


def status(daemon: Daemon) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "syncd", "status", "--json", "--config", str(daemon.config_path)],
                          capture_output=True, text=True, env=syncd_env(), timeout=60, cwd=daemon.workdir)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_catch_up_that_failed_once_is_tried_again(make_daemon, emu, tg) -> None:
    texts = ["Пока вас не было: бумага замялась", "И картридж мигает"]
    daemon, user, issue_id, contact_id = away(make_daemon, emu, tg, texts)
    tg.fail_next("GetDifference", "INTERNAL", code=500, times=1)
    daemon.start()
    failed = daemon.wait_event("telegram_catch_up_failed", run=2)
    assert failed["error"] == "ServerError"
    eventually(lambda: len(comments(emu, issue_id, contact_id)) == 2, what="both messages posted")
    daemon.wait_cycles(3)
    assert comments(emu, issue_id, contact_id) == texts
    assert [r.error for r in tg.rpc_calls("GetDifference")][-2:] == ["INTERNAL", None]
    assert sum(ADDED in t for t in texts_to(tg, user)) == 2
    assert not daemon.find("telegram_difference_too_long")


@pytest.mark.parametrize("limit", [None, 2], ids=["read-back-in-full", "over-recover-max"])
def test_a_gap_telegram_skipped_is_read_back_by_message_id(make_daemon, emu, tg, limit) -> None:
    texts = [f"Сообщение {n} за время простоя" for n in range(5)]
    overrides = {"telegram": {"recover_max_messages": limit}} if limit else {}
    daemon, user, issue_id, contact_id = away(make_daemon, emu, tg, texts, **overrides)
    tg.options.difference_too_long_after = 3  # five messages missed: beyond what Telegram hands back
    daemon.start()
    daemon.wait_event("telegram_difference_too_long", run=2)
    assert tg.skipped_gaps
    if limit is None:
        recovered = daemon.wait_event("telegram_gap_recovered", run=2)
        assert recovered["recovered_messages"] == 5 and recovered["complete"] is True  # the pin is not one
        eventually(lambda: len(comments(emu, issue_id, contact_id)) == 5, what="every message posted")
        daemon.wait_cycles(3)
        assert comments(emu, issue_id, contact_id) == texts  # each once, in order
        report = status(daemon)["telegram_catch_up"]
        assert (report["gaps"], report["incomplete_gaps"], report["last_gap"]["recovered_messages"]) == (1, 0, 5)
        return
    # Only `limit` ids may be read back: what lies beyond is reported, loudly, with its size.
    lost = daemon.wait_event("telegram_gap_not_recovered", run=2)
    assert lost["level"] == "error" and lost["skipped_updates"] >= 5 and lost["complete"] is False
    report = status(daemon)["telegram_catch_up"]
    assert (report["gaps"], report["incomplete_gaps"]) == (1, 1)
    eventually(lambda: len(comments(emu, issue_id, contact_id)) == report["last_gap"]["recovered_messages"],
               what="what was read back posted")
    daemon.wait_cycles(3)
    assert report["last_gap"]["scanned_ids"][1] - report["last_gap"]["scanned_ids"][0] + 1 == limit
    assert len(comments(emu, issue_id, contact_id)) == report["last_gap"]["recovered_messages"] < 5


@pytest.mark.parametrize("pushed", [False, True], ids=["difference-only", "pushed-at-reconnect"])
def test_messages_sent_while_down_arrive_once_however_telegram_hands_them_over(pushed, make_daemon, emu,
                                                                              tg) -> None:
    """Reported (Telethon's updates.py, _handle_auto_reconnect), not documented: Telegram may push a few
    updates it held to the next connection by itself, besides handing them over by getDifference."""
    tg.options.redeliver_after_reconnect = pushed
    texts = ["Пишу, пока бот спит", "И ещё одно"]
    daemon, user, issue_id, contact_id = away(make_daemon, emu, tg, texts)
    daemon.start()
    eventually(lambda: len(comments(emu, issue_id, contact_id)) == 2, what="both messages posted")
    daemon.wait_cycles(3)
    assert comments(emu, issue_id, contact_id) == texts
    assert sum(ADDED in t for t in texts_to(tg, user)) == 2
