"""The outbox sender's cases through the daemon in the test process: a staff comment with several files
(an album; one too big is named in words and told to staff; a private one never sent), a FloodWait waited
out, an access hash Telegram refuses, and a client who deleted their account."""

from __future__ import annotations

from tests.e2e.helpers import (
    client_with_issue,
    db_rows,
    eventually,
    outbox,
    sha,
    texts_to,
    wait_text,
)
from tests.e2e.test_unreachable_clients import staff_notices
from tests.okdesk_emulator import OkdeskEmulator, Upload
from tests.tgserver import TelegramTestServer, make_png
from tests.unit.daemon_harness import MakeDaemon
from tests.unit.inproc.steps import notifying_client


def test_a_comment_with_files_is_an_album_a_too_big_file_is_named_and_a_private_one_never_sent(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Фото", sync={"max_file_mb": 0.02})
    photos = [make_png(80 + i, 60) for i in range(2)]
    emu.add_comment(issue_id, "<p>Смотрите снимки</p>", author=("employee", employee),
                    attachments=[Upload("a.png", data=photos[0]), Upload("b.png", data=photos[1]),
                                 Upload("huge.bin", data=b"x" * 40_000),
                                 Upload("secret.txt", data=b"internal", is_public=False)])
    wait_text(tg, user, "Смотрите снимки")
    album = tg.wait_for(lambda: (found := [m for m in tg.sent_to(user) if m.grouped_id]) and len(found) == 2
                        and found)
    assert sorted(m.sha256 for m in album) == sorted(sha(p) for p in photos)
    (note,) = wait_text(tg, user, "huge.bin")
    assert note.media_kind is None
    eventually(lambda: [c for c in emu.get_comments(issue_id) if not c["public"] and "huge.bin" in c["content"]],
               what="the staff notice of the file too big")
    assert not [m for m in tg.sent_to(user) if m.file_name == "secret.txt" or "secret" in (m.text or "")]


def test_a_flood_wait_is_waited_out_and_the_comment_arrives_once(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, "Лимит Telegram")
    tg.inject_flood_wait("SendMessage", seconds=1, times=1)
    emu.add_comment(issue_id, "<p>после паузы</p>", author=("employee", employee))
    assert daemon.wait_event("telegram_flood_wait")["seconds"] == 1
    wait_text(tg, user, "после паузы")
    daemon.wait_cycles(2)
    assert sum("после паузы" in t for t in texts_to(tg, user)) == 1


def test_a_refused_access_hash_is_tried_with_zero_then_the_client_is_unreachable_until_they_write(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Смена адреса")
    tg.options.zero_access_hash = False
    tg.change_access_hash(user)
    emu.add_comment(issue_id, "<p>ответ по новому адресу</p>", author=("employee", employee))
    daemon.wait_event("access_hash_refused_trying_zero")
    daemon.wait_event("client_unreachable")
    eventually(lambda: staff_notices(emu, issue_id, "не принимает сохранённый адрес"), what="a staff notice")
    tg.send_text(user, "я здесь")
    wait_text(tg, user, "ответ по новому адресу")


def test_a_deleted_account_is_parked_at_once_told_to_staff_and_forgotten(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, issue_id = notifying_client(make_daemon, emu, tg, employee, "Удалённый аккаунт")
    tg.deactivate_user(user)
    emu.add_comment(issue_id, "<p>первый ответ</p>", author=("employee", employee))
    assert daemon.wait_event("client_account_deleted")["error"]
    eventually(lambda: staff_notices(emu, issue_id, "удалил свой аккаунт Telegram"), what="a staff notice")
    items = [r for r in outbox(daemon) if r["kind"] == "telegram" and r["okdesk_issue_id"] == issue_id]
    assert items and all(r["state"] == "failed" for r in items)
    assert db_rows(daemon, "SELECT * FROM links WHERE tg_user_id = ?", user.id) == []
