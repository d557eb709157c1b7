"""Steps the end-to-end tests share: linking a client, waiting for what Telegram received."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Daemon


def texts_to(tg: Any, user: Any) -> list[str]:
    return [m.text or "" for m in tg.sent_to(user)]


def wait_text(tg: Any, user: Any, needle: str, timeout: float = 15, count: int = 1) -> list[Any]:
    """Wait until ``count`` messages to ``user`` contain ``needle``; return them."""
    def found() -> list[Any] | None:
        hits = [m for m in tg.sent_to(user) if needle in (m.text or "")]
        return hits if len(hits) >= count else None

    result = tg.wait_for(found, timeout=timeout)
    assert result, f"no message with {needle!r} to user {user.id}; got {texts_to(tg, user)}"
    return result


def answer_to(tg: Any, query_id: int, timeout: float = 10) -> Any:
    """The bot's answer to the button press ``query_id``, as Telegram accepted it (waits for it).

    Fails if the answer came too late: Telegram refused it (QUERY_ID_INVALID) and the client saw the
    press fail, whatever the answer said."""
    def found() -> list[Any] | None:
        return [a for a in tg.callback_answers if a.query_id == query_id] or None

    answers = tg.wait_for(found, timeout=timeout)
    late = [a for a in answers if not a.accepted]
    assert not late, (f"press {query_id} was answered {late[0].delay:.1f} s after it, too late: "
                      f"Telegram refused {late[0].message!r}")
    return answers[0]


def result_of(tg: Any, user: Any, query_id: int, *texts: str, timeout: float = 15) -> str:
    """What a press came to: the first of ``texts`` found in its alert (decided at once) or, the press
    answered at once and the work done after, in a message to ``user`` sent after that answer."""
    answer = answer_to(tg, query_id)
    for text in texts:
        if text in (answer.message or ""):
            return text

    def found() -> str | None:
        return next((text for m in tg.sent_to(user) if m.at >= answer.at
                     for text in texts if text in (m.text or "")), None)

    result = tg.wait_for(found, timeout=timeout)
    assert result, f"press {query_id}: none of {texts} shown to user {user.id}; got {texts_to(tg, user)}"
    return result


def press(tg: Any, user: Any, msg_id: int, data: bytes) -> Any:
    """Press a button (whether or not the message still carries it) and return the bot's answer."""
    return answer_to(tg, tg.press_button(user, msg_id, data, check=False))


def eventually(predicate: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
    """For state that announces no event (the emulator's data): look again every 50 ms."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.05)


def link_client(tg: Any, emu: Any, daemon: Daemon, *, first: str = "Иван", last: str = "Петров",
                phone: str = "79123456789", contact_phone: str | None = "+79123456789",
                lang: str = "ru") -> tuple[Any, int]:
    """A Telegram user shares their phone and gets linked to an (existing) Okdesk contact."""
    contact_id = None
    if contact_phone is not None:
        contact_id = emu.add_contact(first, last, phone=contact_phone)
    user = tg.add_user(first_name=first, last_name=last, phone=phone, lang_code=lang)
    tg.send_text(user, "/start")
    wait_text(tg, user, "Здравствуйте" if lang == "ru" else "Hello")
    tg.send_contact(user, phone=phone, first_name=first, last_name=last, user_id=user.id)
    wait_text(tg, user, "Готово" if lang == "ru" else "Done")
    daemon.wait_event("contact_issues_followed", tg_user_id=user.id)
    return user, contact_id


def client_with_issue(make_daemon: Any, emu: Any, tg: Any, title: str,
                      **overrides: dict[str, Any]) -> tuple[Daemon, Any, int, int]:
    """A running daemon, one linked client, and one issue of theirs already followed:
    (daemon, user, contact id, issue id). The issue is older than the link, as a client's issue in
    Okdesk usually is when they first come to the bot: it is not announced as created for them (an
    issue staff create after the link is, see tests/e2e/test_conversation_outbound.py)."""
    daemon = make_daemon(**overrides).start()
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    issue_id = emu.add_issue(title, contact_id=contact_id)
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    wait_baseline(daemon, issue_id)
    return daemon, user, contact_id, issue_id


def start_with_issue(make_daemon: Any, emu: Any, tg: Any, title: str,
                     **overrides: dict[str, Any]) -> tuple[Daemon, Any, int]:
    """As client_with_issue, without the contact id."""
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, title, **overrides)
    return daemon, user, issue_id


def link_two_clients(tg: Any, emu: Any, daemon: Daemon) -> tuple[tuple[Any, int], tuple[Any, int]]:
    """Alice and Bob, each linked to a contact of their own: ((alice, contact), (bob, contact))."""
    alice = link_client(tg, emu, daemon, first="Алиса", last="Белова", phone="79161110000",
                        contact_phone="+79161110000")
    bob = link_client(tg, emu, daemon, first="Борис", last="Орлов", phone="79162220000",
                      contact_phone="+79162220000")
    return alice, bob


def wait_baseline(daemon: Daemon, issue_id: int, timeout: float = 15) -> None:
    """The issue is followed: everything Okdesk dates before that counts as seen (its first fetch
    waits until it changes)."""
    daemon.wait_event("issue_followed", timeout=timeout, issue_id=issue_id)


def db_rows(daemon: Daemon, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Rows of the daemon's database as it is on disk (read-only; the daemon may be running or dead)."""
    conn = sqlite3.connect(f"file:{daemon.state_dir / 'syncd.sqlite3'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


def outbox(daemon: Daemon) -> list[dict[str, Any]]:
    """The daemon's outbox as it is on disk (read-only; the daemon may be running or dead)."""
    rows = [dict(r) for r in db_rows(daemon, "SELECT * FROM outbox ORDER BY id")]
    for row in rows:
        row["random_ids"] = json.loads(row["random_ids"])
    return rows


def stored_random_ids(daemon: Daemon) -> set[int]:
    return {rid for row in outbox(daemon) for rid in row["random_ids"]}


def sha(data: bytes) -> str:
    """The sha256 of ``data``, as Okdesk reports an attachment's."""
    return hashlib.sha256(data).hexdigest()


def random_file(path: Path, mib: int) -> str:
    """Incompressible content, written in 1 MiB blocks (no big buffer in the test process); its sha256."""
    digest = hashlib.sha256()
    with open(path, "wb") as fh:
        for _ in range(mib):
            block = os.urandom(1024 * 1024)
            digest.update(block)
            fh.write(block)
    return digest.hexdigest()
