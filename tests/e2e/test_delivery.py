"""Staff comments and status changes reach the linked client in Telegram, once, and nothing else does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from telethon.tl import types

from tests.e2e.helpers import (
    client_with_issue,
    link_client,
    link_two_clients,
    stored_random_ids,
    texts_to,
    wait_baseline,
    wait_text,
)
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

def test_public_staff_comment_arrives_once_with_header_author_and_formatting(variant, make_daemon, emu, tg,
                                                                              employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер")
    emu.add_comment(issue_id, '<div style="height: auto;"><div><p>Здравствуйте!</p><p>Замените <b>картридж</b>'
                              '&nbsp;&laquo;HP&raquo;<br>и перезагрузите.</p><ul><li>раз</li><li>два</li></ul>'
                              '<a href="https://kb.example.ru/x">инструкция</a></div></div>',
                    author=("employee", employee))
    (msg,) = wait_text(tg, user, "картридж")
    assert msg.text.startswith(f"Заявка #{issue_id} «Не печатает принтер»\nИванов Сергей:")
    assert "Здравствуйте!\n\nЗамените картридж" in msg.text and "«HP»\nи перезагрузите." in msg.text
    assert "• раз\n• два" in msg.text and "<" not in msg.text
    assert any(isinstance(e, types.MessageEntityBold) for e in msg.entities or [])
    assert any(isinstance(e, types.MessageEntityTextUrl) and e.url == "https://kb.example.ru/x"
               for e in msg.entities or [])
    # The random_id Telegram received is the one the daemon stored before sending.
    assert msg.random_id in stored_random_ids(daemon)
    # Nothing arrives twice, however many more polls and reconcile sweeps run.
    daemon.wait_event("reconcile_period")
    daemon.wait_cycles(5)
    assert len([t for t in texts_to(tg, user) if "картридж" in t]) == 1


def test_no_history_flood_then_every_new_thing_arrives(make_daemon, emu, tg, employee) -> None:
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    old_issue = emu.add_issue("Старая заявка", contact_id=contact_id, status="in_progress")
    emu.add_comment(old_issue, "<p>старый ответ</p>", author=("employee", employee))
    daemon = make_daemon().start()
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    wait_baseline(daemon, old_issue)
    emu.add_comment(old_issue, "<p>новый ответ</p>", author=("employee", employee))
    wait_text(tg, user, "новый ответ")
    assert not any("старый ответ" in t for t in texts_to(tg, user))
    assert not any("→" in t for t in texts_to(tg, user))  # the current status is not news


def test_never_forwarded_private_own_and_clients_own_comments_but_colleagues_are(make_daemon, emu, tg,
                                                                                 employee) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    colleague = emu.add_contact("Коллега", "Клиента", phone="+79990000000")
    issue_id = emu.add_issue("Доступ к 1С", contact_id=contact_id)
    wait_baseline(daemon, issue_id)
    emu.add_comment(issue_id, "<p>внутренняя заметка</p>", public=False, author=("employee", employee))
    emu.add_comment(issue_id, "<p>пишу с почты сам</p>", author=("contact", contact_id))
    emu.add_comment(issue_id, "<p>от коллеги</p>", author=("contact", colleague))
    emu.add_comment(issue_id, "<p>финальный ответ</p>", author=("employee", employee))
    wait_text(tg, user, "финальный ответ")
    wait_text(tg, user, "от коллеги")
    texts = texts_to(tg, user)
    assert not any("внутренняя" in t or "пишу с почты" in t for t in texts)


def test_status_change_is_announced_with_names_from_okdesk_once(variant, make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Сломался сканер")
    emu.set_status(issue_id, "in_progress", author=("employee", employee))
    wait_text(tg, user, f"#{issue_id} «Сломался сканер»: Открыта → В работе")
    # The comment written with a status change arrives too (the predecessor lost it).
    emu.set_status(issue_id, "completed", comment_html="<p>Заменили ролик</p>", author=("employee", employee))
    done = f"🏁 Заявка #{issue_id} «Сломался сканер»: решена."
    wait_text(tg, user, done)
    wait_text(tg, user, "Заменили ролик")
    # A restart must not announce the same change again.
    assert daemon.stop() == 0
    daemon.start()
    daemon.wait_cycles(5)
    assert len([t for t in texts_to(tg, user) if done in t]) == 1


def test_issue_created_by_staff_for_the_client_is_followed(variant, make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    issue_id = emu.add_issue("Плановая замена ИБП", contact_id=contact_id)
    emu.add_comment(issue_id, "<p>Приедем в четверг</p>", author=("employee", employee))
    (msg,) = wait_text(tg, user, "Приедем в четверг")
    assert f"#{issue_id}" in msg.text
    assert daemon.find("issue_followed", issue_id=issue_id)


def test_a_long_comment_is_split_without_losing_a_character(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Лог ошибки")
    lines = [f"строка {n:04d} журнала: всё ещё не работает" for n in range(300)]
    emu.add_comment(issue_id, "<p>" + "<br>".join(lines) + "</p>", author=("employee", employee))
    wait_text(tg, user, "строка 0299")
    parts = [m.text for m in tg.sent_to(user) if "строка" in (m.text or "")]
    assert len(parts) >= 3 and all(len(p) <= 4096 for p in parts)
    joined = "".join(parts)
    assert all(line in joined for line in lines)


def test_two_clients_of_one_issue_each_get_it_the_other_issue_nobody(make_daemon, emu, tg, employee) -> None:
    daemon = make_daemon().start()
    (alice, alice_contact), (bob, bob_contact) = link_two_clients(tg, emu, daemon)
    stranger = emu.add_contact("Нет", "Телеграма", phone="+79163330000")
    ours = emu.add_issue("Алисина заявка", contact_id=alice_contact)
    theirs = emu.add_issue("Чужая заявка", contact_id=stranger)
    wait_baseline(daemon, ours)
    emu.add_comment(theirs, "<p>не для Алисы</p>", author=("employee", employee))
    emu.add_comment(ours, "<p>для Алисы</p>", author=("employee", employee))
    wait_text(tg, alice, "для Алисы")
    assert not any("не для Алисы" in t for t in texts_to(tg, alice) + texts_to(tg, bob))
    assert bob_contact != alice_contact


def test_a_comment_whose_answer_carries_no_public_flag_is_not_dropped(make_daemon, emu, tg, employee) -> None:
    """The predecessor dropped comments without the flag; a reply never reached the client."""
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Без флага")
    emu.add_comment(issue_id, "<p>ответ без флага</p>", public=None, author=("employee", employee))
    assert "public" not in emu.get_comments(issue_id)[-1]
    wait_text(tg, user, "ответ без флага")


def test_an_old_issue_handed_to_the_client_brings_the_hand_over_note_not_its_history(variant, make_daemon, emu, tg,
                                                                                     employee) -> None:
    # A short overlap, so "history" can be a few seconds old here.
    daemon = make_daemon(sync={"poll_overlap": 1}).start()
    user, contact_id = link_client(tg, emu, daemon)
    colleague = emu.add_contact("Прежний", "Заявитель", phone="+79990001111")
    issue_id = emu.add_issue("Переданная заявка", contact_id=colleague)
    emu.add_comment(issue_id, "<p>давняя переписка</p>", author=("employee", employee))
    emu.backdate_issue(issue_id, datetime.now(timezone.utc) - timedelta(days=30))
    daemon.wait_cycles(8)  # the old comment is now older than the overlap
    emu.add_comment(issue_id, "<p>передаю заявку вам</p>", author=("employee", employee))
    emu.set_contact(issue_id, contact_id)
    wait_text(tg, user, "передаю заявку вам", timeout=20)
    emu.add_comment(issue_id, "<p>уже после передачи</p>", author=("employee", employee))
    wait_text(tg, user, "уже после передачи", timeout=20)
    assert not any("давняя переписка" in t for t in texts_to(tg, user))


@pytest.mark.parametrize("okdesk_clock", [-300, 300], ids=["okdesk-behind", "okdesk-ahead"])
def test_okdesk_clock_far_from_ours_loses_nothing_and_floods_nothing(okdesk_clock, make_daemon, emu, tg,
                                                                      employee) -> None:
    """What counts as history is judged on Okdesk's clock (its Date header), not on ours."""
    # History is written five (Okdesk) seconds before the clock settles: the Date header is whole
    # seconds, so history younger than that is within the estimate's noise.
    emu.options.clock_offset = okdesk_clock - 5
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    issue_id = emu.add_issue("Часы", contact_id=contact_id)
    emu.add_comment(issue_id, "<p>до подключения</p>", author=("employee", employee))
    emu.options.clock_offset = okdesk_clock
    daemon = make_daemon().start()
    # The first look at the issue is held back until after a comment written after the link.
    emu.add_fault(Fault(kind="status", status=503, path=rf"/issues/{issue_id}/comments", times=None))
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    emu.add_comment(issue_id, "<p>после подключения</p>", author=("employee", employee))
    emu.clear_faults()
    wait_baseline(daemon, issue_id, timeout=40)
    wait_text(tg, user, "после подключения", timeout=40)
    # And status changes are seen by the poll itself, not only by the reconcile sweep.
    emu.set_status(issue_id, "in_progress", author=("employee", employee))
    wait_text(tg, user, "→ В работе", timeout=40)
    assert not any("до подключения" in t for t in texts_to(tg, user))
