"""The card's "Open in portal" button: a one-time login link minted per press, sent only as a URL button.

The link signs whoever opens it in as the client: it must be minted only for the client's own contact
and only when pressed, live briefly, be used once, never sit in message text (a link preview would open
it and use it up), and never reach the daemon's log or database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (
    answer_to,
    client_with_issue,
    eventually,
    link_two_clients,
    press,
    result_of,
    wait_baseline,
    wait_text,
)
from tests.e2e.inbound_steps import callback_data, open_card
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

LINK_TEXT = "Ссылка для входа в клиентский портал"
NOT_YOURS = "Эта заявка вам недоступна."
UNAVAILABLE = "Система поддержки сейчас недоступна"
WAIT = "⏳ Готовим ссылку для входа…"
MINT = r"/api/v1/login_link/?$"


def button_url(button: Any) -> str | None:
    """The URL of a URL button, whatever the layer calls its class (as limits.callback_data does)."""
    url = getattr(button, "url", None) or getattr(getattr(button, "type", None), "url", None)
    return url if isinstance(url, str) else None


def url_buttons(markup: Any) -> list[tuple[str, str]]:
    return [(b.text, url) for row in getattr(markup, "rows", None) or () for b in row.buttons
            if (url := button_url(b)) is not None]


def minted(emu: Any) -> int:
    return emu.count_requests(MINT, "POST")


def state_bytes(state_dir: Path) -> bytes:
    """Every file the daemon keeps (the SQLite database with its WAL and journal included)."""
    return b"".join(p.read_bytes() for p in sorted(state_dir.rglob("*")) if p.is_file())


PRINTER = "Не печатает принтер"


def test_a_press_mints_one_short_one_time_link_sent_only_behind_a_url_button(make_daemon, emu, tg) -> None:
    # The emulator's defaults are the reported ones: expire_after in minutes, {"login_link": url, "user_id", ...}.
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, PRINTER)
    card = open_card(tg, user, issue_id)
    assert f"p:{issue_id}".encode() in callback_data(card)
    # Showing the card mints nothing: the link exists only once it is asked for.
    assert url_buttons(card.reply_markup) == [] and emu.login_links == []
    query = tg.press_button(user, card.id, f"p:{issue_id}".encode())
    (sent,) = wait_text(tg, user, LINK_TEXT)
    assert (answer_to(tg, query).message, answer_to(tg, query).alert) == (WAIT, False)
    (link,) = emu.login_links
    assert link.user == ("contact", contact_id) and link.one_time
    assert link.expire_after == 5  # minutes, as Okdesk reads it
    assert abs(link.expires_at - link.created_at - 300) < 1, "the link must be short-lived"
    assert url_buttons(sent.reply_markup) == [("🌐 Войти в портал", link.url)]
    token = link.url.rsplit("/", 1)[1]
    assert link.url not in sent.text and token not in sent.text
    assert "(действует 5 мин., один раз)" in sent.text
    # Nothing opened it on the way (no preview): the client's tap is the first and only use.
    assert not link.used and link.opened == 0
    daemon.wait_event("portal_link_sent", tg_user_id=user.id, issue_id=issue_id)
    assert minted(emu) == 1
    # Neither the log nor anything the daemon keeps holds the link.
    assert token not in daemon.log_path.read_text(encoding="utf-8")
    assert token.encode() not in state_bytes(daemon.state_dir)
    # Each press is a fresh link; the first one is not kept to be handed out again.
    tg.press_button(user, card.id, f"p:{issue_id}".encode())
    wait_text(tg, user, LINK_TEXT, count=2)
    assert len({item.token for item in emu.login_links}) == 2 and minted(emu) == 2
    daemon.stop()
    text, stored = daemon.log_path.read_text(encoding="utf-8"), state_bytes(daemon.state_dir)
    for item in emu.login_links:
        assert item.token not in text and item.token.encode() not in stored


@pytest.mark.parametrize("key", ["url", "link"])
def test_the_other_answer_shapes_give_the_same_button(make_daemon, emu, tg, key) -> None:
    emu.options.login_link_response_key = key
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, PRINTER)
    card = open_card(tg, user, issue_id)
    tg.press_button(user, card.id, f"p:{issue_id}".encode())
    (sent,) = wait_text(tg, user, LINK_TEXT)
    (link,) = emu.login_links
    assert url_buttons(sent.reply_markup) == [("🌐 Войти в портал", link.url)]
    assert not daemon.find("portal_link_failed")


def test_another_clients_forged_press_is_refused_and_nothing_is_minted(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    alice_issue = emu.add_issue("Счёт Алисы", contact_id=alice_contact)
    bob_issue = emu.add_issue("Заявка Бориса", contact_id=bob_contact)
    wait_baseline(daemon, alice_issue)
    wait_baseline(daemon, bob_issue)
    bob_card = open_card(tg, bob, bob_issue)
    forged = tg.press_button(bob, bob_card.id, f"p:{alice_issue}".encode(), check=False)
    # Answered as any portal press is (a forged press must not learn which issues are followed), then
    # refused in words that name nothing of the issue.
    assert answer_to(tg, forged).message == WAIT
    assert result_of(tg, bob, forged, NOT_YOURS) == NOT_YOURS
    daemon.wait_event("callback_refused_not_owner", tg_user_id=bob.id, issue_id=alice_issue)
    assert emu.login_links == [] and minted(emu) == 0
    assert not [m for m in tg.sent_to(bob) if LINK_TEXT in (m.text or "")]


def test_okdesk_refusing_or_failing_is_told_and_no_link_is_sent(make_daemon, emu, tg) -> None:
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, PRINTER)
    card = open_card(tg, user, issue_id)
    emu.options.denied_rights = {"login_links.create"}  # a key whose role may not make login links
    # Answered at once (minting waits for Okdesk); what Okdesk said follows as a message.
    refused = tg.press_button(user, card.id, f"p:{issue_id}".encode())
    assert answer_to(tg, refused).message == WAIT
    assert result_of(tg, user, refused, UNAVAILABLE)
    emu.options.denied_rights = frozenset()
    emu.add_fault(Fault(kind="status", status=503, path=r"/login_link", method="POST", times=None))
    failed = tg.press_button(user, card.id, f"p:{issue_id}".encode())
    assert result_of(tg, user, failed, UNAVAILABLE)
    # (the log line is read from the daemon's output, which may trail what Telegram got)
    eventually(lambda: len(daemon.find("portal_link_failed")) == 2, what="both failures logged")
    assert emu.login_links == []
    assert not [m for m in tg.sent_to(user) if LINK_TEXT in (m.text or "")]


def test_switched_off_there_is_no_button_and_a_forged_press_mints_nothing(make_daemon, emu, tg) -> None:
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, PRINTER, okdesk={"portal_links": False})
    card = open_card(tg, user, issue_id)
    assert not [d for d in callback_data(card) if d.startswith(b"p:")]
    assert callback_data(card) == [f"c:{issue_id}".encode(), f"r:{issue_id}".encode(), b"l:0"]
    answer = press(tg, user, card.id, f"p:{issue_id}".encode())
    assert answer.alert and answer.message == NOT_YOURS
    daemon.wait_event("callback_refused_portal_off", tg_user_id=user.id)
    assert emu.login_links == [] and minted(emu) == 0
    # Help does not speak of a button that is not there.
    tg.send_text(user, "/help")
    (shown,) = wait_text(tg, user, "Что умеет этот бот")
    assert "портал" not in shown.text
