"""Flood protection: one client's burst waits its turn (never dropped, order kept, told once),
and it never holds up another client's message."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import Daemon
from tests.e2e.helpers import (
    db_rows,
    eventually,
    link_two_clients,
    texts_to,
    wait_baseline,
    wait_text,
)

pytestmark = pytest.mark.e2e

SLOW_DOWN = "Вы отправляете много сообщений подряд"
JOBS = "SELECT * FROM inbound_jobs WHERE tg_user_id = ? ORDER BY id"


def anchor(emu: Any, tg: Any, daemon: Daemon, user: Any, contact_id: int, employee: int) -> tuple[int, int]:
    """An issue of the client's and a staff message about it in their chat: (issue id, message to reply to)."""
    issue_id = emu.add_issue(f"Заявка клиента {contact_id}", contact_id=contact_id)
    wait_baseline(daemon, issue_id)
    emu.add_comment(issue_id, f"<p>Вопрос по заявке {issue_id}</p>", author=("employee", employee))
    (msg,) = wait_text(tg, user, f"Вопрос по заявке {issue_id}")
    return issue_id, msg.id


def contents(emu: Any, issue_id: int, contact_id: int) -> list[str]:
    """The client's comments on the issue, in Okdesk's order (by id), as plain words."""
    comments = sorted(emu.comments_by(issue_id, author=("contact", contact_id)), key=lambda c: c["id"])
    return [c["content"].replace("<p>", "").replace("</p>", "") for c in comments]


def setup(make_daemon: Any, emu: Any, tg: Any, employee: int, rate: int) -> tuple[Daemon, Any, Any]:
    daemon = make_daemon(sync={"client_messages_per_minute": rate}).start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    a = (alice, alice_contact, *anchor(emu, tg, daemon, alice, alice_contact, employee))
    b = (bob, bob_contact, *anchor(emu, tg, daemon, bob, bob_contact, employee))
    return daemon, a, b


def bob_is_prompt(emu: Any, tg: Any, b: Any) -> float:
    """Bob writes once; how long until his comment is in Okdesk."""
    bob, bob_contact, bob_issue, bob_anchor = b
    began = time.monotonic()
    tg.send_text(bob, "Боб: у нас тоже не работает", reply_to=bob_anchor)
    eventually(lambda: contents(emu, bob_issue, bob_contact), timeout=10, what="Bob's comment")
    return time.monotonic() - began


def test_a_burst_is_delayed_in_order_never_dropped_and_others_go_first(make_daemon, emu, tg, employee) -> None:
    # 75 a minute: a burst of 25 goes at once, then one each 0.8 s (the last 5 of 30 wait).
    daemon, (alice, alice_contact, issue_id, alice_anchor), b = setup(make_daemon, emu, tg, employee, rate=75)
    texts = [f"сообщение {n:02d}" for n in range(1, 31)]
    for text in texts:
        tg.send_text(alice, text, reply_to=alice_anchor)
    daemon.wait_event("inbound_client_throttled", tg_user_id=alice.id)
    wait_text(tg, alice, SLOW_DOWN)

    took = bob_is_prompt(emu, tg, b)
    posted = contents(emu, issue_id, alice_contact)
    assert took < 3 and len(posted) < len(texts)  # Bob did not wait behind Alice's queue
    assert posted == texts[:len(posted)]  # what arrived so far, in order

    eventually(lambda: len(contents(emu, issue_id, alice_contact)) == len(texts), timeout=20,
               what="all of Alice's messages posted")
    assert contents(emu, issue_id, alice_contact) == texts  # none dropped, none twice, in order
    wait_text(tg, alice, "Комментарий добавлен", count=len(texts))
    daemon.wait_cycles(2)
    assert sum(SLOW_DOWN in t for t in texts_to(tg, alice)) == 1  # told once, not once a message
    assert sum(SLOW_DOWN in t for t in texts_to(tg, b[0])) == 0


def test_hundreds_queued_by_one_client_do_not_hide_another_clients_message(make_daemon, emu, tg,
                                                                           employee) -> None:
    daemon, (alice, alice_contact, issue_id, alice_anchor), b = setup(make_daemon, emu, tg, employee, rate=60)
    texts = [f"флуд {n:03d}" for n in range(1, 161)]
    for text in texts:
        tg.send_text(alice, text, reply_to=alice_anchor)
    eventually(lambda: len(db_rows(daemon, JOBS, alice.id)) == len(texts), what="every message a job")
    daemon.wait_event("inbound_client_throttled", tg_user_id=alice.id)

    took = bob_is_prompt(emu, tg, b)
    waiting = [j for j in db_rows(daemon, JOBS, alice.id) if j["state"] == "queued"]
    assert len(waiting) > 100  # Alice's backlog was long when Bob wrote...
    assert took < 3  # ...and Bob still went at once
    posted = contents(emu, issue_id, alice_contact)
    assert posted == texts[:len(posted)]  # Alice's so far: in order, none skipped
