"""Reopening on an account that wants a comment with every status change (an Okdesk account setting, §6).

The status change carries ``okdesk.reopen_comment`` as a private comment, whether or not the account
requires one; the client's own words are still their one public comment, and the client never sees
the private one.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.helpers import texts_to, wait_text
from tests.e2e.test_reopen import (
    ASK_REOPEN,
    NOT_REOPENED,
    REOPENED,
    finished_issue,
    question,
    status_posts,
    verb,
)
from tests.tgserver import TelegramTestServer

pytestmark = pytest.mark.e2e

DEFAULT_NOTE = ("Клиент Петров Иван возобновил заявку через Telegram-канал службы поддержки (бот). "
                "Причина — в его комментарии, добавленном следом.")


def reopen(tg: TelegramTestServer, user: Any, notice: Any, words: str) -> None:
    tg.send_text(user, words, reply_to=notice.id)
    asked = question(tg, user, ASK_REOPEN)
    tg.press_button(user, asked.id, verb(asked, b"ro:"))


@pytest.mark.parametrize("required", [True, False], ids=["comment-required", "comment-optional"])
def test_the_reopening_carries_a_private_note_and_the_client_comments_once(make_daemon, emu, tg,
                                                                            required) -> None:
    emu.options.status_comment_required = required
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg)
    reopen(tg, user, notice, "Сканер снова не работает")
    wait_text(tg, user, f"Заявка #{issue_id} {REOPENED}")
    assert emu.get_issue(issue_id)["status"]["code"] == "opened" and status_posts(emu, issue_id) == 1
    (note,) = emu.comments_by(issue_id, author=("employee", emu.api_employee_id))
    assert (note["content"], note["public"]) == (DEFAULT_NOTE, False)
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert comment["public"] is True and "Сканер снова не работает" in comment["content"]
    order = [r.path for r in emu.requests if r.method == "POST" and str(issue_id) in r.path]
    assert [re.sub(r".*/", "", p.rstrip("/")) for p in order] == ["statuses", "comments"]
    daemon.wait_cycles(3)
    assert not any(DEFAULT_NOTE in t for t in texts_to(tg, user))  # private: never shown to the client
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1 and status_posts(emu, issue_id) == 1


def test_the_note_is_a_setting(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(
        make_daemon, emu, tg, okdesk={"reopen_comment": "Возобновлено клиентом <из бота>"})
    reopen(tg, user, notice, "Проблема вернулась")
    wait_text(tg, user, f"Заявка #{issue_id} {REOPENED}")
    (note,) = emu.comments_by(issue_id, author=("employee", emu.api_employee_id))
    assert note["content"] == "Возобновлено клиентом &lt;из бота&gt;" and note["public"] is False


def test_without_a_note_an_account_that_wants_one_refuses_and_the_words_still_go(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, notice = finished_issue(make_daemon, emu, tg, okdesk={"reopen_comment": ""})
    reopen(tg, user, notice, "Опять сломалось")
    wait_text(tg, user, f"Заявку #{issue_id} {NOT_REOPENED}")
    assert emu.get_issue(issue_id)["status"]["code"] == "completed"
    assert status_posts(emu, issue_id) == 1  # refused once (no comment), not asked again
    assert len(emu.comments_by(issue_id, author=("contact", contact_id))) == 1
    assert emu.comments_by(issue_id, author=("employee", emu.api_employee_id)) == []
    refused = daemon.wait_event("issue_not_reopened", issue_id=issue_id)
    assert "comment" in refused["error"]
