"""Files Okdesk will not take (or that are over our own limit) never cost the client their words.

The comment goes without them, its text names each file left out and why, the client is told
which files failed and why, and there is still exactly one comment.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.e2e.helpers import eventually, sha, start_with_issue, texts_to, wait_text
from tests.e2e.inbound_steps import ADDED, CREATED, names, new_issue_mode, open_card
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

NOT_ALL = "⚠️ Не все файлы удалось прикрепить к заявке #"
COMMENTS = r"^/api/v1/issues/\d+/comments/?$"


def blob(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def start(make_daemon: Any, emu: Any, tg: Any, **overrides: Any) -> tuple[Any, Any, int, int, Any]:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Не открывается файл", **overrides)
    card = open_card(tg, user, issue_id)
    return daemon, user, issue_id, emu.get_issue(issue_id)["contact"]["id"], card


def the_comment(emu: Any, daemon: Any, issue_id: int, contact_id: int) -> dict[str, Any]:
    """The one comment by the client, after a few more cycles showed no second one."""
    daemon.wait_cycles(2)
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    return comment


def test_request_too_large_comment_goes_without_the_file(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg)
    emu.options.max_request_bytes = 200 * 1024
    name = "Выгрузка базы.zip"
    tg.send_media(user, "document", data=blob(1024 * 1024), file_name=name, caption="Архив с ошибкой",
                  reply_to=card.id)
    (told,) = wait_text(tg, user, f"{NOT_ALL}{issue_id}")
    assert f"• {name} — система поддержки не принимает такие большие файлы" in told.text
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert not comment["attachments"]
    assert comment["content"].startswith("Архив с ошибкой")
    assert f"[Файл «{name}» не прикреплён: система поддержки не принимает такие большие файлы]" in comment["content"]
    assert emu.count_requests(COMMENTS, "POST", 413) == 1 and emu.count_requests(COMMENTS, "POST", 200) == 1
    assert daemon.find("inbound_posted", issue_id=issue_id, files=0, dropped=1)
    assert texts_to(tg, user).count(told.text) == 1


@pytest.mark.parametrize("limit", ["size", "extension"])
def test_attachments_refused_by_okdesk_drop_only_the_files_it_names(make_daemon, emu, tg, limit) -> None:
    """Okdesk's 422 refuses the whole request and names the file: that one stays behind, explained in
    both texts, and the album's fine file goes with the comment on the next try."""
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg)
    if limit == "size":
        emu.options.max_attachment_bytes = 100 * 1024
        bad, why = ("Видео с камеры.bin", blob(300 * 1024)), "Размер файла «Видео с камеры.bin» превышает"
        plain = "система поддержки не принимает такие большие файлы"
    else:
        emu.options.forbidden_attachment_extensions = ("exe",)
        bad, why = ("setup.exe", blob(20 * 1024)), "Недопустимый тип файла «setup.exe»"
        plain = "система поддержки не принимает файлы этого типа"
    good = ("Описание.txt", "всё остальное в порядке".encode())
    tg.send_album(user, [dict(kind="document", data=bad[1], file_name=bad[0], caption="Смотрите вложения",
                              reply_to=card.id),
                         dict(kind="document", data=good[1], file_name=good[0])])
    (told,) = wait_text(tg, user, f"{NOT_ALL}{issue_id}")
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert [a["attachment_file_name"] for a in comment["attachments"]] == [good[0]]
    assert "Смотрите вложения" in comment["content"]
    # Okdesk's reason in plain words; its own words (``why``) only in the log.
    assert f"• {bad[0]} — {plain}" in told.text and good[0] not in told.text and why not in told.text
    assert f"[Файл «{bad[0]}» не прикреплён: {plain}]" in comment["content"] and why not in comment["content"]
    assert f"«{good[0]}» не прикреплён" not in comment["content"]
    assert emu.count_requests(COMMENTS, "POST", 422) == 1 and emu.count_requests(COMMENTS, "POST", 200) == 1
    (refused,) = daemon.find("inbound_files_refused", files=1, of=2)
    assert why in refused["error"]


