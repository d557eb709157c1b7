"""Exactly once into Okdesk: each client message (or album) becomes one comment or one issue.

Lost answers, SIGKILL at every window of the way (before the message is recorded, while an album
settles, during the upload, after Okdesk created the comment), catch-up after downtime and
Telegram handing over what was handled before: always one comment or issue, never zero, never two.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import Daemon
from tests.e2e.helpers import (
    client_with_issue,
    db_rows,
    eventually,
    link_client,
    sha,
    texts_to,
    wait_text,
)
from tests.okdesk_emulator import Fault
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e

ADDED = "Комментарий добавлен"
COMMENT_POST = r"/issues/\d+/comments$"


@dataclass
class Client:
    daemon: Daemon
    user: Any
    contact_id: int
    issue_id: int
    anchor: int  # a bot message about the issue: a reply to it is a comment


def start_commenting(make_daemon: Any, emu: Any, tg: Any, employee: int, **overrides: Any) -> Client:
    """A linked client with an issue, and a staff question about it in their chat to reply to."""
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не работает сканер", **overrides)
    emu.add_comment(issue_id, "<p>Пришлите, пожалуйста, подробности</p>", author=("employee", employee))
    (anchor,) = wait_text(tg, user, "подробности")
    return Client(daemon, user, contact_id, issue_id, anchor.id)


def count(tg: Any, user: Any, needle: str) -> int:
    return sum(needle in t for t in texts_to(tg, user))


def mine(emu: Any, c: Client) -> list[dict[str, Any]]:
    return emu.comments_by(c.issue_id, author=("contact", c.contact_id))


def posts(emu: Any, path: str = COMMENT_POST) -> int:
    return emu.count_requests(path, "POST")


# ---------------------------------------------------------------- lost answers


@pytest.mark.parametrize("rewrite", [False, True], ids=["html-kept", "html-rewritten"])
def test_comment_created_but_its_answer_lost_is_found_not_posted_again(make_daemon, emu, tg, employee,
                                                                       rewrite) -> None:
    emu.options.rewrite_comment_html = rewrite
    c = start_commenting(make_daemon, emu, tg, employee, okdesk={"timeout": 1})
    fault = emu.add_fault(Fault(kind="after_effect_timeout", path=COMMENT_POST, method="POST", times=1, delay=2))
    text = 'Сканер пишет "ошибка 0x5"\nи  не  сканирует <A4> & A3'
    tg.send_text(c.user, text, reply_to=c.anchor)
    found = c.daemon.wait_event("inbound_lost_answer_found", timeout=10)
    wait_text(tg, c.user, ADDED)
    (comment,) = mine(emu, c)
    assert found["found_id"] == comment["id"] and fault.hits == 1
    if rewrite:  # Okdesk stored other HTML than was sent: the search compares words, not bytes
        assert comment["content"].startswith("<p>") and "&quot;" in comment["content"]
    eventually(lambda: posts(emu) == 1, what="the lost POST logged by the emulator")
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 1 and posts(emu) == 1  # the comment was never POSTed again
    assert count(tg, c.user, ADDED) == 1
    assert count(tg, c.user, "0x5") == 0  # nor echoed back as a staff comment


def test_files_given_up_after_a_lost_answer_are_searched_for_first(make_daemon, emu, tg, employee) -> None:
    """The window for files has passed (0 s) when a POST's answer is lost: the next try still looks for
    the comment that POST carried (with its files) before giving the files up and posting again."""
    c = start_commenting(make_daemon, emu, tg, employee, okdesk={"timeout": 1},
                         sync={"file_retry_window": 0, "max_file_mb": 0.05})
    fault = emu.add_fault(Fault(kind="after_effect_timeout", path=COMMENT_POST, method="POST", times=1, delay=2))
    tg.send_album(c.user, [dict(kind="document", data=b"x" * 80_000, file_name="too-big.bin", caption="два файла",
                                reply_to=c.anchor),
                           dict(kind="document", data=b"small", file_name="small.txt")])
    c.daemon.wait_event("inbound_lost_answer_found", timeout=10)
    wait_text(tg, c.user, ADDED)
    c.daemon.wait_cycles(3)
    (comment,) = mine(emu, c)
    assert [a["attachment_file_name"] for a in comment["attachments"]] == ["small.txt"]
    eventually(lambda: posts(emu) == 1, what="the lost POST logged by the emulator")  # logged when it ends
    assert fault.hits == 1 and posts(emu) == 1
    assert not c.daemon.find("inbound_files_given_up")


def test_issue_created_but_its_answer_lost_is_found_not_created_again(make_daemon, emu, tg) -> None:
    emu.options.api_key_role = "administrator"  # the first POST is the one that creates
    daemon = make_daemon(okdesk={"timeout": 1}).start()
    user, contact_id = link_client(tg, emu, daemon)
    fault = emu.add_fault(Fault(kind="after_effect_timeout", path=r"/issues/?$", method="POST", times=1, delay=2))
    tg.send_text(user, "📝 Новая заявка")
    wait_text(tg, user, "Опишите проблему")
    tg.send_text(user, "Не включается монитор в бухгалтерии")
    found = daemon.wait_event("inbound_lost_answer_found", timeout=10)
    (confirm,) = wait_text(tg, user, "✅ Заявка")
    (issue,) = emu.issues_of_contact(contact_id)
    assert found["found_id"] == issue["id"] and f"#{issue['id']}" in confirm.text and fault.hits == 1
    eventually(lambda: posts(emu, r"/issues/?$") == 1, what="the lost POST logged by the emulator")
    daemon.wait_cycles(3)
    assert len(emu.issues_of_contact(contact_id)) == 1 and posts(emu, r"/issues/?$") == 1
    assert count(tg, user, "✅ Заявка") == 1


# ---------------------------------------------------------------- SIGKILL


def test_kill_in_the_middle_of_an_album_upload(make_daemon, emu, tg, employee) -> None:
    c = start_commenting(make_daemon, emu, tg, employee)
    photos = [make_png(80, 60), make_png(90, 60)]
    video = os.urandom(6 * 1024 * 1024)  # more than the socket buffers hold: the kill cuts the body
    # Okdesk takes its time before reading the body: the upload stalls half-way, in flight.
    slow = emu.add_fault(Fault(kind="slow", path=COMMENT_POST, method="POST", times=1, delay=1))
    tg.send_album(c.user, [dict(kind="photo", data=photos[0], caption="фото и видео сбоя", reply_to=c.anchor),
                           dict(kind="photo", data=photos[1]),
                           dict(kind="video", data=video, file_name="сбой.mp4")])
    eventually(lambda: slow.hits == 1, what="the POST reached Okdesk")
    (job,) = db_rows(c.daemon, "SELECT * FROM inbound_jobs")
    assert job["state"] == "unsure"
    c.daemon.kill()
    # The cut request: Okdesk read a body that ends half-way and created nothing.
    eventually(lambda: posts(emu) == 1, what="the killed POST finished on Okdesk's side")
    (cut,) = [r for r in emu.requests if r.method == "POST"]
    assert mine(emu, c) == [] and cut.status != 200, cut

    c.daemon.start()
    c.daemon.wait_event("inbound_posted", run=2)
    (comment,) = mine(emu, c)
    assert "фото и видео сбоя" in comment["content"]
    assert sorted(a["sha256"] for a in comment["attachments"]) == sorted(sha(d) for d in (*photos, video))
    wait_text(tg, c.user, ADDED)
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 1 and count(tg, c.user, ADDED) == 1


def test_kill_after_okdesk_created_the_comment_before_the_daemon_recorded_it(make_daemon, emu, tg,
                                                                             employee) -> None:
    c = start_commenting(make_daemon, emu, tg, employee)
    emu.add_fault(Fault(kind="after_effect_timeout", path=COMMENT_POST, method="POST", times=1, delay=8))
    tg.send_text(c.user, "Ошибка повторилась в 15:40", reply_to=c.anchor)
    eventually(lambda: mine(emu, c), what="Okdesk created the comment")
    c.daemon.kill()
    (job,) = db_rows(c.daemon, "SELECT * FROM inbound_jobs")
    assert (job["state"], job["okdesk_comment_id"]) == ("unsure", None)  # the answer never arrived

    c.daemon.start()
    found = c.daemon.wait_event("inbound_lost_answer_found", run=2)
    wait_text(tg, c.user, ADDED)
    (comment,) = mine(emu, c)
    assert found["found_id"] == comment["id"]
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 1 and count(tg, c.user, ADDED) == 1
    # The only POST is the killed one (the emulator logs it once its delay ends): none was sent again.
    assert [r for r in emu.requests if r.method == "POST" and r.fault is None and "comments" in r.path] == []


# ---------------------------------------------------------------- catch-up


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_messages_sent_while_the_daemon_is_down_arrive_once_in_order(make_daemon, emu, tg, employee,
                                                                     how) -> None:
    c = start_commenting(make_daemon, emu, tg, employee)
    if how == "stop":
        c.daemon.stop()  # Telethon writes its update state (pts) at a clean stop
    else:
        c.daemon.kill()  # no state written since the start: the one the daemon saved at once must do
    photo = make_png(70, 50)
    album = [make_png(40, 30), make_png(50, 30)]
    tg.send_text(c.user, "первое: принтер снова не печатает", reply_to=c.anchor)
    tg.send_media(c.user, "photo", data=photo, caption="второе: экран", reply_to=c.anchor)
    tg.send_album(c.user, [dict(kind="photo", data=album[0], caption="третье: альбом", reply_to=c.anchor),
                           dict(kind="photo", data=album[1])])

    c.daemon.start()
    wait_text(tg, c.user, ADDED, count=3)
    first, second, third = sorted(mine(emu, c), key=lambda x: x["id"])
    assert "первое" in first["content"] and first["attachments"] == []
    assert "второе" in second["content"] and [a["sha256"] for a in second["attachments"]] == [sha(photo)]
    assert "третье" in third["content"]
    assert sorted(a["sha256"] for a in third["attachments"]) == sorted(sha(d) for d in album)
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 3 and count(tg, c.user, ADDED) == 3


@pytest.mark.parametrize("how", ["killed-before-the-state-was-saved", "old-session-restored"])
def test_messages_handed_over_again_are_not_posted_twice(make_daemon, emu, tg, employee, how) -> None:
    c = start_commenting(make_daemon, emu, tg, employee)
    session = c.daemon.state_dir / "telegram.session"
    old = None
    if how == "old-session-restored":
        c.daemon.stop()
        old = session.read_bytes()  # Telegram's update state from before the messages below
        c.daemon.start()
    ids = [tg.send_text(c.user, "раз: не работает почта", reply_to=c.anchor),
           tg.send_media(c.user, "photo", data=make_png(64, 64), caption="два: скриншот", reply_to=c.anchor)]
    eventually(lambda: len(c.daemon.find("inbound_posted", run=c.daemon.runs)) == 2, what="both posted")
    if old is None:
        c.daemon.kill()  # Telethon writes its update state at a clean stop and once a minute: not yet
    else:
        c.daemon.stop()
        session.write_bytes(old)

    c.daemon.start()
    run = c.daemon.runs
    for msg_id in ids:  # Telegram handed both over again (updates.getDifference from the stored pts)
        c.daemon.wait_event("message_seen_before", run=run, tg_message_id=msg_id)
    wait_text(tg, c.user, ADDED, count=2)
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 2 and posts(emu) == 2
    assert count(tg, c.user, ADDED) == 2
    assert not c.daemon.find("inbound_comment_queued", run=run)


def test_kill_while_an_album_settles_resumes_it_as_one_comment(make_daemon, emu, tg, employee) -> None:
    c = start_commenting(make_daemon, emu, tg, employee, sync={"album_settle": 3})
    photos = [make_png(30 + n, 30) for n in range(3)]
    ids = tg.send_album(c.user, [dict(kind="photo", data=photos[0], caption="три фото", reply_to=c.anchor),
                                 dict(kind="photo", data=photos[1]), dict(kind="photo", data=photos[2])])
    recorded = "SELECT tg_message_id, job_id FROM inbox_messages WHERE grouped_id IS NOT NULL"
    eventually(lambda: len(db_rows(c.daemon, recorded)) == 3, what="the album recorded")
    c.daemon.kill()
    # The window: every message recorded, the album still settling, no job made of it yet.
    rows = db_rows(c.daemon, recorded)
    assert sorted(r["tg_message_id"] for r in rows) == sorted(ids) and {r["job_id"] for r in rows} == {None}
    assert db_rows(c.daemon, "SELECT id FROM inbound_jobs") == []

    c.daemon.start()
    resumed = c.daemon.wait_event("inbound_resumed", run=2)
    assert resumed["messages"] == 3
    wait_text(tg, c.user, ADDED)
    (comment,) = mine(emu, c)
    assert "три фото" in comment["content"]
    assert sorted(a["sha256"] for a in comment["attachments"]) == sorted(sha(p) for p in photos)
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 1 and count(tg, c.user, ADDED) == 1


def test_issue_creation_killed_at_every_moment_makes_exactly_one_issue(make_daemon, emu, tg) -> None:
    # One POST per issue, so the faults below hit the create itself (a refused author would be
    # probed again at each start: tests/e2e/test_issue_author.py).
    emu.options.api_key_role = "administrator"
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    issue_posts = r"/issues/?$"

    def posting() -> bool:
        return slow.hits == 1 and db_rows(daemon, "SELECT state FROM inbound_jobs ORDER BY id DESC")[0]["state"] == "unsure"

    def created() -> bool:
        return len(emu.issues_of_contact(contact_id)) == len(titles)

    slow = Fault(kind="slow", path=issue_posts, method="POST", times=1, delay=1)
    lost = Fault(kind="after_effect_timeout", path=issue_posts, method="POST", times=1, delay=8)
    moments = [  # (fault, the moment to kill at)
        (None, lambda: True),  # at once: not even recorded yet, as a rule (it comes back by catch-up)
        (slow, posting),  # the POST is in flight (Okdesk completes it after the kill)
        (lost, created),  # Okdesk created the issue, its answer withheld
    ]
    titles: list[str] = []
    for n, (fault, moment) in enumerate(moments, start=1):
        tg.send_text(user, "📝 Новая заявка")
        wait_text(tg, user, "Опишите проблему", count=n)
        if fault is not None:
            emu.add_fault(fault)
        titles.append(f"Не работает касса номер {n}")
        tg.send_text(user, titles[-1])
        eventually(moment, what=f"moment {n}")
        daemon.kill()
        if fault is slow:  # deterministic: the cut-off POST is done on Okdesk's side before the restart
            eventually(lambda: any(r.fault == "slow" for r in emu.requests), what="the slow POST answered")
        daemon.start()
        wait_text(tg, user, "✅ Заявка", count=n)
        assert [i["title"] for i in emu.issues_of_contact(contact_id)] == titles
    daemon.wait_cycles(3)
    assert [i["title"] for i in emu.issues_of_contact(contact_id)] == titles
    assert count(tg, user, "✅ Заявка") == len(moments) and count(tg, user, "Такая заявка") == 0
    assert len(daemon.find("inbound_lost_answer_found")) >= 2  # the last two were searched for, not re-sent


def test_what_the_client_wrote_never_comes_back_to_them(variant, make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    tg.send_text(user, "📝 Новая заявка")
    wait_text(tg, user, "Опишите проблему")
    tg.send_media(user, "photo", data=make_png(100, 80),
                  caption="Сломался замок в серверной. Ключ не поворачивается, а за дверью сервера бухгалтерии.")
    (confirm,) = wait_text(tg, user, "✅ Заявка")
    (issue,) = emu.issues_of_contact(contact_id)
    assert issue["title"] == "Сломался замок в серверной." and len(issue["attachments"]) == 1
    tg.send_media(user, "document", data=b"%PDF-1.4 act", file_name="акт.pdf", caption="Акт осмотра",
                  reply_to=confirm.id)
    wait_text(tg, user, ADDED)
    assert len(emu.comments_by(issue["id"], author=("contact", contact_id))) == 1
    # Staff answer after both: once it reaches the client, the poller has looked at all of it.
    emu.add_comment(issue["id"], "<p>Мастер выехал</p>", author=("employee", employee))
    wait_text(tg, user, "Мастер выехал")
    daemon.wait_cycles(3)
    # The title is in the confirmation and the staff comment's header; the description never comes back.
    assert count(tg, user, "Ключ не поворачивается") == 0
    assert count(tg, user, "Акт осмотра") == 0 and count(tg, user, "Добавлены файлы") == 0
    assert count(tg, user, "📎") == 0 and [s for s in tg.sent_to(user) if s.media_kind] == []
    assert count(tg, user, "Мастер выехал") == 1


def test_a_message_waiting_for_the_clients_turn_survives_a_crash_after_telethon_saved_past_it(
        make_daemon, emu, tg, employee) -> None:
    """Telethon saves how far it has read Telegram's updates once a minute, whatever its handlers have
    done. A message read while the client's previous one still holds their turn (here: a question
    waiting for a slow Okdesk) is in the database already, and the next start takes it up."""
    c = start_commenting(make_daemon, emu, tg, employee)
    slow = emu.add_fault(Fault(kind="slow", delay=30, path=r"/issues/list", method="GET", times=1))
    tg.send_text(c.user, "Без контекста: где мой заказ?")  # asks, and the ask lists issues: slow
    eventually(lambda: slow.hits == 1, what="the question waits for Okdesk")
    waiting = tg.send_text(c.user, "А это ответ на вопрос сотрудника", reply_to=c.anchor)
    eventually(lambda: db_rows(c.daemon, "SELECT 1 FROM inbox_messages WHERE tg_message_id = ?", waiting),
               what="the waiting message recorded")
    assert not c.daemon.find("inbound_comment_queued")  # its handler is still waiting for the turn
    c.daemon.kill()
    # As if Telethon had saved its update state just before the kill: nothing is handed over again.
    with sqlite3.connect(c.daemon.state_dir / "telegram.session") as session:
        session.execute("UPDATE update_state SET pts = ? WHERE id = 0", (tg.pts,))
    emu.clear_faults()
    c.daemon.start()
    c.daemon.wait_event("inbound_resumed", run=c.daemon.runs, tg_user_id=c.user.id)
    wait_text(tg, c.user, ADDED)
    wait_text(tg, c.user, "Куда добавить это сообщение?")  # the question never sent is asked now
    assert [x["content"] for x in mine(emu, c)] == ["А это ответ на вопрос сотрудника"]
    assert not c.daemon.find("message_seen_before", run=c.daemon.runs)
