"""Sends are paced under Telegram's limits, keep their order per chat, and respect a FloodWait."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import (
    client_with_issue,
    link_two_clients,
    wait_baseline,
    wait_text,
)

pytestmark = pytest.mark.e2e

SENDS = ("SendMessage", "SendMedia", "SendMultiMedia")


def test_a_burst_of_fifty_comments_is_paced_in_order_without_flood_waits(make_daemon, emu, tg, employee) -> None:
    emu.options.comments_bump_updated_at = True
    daemon = make_daemon(sync={"per_chat_interval": 0.1, "global_rate": 8}).start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    a_issue = emu.add_issue("Много ответов", contact_id=alice_contact)
    b_issue = emu.add_issue("Тоже много", contact_id=bob_contact)
    wait_baseline(daemon, a_issue)
    wait_baseline(daemon, b_issue)
    # Each issue is announced to its client first (created by staff after the link); the burst follows.
    wait_text(tg, alice, f"Для вас создана заявка #{a_issue}")
    wait_text(tg, bob, f"Для вас создана заявка #{b_issue}")
    start = len(tg.sent)
    for n in range(50):
        emu.add_comment(a_issue, f"<p>ответ номер {n:02d}</p>", author=("employee", employee))
        if n % 5 == 0:
            emu.add_comment(b_issue, f"<p>борису {n:02d}</p>", author=("employee", employee))
    wait_text(tg, alice, "ответ номер 49", timeout=60)
    wait_text(tg, bob, "борису 45", timeout=30)
    to_alice = [m for m in tg.sent[start:] if m.peer_user_id == alice.id]
    numbers = [int(m.text.rsplit(" ", 1)[-1]) for m in to_alice]
    assert numbers == list(range(50)), "order kept, nothing twice, nothing lost"
    gaps = [b.at - a.at for a, b in zip(to_alice, to_alice[1:])]
    assert min(gaps) >= 0.1 * 0.9, f"per-chat pacing broken: {min(gaps):.3f}s"
    everyone = tg.sent[start:]
    overall = [b.at - a.at for a, b in zip(everyone, everyone[1:])]
    assert min(overall) >= (1 / 8) * 0.9, f"global pacing broken: {min(overall):.3f}s"
    assert not [r for r in tg.rpc_log if (r.error or "").startswith("FLOOD_WAIT")]


def test_nothing_is_sent_inside_an_injected_flood_wait(make_daemon, emu, tg, employee) -> None:
    emu.options.comments_bump_updated_at = True
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Флуд")
    tg.inject_flood_wait("SendMessage", seconds=3, times=1)
    for n in range(5):
        emu.add_comment(issue_id, f"<p>после флуда {n}</p>", author=("employee", employee))
    wait_text(tg, user, "после флуда 4", timeout=30)
    (window,) = tg.flood_windows
    # The call that opened the window is the only one in it: nothing was tried until it passed.
    inside = [r for r in tg.rpc_log if r.method in SENDS and window.start - 0.05 <= r.at < window.end]
    assert len(inside) == 1 and inside[0].error == "FLOOD_WAIT_3", f"sent inside the FloodWait: {inside}"
    assert daemon.find("telegram_flood_wait", seconds=3.0)
    texts = [m.text for m in tg.sent_to(user) if "после флуда" in (m.text or "")]
    assert texts == [f"Заявка #{issue_id} «Флуд»\nИванов Сергей:\n\nпосле флуда {n}" for n in range(5)]