def test_okdesk_down_for_files_longer_than_the_window_comment_goes_without_them(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg, sync={"file_retry_window": 2})
    fault = emu.add_fault(Fault(kind="status", status=503, path=r"/comments", method="POST", times=None))
    name = "Фото платы.jpg"
    tg.send_media(user, "document", data=blob(50 * 1024), file_name=name, caption="Плата сгорела",
                  reply_to=card.id)
    daemon.wait_event("inbound_files_given_up", timeout=15)
    assert fault.hits >= 2
    assert not emu.comments_by(issue_id, author=("contact", contact_id))
    emu.clear_faults()
    (told,) = wait_text(tg, user, f"{NOT_ALL}{issue_id}")
    assert f"• {name} — система поддержки не принимала файлы 1 мин." in told.text
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert not comment["attachments"]
    assert comment["content"].startswith("Плата сгорела")
    assert f"[Файл «{name}» не прикреплён: система поддержки не принимала файлы 1 мин.]" in comment["content"]
    assert sum(ADDED in t for t in texts_to(tg, user)) == 1


def test_okdesk_down_without_files_retries_and_posts_once(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg, sync={"file_retry_window": 1})
    fault = emu.add_fault(Fault(kind="status", status=503, path=r"/comments", method="POST", times=None))
    tg.send_text(user, "Жду ответа по заявке", reply_to=card.id)
    # Beyond the file window: with no files there is nothing to give up, only to retry.
    eventually(lambda: fault.hits >= 4, what="several tries against a 503")
    assert not daemon.find("inbound_files_given_up")
    emu.clear_faults()
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert comment["content"] == "Жду ответа по заявке"
    assert not [t for t in texts_to(tg, user) if NOT_ALL in t]
    assert sum(ADDED in t for t in texts_to(tg, user)) == 1
    assert emu.count_requests(COMMENTS, "POST", 200) == 1


def test_file_over_max_file_mb_is_refused_before_any_upload(make_daemon, emu, tg) -> None:
    daemon, user, issue_id, contact_id, card = start(make_daemon, emu, tg, sync={"max_file_mb": 0.5})
    # A tripwire: any request carrying the big file would be answered 413 and show in the log.
    emu.options.max_request_bytes = 700 * 1024
    big, small = ("Полный лог.txt", blob(1024 * 1024, 1)), ("Кратко.txt", "коротко о главном".encode())
    downloads_before = len(tg.rpc_calls("GetFile"))
    tg.send_album(user, [dict(kind="document", data=big[1], file_name=big[0], caption="Логи за неделю",
                              reply_to=card.id),
                         dict(kind="document", data=small[1], file_name=small[0])])
    (told,) = wait_text(tg, user, f"{NOT_ALL}{issue_id}")
    assert f"• {big[0]} — файл больше 512 КБ" in told.text and small[0] not in told.text
    wait_text(tg, user, f"{ADDED} #{issue_id}")
    comment = the_comment(emu, daemon, issue_id, contact_id)
    assert names(comment["attachments"]) == [small[0]]
    assert comment["attachments"][0]["sha256"] == sha(small[1])
    assert f"[Файл «{big[0]}» не прикреплён: файл больше 512 КБ]" in comment["content"]
    assert "Логи за неделю" in comment["content"]
    assert emu.count_requests(COMMENTS, "POST") == emu.count_requests(COMMENTS, "POST", 200) == 1
    assert emu.count_requests(status=413) == 0
    # Not even fetched from Telegram: the size Telegram told was enough (one small file downloaded).
    assert len(tg.rpc_calls("GetFile")) - downloads_before == 1


def test_new_issue_with_a_file_okdesk_refuses_is_created_without_it(make_daemon, emu, tg) -> None:
    daemon, user, _, contact_id, _ = start(make_daemon, emu, tg)
    emu.options.max_request_bytes = 200 * 1024
    new_issue_mode(tg, user)
    name = "Видео проблемы.mov"
    tg.send_media(user, "document", data=blob(600 * 1024, 2), file_name=name, caption="Касса зависает при оплате")
    (created,) = wait_text(tg, user, CREATED)
    (told,) = wait_text(tg, user, NOT_ALL)
    daemon.wait_cycles(2)
    _, issue = emu.issues_of_contact(contact_id)
    assert f"#{issue['id']}" in created.text and f"{NOT_ALL}{issue['id']}" in told.text
    assert issue["title"] == "Касса зависает при оплате" and not issue["attachments"]
    assert f"[Файл «{name}» не прикреплён: система поддержки не принимает такие большие файлы]" in issue["description"]
    assert emu.count_requests(r"^/api/v1/issues/*$", "POST", 200) == 1
