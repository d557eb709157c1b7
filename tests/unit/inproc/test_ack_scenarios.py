"""A client's message Okdesk does not take at once, through the daemon in the test process: acknowledged
once, as a reply, after sync.ack_after (never when it goes in time); given up or refused, told as a reply
in plain words, with the support contact, never an HTTP status or Okdesk's own words."""

from __future__ import annotations

import re
import time

from tests.e2e.helpers import texts_to, wait_text
from tests.e2e.inbound_steps import ADDED, button_texts, callback_data, new_issue_mode
from tests.e2e.test_inbound_degrade import COMMENTS, start, the_comment
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon

ACK = ("Мы получили ваше сообщение и передадим его в службу поддержки автоматически, как только система "
       "поддержки снова его примет. Отправлять его ещё раз не нужно.")
SUPPORT = "+7 495 000-00-00"
GAVE_UP = ("Нам не удалось передать это сообщение в службу поддержки: система поддержки долго не отвечала. "
           "Пожалуйста, отправьте его ещё раз позже или свяжитесь со службой поддержки другим способом: "
           f"{SUPPORT}.")
NOT_ACCEPTED = "Система поддержки не приняла это сообщение"
ACK_AFTER = 0.5
FAST_ACK = {"ack_after": ACK_AFTER}
ASK = "Куда добавить это сообщение?"


def _acks(tg: TelegramTestServer, user: object) -> list[object]:
    return [m for m in tg.sent_to(user) if m.text == ACK]


def test_a_message_okdesk_fails_longer_than_ack_after_is_acknowledged_once_as_a_reply_then_goes(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg,
                                                     sync={**FAST_ACK, "retry_base": 4.0, "retry_cap": 4.0})
    # Okdesk failing the client's posts: the job waits in a backoff (2 to 4 s) longer than ack_after, and
    # is acknowledged while it waits, not at its next try.
    emu.add_fault(Fault(kind="status", status=503, path=COMMENTS, method="POST", times=None))
    sent = tg.send_text(user, "Принтер снова не печатает", reply_to=card.id)
    (ack,) = wait_text(tg, user, ACK)
    assert ack.reply_to_msg_id == sent
    assert len(daemon.find("inbound_retry")) == 1  # one try so far: the ack came in its backoff
    time.sleep(1.5)  # three more ack_after: still one
    assert len(_acks(tg, user)) == 1
    emu.clear_faults()
    (added,) = wait_text(tg, user, f"{ADDED} #{issue_id}", timeout=30)
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert comment["content"].startswith("Принтер снова не печатает")
    assert len(_acks(tg, user)) == 1 and texts_to(tg, user).index(ACK) < texts_to(tg, user).index(added.text)
    # A reply to the ack is about the same issue: it is a comment there, with no question.
    tg.send_text(user, "И сканер тоже", reply_to=ack.id)
    wait_text(tg, user, f"{ADDED} #{issue_id}", count=2)


