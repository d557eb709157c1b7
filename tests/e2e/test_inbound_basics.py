"""The inbound path end to end: a new issue from the menu, then a reply that becomes a comment."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import eventually, link_client, wait_text
from tests.tgserver.limits import callback_data

pytestmark = pytest.mark.e2e


def test_new_issue_then_reply_comment(make_daemon, emu, tg) -> None:
    """Also: the description holds what the client wrote and nothing about them (the predecessor
    wrote the phone and Telegram id into every issue)."""
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    tg.send_text(user, "📝 Новая заявка")
    wait_text(tg, user, "Опишите проблему")
    tg.send_text(user, "Не печатает принтер в 204 кабинете.\nСрочно!")
    (confirm,) = wait_text(tg, user, "✅ Заявка")
    issues = eventually(lambda: emu.issues_of_contact(contact_id), what="issue created")
    assert len(issues) == 1
    issue = issues[0]
    assert issue["title"] == "Не печатает принтер в 204 кабинете. Срочно!"
    assert f"#{issue['id']}" in confirm.text
    labels = [(b.text, callback_data(b)) for row in confirm.reply_markup.rows for b in row.buttons]
    assert labels == [("💬 Комментировать", f"c:{issue['id']}".encode()), ("📄 Подробнее", f"v:{issue['id']}".encode())]
    tg.press_button(user, confirm.id, f"v:{issue['id']}".encode())
    wait_text(tg, user, "\nСтатус: ")  # the card
    assert issue["description"] == "Не печатает принтер в 204 кабинете.<br>Срочно!"
    assert "9123456789" not in str(issue) and str(user.id) not in str(issue)
    tg.send_media(user, "photo", data=_png(), caption="вот фото", reply_to=confirm.id)
    wait_text(tg, user, "Комментарий добавлен")
    comments = emu.comments_by(issue["id"], author=("contact", contact_id))
    assert len(comments) == 1 and "вот фото" in comments[0]["content"]
    assert len(comments[0]["attachments"]) == 1
    daemon.wait_cycles(2)
    assert not [m for m in tg.sent_to(user) if "вот фото" in (m.text or "")]


def _png() -> bytes:
    from tests.tgserver.images import make_png

    return make_png(64, 48)
