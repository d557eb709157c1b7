"""Replies sent straight from handlers (linking, the menu, a rating's outcome) honour Telegram's FloodWait.

The daemon's client raises a FloodWait at once instead of sleeping through it; a reply that gets one
waits it out, with the outbox paused too, and is then sent once, under the random_id it was built with.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import answer_to, eventually, wait_baseline, wait_text
from tests.e2e.inbound_steps import callback_data

pytestmark = pytest.mark.e2e

FLOOD = 2  # seconds


def sent_once_after_the_flood(tg: Any, user: Any, needle: str) -> Any:
    """The one message with ``needle``, sent after the flood window the last injection opened."""
    (window, *_) = tg.wait_for(lambda: tg.flood_windows[-1:])
    (message,) = wait_text(tg, user, needle, timeout=FLOOD + 10)
    assert message.at >= window.end, f"sent {window.end - message.at:.2f} s inside the flood window"
    return message


def test_replies_wait_out_a_flood_wait_and_go_once(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    user = tg.add_user(first_name="Иван", last_name="Петров", phone="79123456789", lang_code="ru")

    # Linking: the greeting meets a FloodWait.
    tg.inject_flood_wait("SendMessage", seconds=FLOOD, times=1)
    tg.send_text(user, "/start")
    sent_once_after_the_flood(tg, user, "Здравствуйте")
    tg.send_contact(user, phone="79123456789", first_name="Иван", last_name="Петров", user_id=user.id)
    wait_text(tg, user, "Готово")
    issue_id = emu.add_issue("Сканер", contact_id=contact_id)
    wait_baseline(daemon, issue_id)

    # The menu.
    tg.inject_flood_wait("SendMessage", seconds=FLOOD, times=1)
    tg.send_text(user, "/menu")
    sent_once_after_the_flood(tg, user, "Выберите действие")

    # A rating: the press is answered at once, its thanks wait out the flood; rated once.
    emu.set_status(issue_id, "completed", author=("employee", employee))
    rate = f"rt:{issue_id}:3".encode()
    notice = tg.wait_for(lambda: next((m for m in tg.sent_to(user) if rate in callback_data(m)), None))
    tg.inject_flood_wait("SendMessage", seconds=FLOOD, times=1)
    answer = answer_to(tg, tg.press_button(user, notice.id, rate))
    assert answer.delay < 1
    sent_once_after_the_flood(tg, user, "Спасибо за оценку!")
    assert emu.rates_of(issue_id) == ["good"]

    windows = tg.flood_windows
    assert len(windows) == 3
    # Nothing was sent inside a window, and nobody asked again inside one: one FLOOD_WAIT per window.
    assert not [m for m in tg.sent if any(w.start <= m.at < w.end for w in windows)]
    refused = [r for r in tg.rpc_log if r.error and r.error.startswith("FLOOD_WAIT")]
    assert len(refused) == len(windows), refused
    # (the log is read from the daemon's output, which may trail what Telegram got)
    eventually(lambda: len(daemon.find("reply_flood_wait")) == len(windows), what="each wait logged")
    assert daemon.errors() == []
