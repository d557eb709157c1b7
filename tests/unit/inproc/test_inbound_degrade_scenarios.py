"""What Okdesk will not take from a client, through the daemon in the test process: files it refuses (the
words go, each file named and explained), files it keeps failing for longer than the window, a reopen its
workflow forbids (the comment still goes), and a new issue refused outright (the client is told)."""

from __future__ import annotations

from tests.e2e.helpers import wait_text
from tests.e2e.inbound_steps import ADDED, new_issue_mode
from tests.e2e.test_inbound_degrade import COMMENTS, NOT_ALL, blob, start, the_comment
from tests.e2e.test_reopen import (
    ASK_REOPEN,
    NOT_REOPENED,
    finished_issue,
    question,
    status_posts,
    verb,
)
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon


def test_a_file_okdesk_refuses_stays_behind_named_and_the_other_goes(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg)
    emu.options.forbidden_attachment_extensions = ("exe",)
    tg.send_album(user, [dict(kind="document", data=blob(2048), file_name="setup.exe", caption="Вложения",
                              reply_to=card.id),
                         dict(kind="document", data=b"ok", file_name="readme.txt")])
    (told,) = wait_text(tg, user, f"{NOT_ALL}{issue_id}")
    assert "• setup.exe — система поддержки не принимает файлы этого типа" in told.text and "readme.txt" not in told.text
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert [a["attachment_file_name"] for a in comment["attachments"]] == ["readme.txt"]
    assert "[Файл «setup.exe» не прикреплён" in comment["content"]
    assert emu.count_requests(COMMENTS, "POST", 422) == 1


def test_files_okdesk_keeps_failing_are_given_up_after_the_window(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg, sync={"file_retry_window": 0.5})
    emu.add_fault(Fault(kind="status", status=503, path=r"/comments", method="POST", times=None))
    tg.send_media(user, "document", data=blob(4096), file_name="Фото платы.jpg", caption="Плата сгорела",
                  reply_to=card.id)
    daemon.wait_event("inbound_files_given_up")
    emu.clear_faults()
    (told,) = wait_text(tg, user, f"{NOT_ALL}{issue_id}")
    assert "• Фото платы.jpg — система поддержки не принимала файлы" in told.text
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert not comment["attachments"] and comment["content"].startswith("Плата сгорела")


def test_a_reopen_okdesk_refuses_still_delivers_the_comment(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    emu.options.forbidden_transitions = {("completed", "opened")}
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    tg.send_text(user, "Проблема вернулась", reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    tg.press_button(user, asked.id, verb(asked, b"ro:"))
    wait_text(tg, user, f"Заявку #{issue_id} {NOT_REOPENED}")
    assert emu.get_issue(issue_id)["status"]["code"] == "completed" and status_posts(emu, issue_id) == 1
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert daemon.find("issue_not_reopened", issue_id=issue_id)


def test_a_new_issue_okdesk_refuses_outright_is_told_to_the_client(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, _, _, _ = start(make_daemon, emu, tg)
    emu.add_fault(Fault(kind="status", status=422, path=r"/api/v1/issues/?$", method="POST", times=None))
    new_issue_mode(tg, user)
    tg.send_text(user, "Не работает почта")
    daemon.wait_event("inbound_failed")
    (told,) = wait_text(tg, user, "Система поддержки не приняла это сообщение")
    # No status, no words of Okdesk's: the client reads what to do.
    assert told.text == ("Система поддержки не приняла это сообщение. Пожалуйста, измените его и отправьте ещё раз "
                         "или свяжитесь со службой поддержки другим способом.")
    assert len(emu.issue_ids()) == 1
