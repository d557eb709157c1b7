"""More of a client's messages through the daemon in the test process: media of every kind, words for a
location and someone else's contact, a new issue with a photo, the same request twice, and the question
asked while Okdesk cannot list the client's issues."""

from __future__ import annotations

from tests.e2e.helpers import eventually, link_client, press, sha, start_with_issue, wait_text
from tests.e2e.inbound_steps import ADDED, CREATED, callback_data, new_issue_mode, open_card
from tests.e2e.test_inbound_media import KINDS, own_comments
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer, make_png
from tests.unit.daemon_harness import MakeDaemon

OFFER = "У вас нет открытых заявок. Создать заявку из этого сообщения?"


def test_media_of_each_kind_and_words_for_a_location_and_a_contact_are_comments(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Не работает сканер")
    contact_id = emu.get_issue(issue_id)["contact"]["id"]
    card = open_card(tg, user, issue_id)
    kinds = ["voice", "video", "sticker", "audio"]
    for n, kind in enumerate(kinds, start=1):
        tg.send_media(user, kind, reply_to=card.id, **KINDS[kind][0])
        wait_text(tg, user, f"{ADDED} #{issue_id}", count=n)
    tg.send_media(user, "location", lat=55.751244, long=37.618423, reply_to=card.id)
    other = tg.add_user(first_name="Мария", last_name="Сидорова", phone="79990001122")
    tg.send_media(user, "contact", phone="79990001122", first_name="Мария", last_name="Сидорова",
                  user_id=other.id)
    # A contact carries no reply: it is asked about like any message, and goes where the client says.
    (ask,) = wait_text(tg, user, "Куда добавить это сообщение?")
    press(tg, user, ask.id, next(d for d in callback_data(ask) if d.startswith(b"a:")))
    comments = own_comments(emu, issue_id, contact_id, count=len(kinds) + 2)
    for comment, kind in zip(comments, kinds):
        assert [a["sha256"] for a in comment["attachments"]] == [sha(KINDS[kind][0]["data"])], kind
    assert "55.751244, 37.618423" in comments[-2]["content"]
    assert "Мария Сидорова" in comments[-1]["content"]
    assert daemon.errors() == []


def test_a_photo_in_new_issue_mode_is_an_issue_with_the_file(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    new_issue_mode(tg, user)
    photo = make_png(90, 70)
    tg.send_media(user, "photo", data=photo, caption="Разбит экран ноутбука")
    wait_text(tg, user, CREATED)
    (issue,) = eventually(lambda: emu.issues_of_contact(contact_id), what="the issue")
    assert issue["title"] == "Разбит экран ноутбука"
    assert [a["sha256"] for a in emu.get_issue(issue["id"])["attachments"]] == [sha(photo)]


def test_the_same_request_twice_makes_one_issue(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    tg.send_text(user, "Не работает Wi-Fi на третьем этаже")
    offer = wait_text(tg, user, OFFER)[-1]
    create, cancel = callback_data(offer)
    assert cancel.startswith(b"xj:")
    press(tg, user, offer.id, create)
    wait_text(tg, user, CREATED)
    # Again, now that it is open: asked where to, and "a new issue" finds the twin.
    tg.send_text(user, "Не работает Wi-Fi на третьем этаже")
    (asked,) = wait_text(tg, user, "Куда добавить это сообщение?")
    press(tg, user, asked.id, callback_data(asked)[-2])  # the last is "cancel"
    (issue,) = eventually(lambda: emu.issues_of_contact(contact_id), what="the issue")
    wait_text(tg, user, f"Такая заявка уже создана: #{issue['id']}.")
    assert len(emu.issues_of_contact(contact_id)) == 1
    daemon.wait_event("inbound_duplicate_issue")


def test_the_question_is_asked_even_when_okdesk_cannot_list_the_clients_issues(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Сканер")
    emu.add_fault(Fault(kind="status", status=503, path=r"/issues/list", times=None))
    tg.send_text(user, "Куда это пойдёт?")
    (asked,) = wait_text(tg, user, "Куда добавить это сообщение?")
    daemon.wait_event("open_issues_unavailable")
    emu.clear_faults()
    new, _cancel = callback_data(asked)
    press(tg, user, asked.id, new)
    wait_text(tg, user, CREATED)
    assert len(emu.issue_ids()) == 2