def test_retries_of_one_message_never_tell_the_client_they_send_too_many(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    # A client's share of 3 messages a minute is one at once: were retries counted, the second try
    # would wait for the client's rate and the client would hear "you are sending many messages".
    daemon, user, issue_id, contact_id, card = start(
        make_daemon, emu, tg, sync={"client_messages_per_minute": 3, "retry_base": 0.1, "retry_cap": 0.2})
    emu.add_fault(Fault(kind="status", status=503, path=COMMENTS, method="POST", times=3))
    tg.send_text(user, "Принтер снова не печатает", reply_to=card.id)
    wait_text(tg, user, f"{ADDED} #{issue_id}", timeout=30)
    assert len(daemon.find("inbound_retry")) == 3
    assert not daemon.find("inbound_client_throttled")
    assert not [text for text in texts_to(tg, user) if "много сообщений подряд" in text]


def test_the_time_a_question_waits_for_the_client_does_not_count(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, _, _ = start(make_daemon, emu, tg, sync={**FAST_ACK, "retry_base": 4.0, "retry_cap": 4.0})
    sent = tg.send_text(user, "Ещё одно: не работает сканер")  # no context: the client is asked where
    (ask,) = wait_text(tg, user, ASK)
    time.sleep(1.5)  # the question waits three ack_after: no ack, it is the client's turn
    assert not _acks(tg, user)
    emu.add_fault(Fault(kind="status", status=503, path=COMMENTS, method="POST", times=None))
    label = next(label for label in button_texts(ask) if f"#{issue_id}" in label)
    tg.press_button(user, ask.id, callback_data(ask)[button_texts(ask).index(label)])
    (ack,) = wait_text(tg, user, ACK)
    assert ack.reply_to_msg_id == sent
    # Counted from the answer (the job queued then), not from the message's arrival.
    assert ACK_AFTER <= daemon.find("inbound_ack_queued")[0]["waited"] < 1.5
    emu.clear_faults()
    wait_text(tg, user, f"{ADDED} #{issue_id}", timeout=30)
    assert len(_acks(tg, user)) == 1


def test_a_message_posted_within_ack_after_is_not_acknowledged(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg, sync={"ack_after": 1.0})
    # A slow but working Okdesk: one failure, then the post goes well within ack_after.
    emu.add_fault(Fault(kind="status", status=503, path=COMMENTS, method="POST", times=1))
    tg.send_text(user, "Спасибо, всё работает", reply_to=card.id)
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    time.sleep(1.5)
    assert not _acks(tg, user) and not daemon.find("inbound_ack_queued")
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1


def test_a_job_whose_budget_is_spent_is_told_as_a_reply_with_the_support_contact(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, _, card = start(
        make_daemon, emu, tg, telegram={"support_contact": SUPPORT},
        sync={"ack_after": 0.3, "retry_base": 0.1, "retry_cap": 0.2, "retry_budget": 1.0,
              "client_messages_per_minute": 1000})
    # Only this client's comments fail, each answer lost after a while in which the polls go well: the
    # failures are the job's own and spend its budget.
    emu.add_fault(Fault(kind="timeout", delay=0.5, path=COMMENTS, method="POST", times=None))
    sent = tg.send_text(user, "Срочно нужен пропуск", reply_to=card.id)
    (told,) = wait_text(tg, user, GAVE_UP, timeout=30)
    assert told.text == GAVE_UP and told.reply_to_msg_id == sent
    (ack,) = _acks(tg, user)
    assert ack.reply_to_msg_id == sent and texts_to(tg, user).index(ACK) < texts_to(tg, user).index(GAVE_UP)
    assert "Мы продолжаем попытки" not in " ".join(texts_to(tg, user))
    daemon.wait_cycles(2)
    assert texts_to(tg, user).count(GAVE_UP) == 1
    assert daemon.find("inbound_retry", parked=True)


def test_a_refused_message_reads_as_plain_words_without_a_status_or_okdesk_words(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, _, _, _ = start(make_daemon, emu, tg, telegram={"support_contact": SUPPORT})
    emu.add_fault(Fault(kind="status", status=422, path=r"/api/v1/issues/?$", method="POST", times=None,
                        body={"errors": {"base": ["Договор клиента закрыт"]}}))
    new_issue_mode(tg, user)
    sent = tg.send_text(user, "Не работает почта")
    (told,) = wait_text(tg, user, NOT_ACCEPTED)
    # A new issue: a closed contract is no "request closed to comments"; no reason the client can act on.
    assert told.text == (f"{NOT_ACCEPTED}. Пожалуйста, измените его и "
                         f"отправьте ещё раз или свяжитесь со службой поддержки другим способом: {SUPPORT}.")
    assert told.reply_to_msg_id == sent
    assert not re.search(r"HTTP|\d{3}|[{}\[\]']|Договор", told.text.replace(SUPPORT, ""))
    # Okdesk's own words stay in the log.
    assert "Договор клиента закрыт" in daemon.wait_event("inbound_failed")["error"]
    assert len(emu.issue_ids()) == 1


def test_a_file_okdesk_refuses_is_explained_in_plain_words(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg)
    emu.options.forbidden_attachment_extensions = ("exe",)
    tg.send_media(user, "document", data=b"MZ" * 100, file_name="setup.exe", caption="Установщик",
                  reply_to=card.id)
    (told,) = wait_text(tg, user, f"заявке #{issue_id}:\n• setup.exe")
    assert told.text.endswith("• setup.exe — система поддержки не принимает файлы этого типа")
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert "[Файл «setup.exe» не прикреплён: система поддержки не принимает файлы этого типа]" in comment["content"]


def test_an_ack_to_a_message_the_client_deleted_reaches_them_once_as_a_plain_message(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    assert tg.options.reply_to_deleted == "error"  # Telegram refuses the reply: REPLY_MESSAGE_ID_INVALID
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg,
                                                     sync={"ack_after": 2.0, "retry_base": 4.0, "retry_cap": 4.0})
    emu.add_fault(Fault(kind="status", status=503, path=COMMENTS, method="POST", times=None))
    sent = tg.send_text(user, "Сканер не сканирует", reply_to=card.id)
    daemon.wait_event("inbound_retry")
    tg.delete_message(user, sent)  # before the ack, which would reply to it
    (ack,) = wait_text(tg, user, ACK)
    assert ack.reply_to_msg_id is None
    assert daemon.find("reply_target_refused_sent_plain")
    emu.clear_faults()
    wait_text(tg, user, f"{ADDED} #{issue_id}", timeout=30)
    assert the_comment(emu, daemon, issue_id, contact_id)["content"].startswith("Сканер не сканирует")
    daemon.wait_cycles(2)
    assert len(_acks(tg, user)) == 1
    assert daemon.errors() == []
