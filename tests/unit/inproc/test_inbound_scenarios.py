"""A client's messages becoming Okdesk issues and comments, through the daemon in the test process:
linked by phone, a text from the menu an issue, a photo in reply a comment with its file, an album one
comment with every file, and the "where should this go" question answered by a button."""

from __future__ import annotations

from tests.e2e import helpers as e2e
from tests.e2e.inbound_steps import (
    ADDED,
    CREATED,
    callback_data,
    comment_mode,
    new_issue_mode,
)
from tests.e2e.test_inbound_media import own_comments
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer, make_png
from tests.unit.daemon_harness import MakeDaemon


def test_a_text_from_the_menu_is_an_issue_and_a_photo_in_reply_a_comment_with_it(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon().start()
    user, contact_id = e2e.link_client(tg, emu, daemon)
    new_issue_mode(tg, user)
    tg.send_text(user, "Не печатает принтер в 204 кабинете.\nСрочно!")
    (confirm,) = e2e.wait_text(tg, user, CREATED)
    (issue,) = e2e.eventually(lambda: emu.issues_of_contact(contact_id), what="the issue")
    assert issue["title"] == "Не печатает принтер в 204 кабинете. Срочно!"
    assert f"#{issue['id']}" in confirm.text
    assert callback_data(confirm) == [f"c:{issue['id']}".encode(), f"v:{issue['id']}".encode()]
    photo = make_png(64, 48)
    tg.send_media(user, "photo", data=photo, caption="вот фото", reply_to=confirm.id)
    e2e.wait_text(tg, user, f"{ADDED} #{issue['id']}")
    (comment,) = own_comments(emu, issue["id"], contact_id)
    assert "вот фото" in comment["content"]
    assert [a["sha256"] for a in comment["attachments"]] == [e2e.sha(photo)]
    assert daemon.errors() == []


def test_an_album_in_comment_mode_is_one_comment_with_every_file(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = e2e.client_with_issue(make_daemon, emu, tg, "Сломался сканер")
    comment_mode(tg, user, issue_id)
    docs = [("Акт.xlsx", b"PK\x03\x04" + bytes(3000)), ("Счёт.pdf", b"%PDF-1.4" + bytes(2000))]
    tg.send_album(user, [dict(kind="document", data=d, file_name=n, caption="Два файла" if not i else "")
                         for i, (n, d) in enumerate(docs)])
    e2e.wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert "Два файла" in comment["content"]
    assert [a["attachment_file_name"] for a in comment["attachments"]] == [n for n, _ in docs]
    assert [a["sha256"] for a in comment["attachments"]] == [e2e.sha(d) for _, d in docs]
    assert daemon.find("inbound_posted", files=2, issue_id=issue_id)


def test_a_message_with_open_issues_is_asked_about_and_the_choice_is_carried_out(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, contact_id, issue_id = e2e.client_with_issue(make_daemon, emu, tg, "Нет интернета")
    tg.send_text(user, "Всё ещё нет интернета")
    (asked,) = e2e.wait_text(tg, user, "Куда добавить это сообщение?")
    data = callback_data(asked)
    assert any(d.endswith(str(issue_id).encode()) for d in data), data
    choice = next(d for d in data if d.endswith(str(issue_id).encode()))
    e2e.press(tg, user, asked.id, choice)
    e2e.wait_text(tg, user, f"{ADDED} #{issue_id}")
    (comment,) = own_comments(emu, issue_id, contact_id)
    assert "Всё ещё нет интернета" in comment["content"]
    # A second message is asked about again, and "a new issue" makes one.
    tg.send_text(user, "И ещё не работает телефон")
    asked = e2e.wait_text(tg, user, "Куда добавить это сообщение?", count=2)[-1]
    new = next(d for d in callback_data(asked) if not d.endswith(str(issue_id).encode()))
    e2e.press(tg, user, asked.id, new)
    e2e.wait_text(tg, user, CREATED)
    assert e2e.eventually(lambda: len(emu.issues_of_contact(contact_id)) == 2, what="the second issue")
    assert sum(ADDED in t for t in e2e.texts_to(tg, user)) == 1
