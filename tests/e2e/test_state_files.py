"""The state directory holds the bot's Telegram session and clients' phone numbers: it is 0700 and
every file under it 0600 — what was there before the daemon, what it makes at start, and what comes
and goes while it works (SQLite's -wal/-shm, files on their way through tmp/)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.e2e.helpers import eventually, link_client, wait_baseline, wait_text
from tests.e2e.inbound_steps import ADDED, comment_mode
from tests.okdesk_emulator import Fault, Upload

pytestmark = pytest.mark.e2e


def not_private(state: Path) -> list[str]:
    """Everything under ``state`` (itself included) that is not a 0700 directory or a 0600 file."""
    found = []
    for path in [state, *state.rglob("*")]:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:  # SQLite's -journal comes and goes
            continue
        if mode != (0o700 if path.is_dir() else 0o600):
            found.append(f"{path.relative_to(state)}: {mode:04o}")
    return found


def files_in(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


@pytest.mark.fresh_database  # the database the daemon makes itself, private from its first byte
def test_the_state_directory_and_everything_in_it_stay_private(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon()
    state = daemon.state_dir
    # As a sysadmin may have left it: made by hand with a 0022 umask, a note and an old backup inside.
    (state / "old").mkdir(parents=True)
    (state / "notes.txt").write_text("left here by hand")
    (state / "old" / "backup.sqlite3").write_bytes(b"old data")
    tg.write_session(state / "telegram.session")
    for path in (state, state / "old"):
        os.chmod(path, 0o755)
    for path in (state / "notes.txt", state / "old" / "backup.sqlite3", state / "telegram.session"):
        os.chmod(path, 0o644)

    daemon.start()
    assert not_private(state) == []
    user, contact_id = link_client(tg, emu, daemon)
    issue_id = emu.add_issue("Права на файлы", contact_id=contact_id)
    wait_baseline(daemon, issue_id)
    assert {"syncd.sqlite3", "syncd.sqlite3-wal", "syncd.sqlite3-shm", "syncd.lock"} <= {p.name for p in state.iterdir()}

    # Okdesk -> Telegram: the staff file sits in tmp/ while Telegram holds the send.
    hold = tg.hold(method="SendMedia")
    emu.add_comment(issue_id, "<p>акт во вложении</p>", author=("employee", employee),
                    attachments=[Upload("акт.pdf", data=b"%PDF-1.4 staff " * 4000)])
    assert hold.reached.wait(15)
    assert files_in(state / "tmp"), "the staff file is not in tmp/ while it is sent"
    assert not_private(state) == []
    hold.release()
    tg.wait_for(lambda: any(m.file_name == "акт.pdf" for m in tg.sent_to(user)))

    # Telegram -> Okdesk: the client's file sits in tmp/ while Okdesk is slow to answer its POST.
    emu.add_fault(Fault(kind="slow", delay=2, path=r"/comments$", method="POST", times=1))
    comment_mode(tg, user, issue_id)
    tg.send_media(user, "document", data=b"scan " * 20000, file_name="скан.pdf", mime_type="application/pdf",
                  caption="скан договора")
    eventually(lambda: files_in(state / "tmp"), what="the client's file in tmp/")
    assert not_private(state) == []
    wait_text(tg, user, ADDED, timeout=20)
    assert not_private(state) == []
    assert daemon.stop() == 0
    assert not_private(state) == []
