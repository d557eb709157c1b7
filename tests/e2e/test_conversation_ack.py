"""A client's message while Okdesk does not take it, end to end (`syncd run` as a subprocess): never
silent, never a false promise.

Okdesk down: the client is told once, as a reply to their message, that it was received and will be
passed on automatically; a SIGKILL while that very acknowledgement is in flight at Telegram, and a
restart while the outage goes on, do not make a second one; when Okdesk is back, exactly one comment
lands and is confirmed. Okdesk refusing a message: the client reads, as a reply, plain words and what
to do, never an HTTP status or Okdesk's own words (those stay in the log).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.e2e.helpers import texts_to, wait_text
from tests.e2e.inbound_steps import ADDED
from tests.e2e.test_inbound_degrade import COMMENTS, start, the_comment
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

ACK = ("Мы получили ваше сообщение и передадим его в службу поддержки автоматически, как только система "
       "поддержки снова его примет. Отправлять его ещё раз не нужно.")
SUPPORT = "@helpdesk_example"
ACK_AFTER = 1.0


def _acks(tg: Any, user: Any) -> list[Any]:
    return [m for m in tg.sent_to(user) if m.text == ACK]


def test_an_outage_is_acknowledged_once_as_a_reply_across_a_kill_and_the_comment_lands_once(
        make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg, sync={"ack_after": ACK_AFTER})
    emu.add_fault(Fault(kind="status", status=503, times=None))  # Okdesk down for everyone
    # The acknowledgement's first send stays in flight at Telegram, and the daemon is killed right then:
    # recorded, sent, its outcome never heard.
    stall = tg.stall("SendMessage", where=lambda request: request.message == ACK)
    sent = tg.send_text(user, "Принтер снова не печатает", reply_to=card.id)
    queued = daemon.wait_event("inbound_ack_queued")
    assert queued["waited"] >= ACK_AFTER
    assert stall.reached.wait(15)
    daemon.kill()
    stall.release()  # Telegram carries that send out: the client has it
    (ack,) = wait_text(tg, user, ACK)
    assert ack.reply_to_msg_id == sent  # a reply to the message it is about
    daemon.start()
    # The restart sends the item again under the same random_id: Telegram answers with the message it
    # has, and the job, marked with its item, is not acknowledged again however long the outage lasts.
    daemon.wait_event("delivered", run=2, what="confirmation")
    time.sleep(3 * ACK_AFTER)
    assert len(_acks(tg, user)) == 1 and not daemon.find("inbound_ack_queued", run=2)
    # A second SIGKILL, the acknowledgement long delivered: still one.
    daemon.kill()
    daemon.start()
    daemon.wait_event("inbound_retry", run=3)
    time.sleep(2 * ACK_AFTER)
    assert len(_acks(tg, user)) == 1 and not daemon.find("inbound_ack_queued", run=3)
    assert not emu.comments_by(issue_id, author=("contact", contact_id))
    emu.clear_faults()  # Okdesk is back
    (added,) = wait_text(tg, user, f"{ADDED} #{issue_id}", timeout=30)
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert comment["content"].startswith("Принтер снова не печатает")
    told = texts_to(tg, user)
    assert told.count(ACK) == 1 and told.index(ACK) < told.index(added.text)


def test_a_refused_message_reads_as_plain_words_with_what_to_do(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, card = start(
        make_daemon, emu, tg, sync={"ack_after": ACK_AFTER}, telegram={"support_contact": SUPPORT})
    emu.add_fault(Fault(kind="status", status=422, path=COMMENTS, method="POST", times=1,
                        body={"errors": {"base": ["Заявка закрыта, добавление комментариев запрещено"]}}))
    sent = tg.send_text(user, "Можно ещё вопрос по счёту?", reply_to=card.id)
    (told,) = wait_text(tg, user, "Система поддержки не приняла")
    assert told.text == ("Система поддержки не приняла это сообщение: заявка закрыта для новых комментариев. "
                         "Пожалуйста, измените его и отправьте ещё раз или свяжитесь со службой поддержки "
                         f"другим способом: {SUPPORT}.")
    assert told.reply_to_msg_id == sent
    assert not re.search(r"HTTP|422|[{}\[\]]|запрещено", told.text)
    assert "запрещено" in daemon.wait_event("inbound_failed")["error"]  # Okdesk's words: the log only
    # Refused at once: no acknowledgement, no comment, and nothing more after a while.
    time.sleep(2 * ACK_AFTER)
    assert not _acks(tg, user) and not emu.comments_by(issue_id, author=("contact", contact_id))
    assert texts_to(tg, user).count(told.text) == 1
    # A file Okdesk will not take: the words go, the file named with a plain reason, to client and staff.
    emu.options.forbidden_attachment_extensions = ("exe",)
    tg.send_media(user, "document", data=b"MZ" * 512, file_name="setup.exe", caption="Вот установщик",
                  reply_to=card.id)
    (files,) = wait_text(tg, user, f"⚠️ Не все файлы удалось прикрепить к заявке #{issue_id}")
    assert files.text == (f"⚠️ Не все файлы удалось прикрепить к заявке #{issue_id}:\n"
                          "• setup.exe — система поддержки не принимает файлы этого типа")
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert comment["content"] == ("Вот установщик<br>[Файл «setup.exe» не прикреплён: система поддержки не "
                                  "принимает файлы этого типа]")
