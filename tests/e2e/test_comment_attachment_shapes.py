"""A comment's files as Okdesk lists them: the shape is undocumented (okdesk-api.md §3.1, open question 7).

After a lost answer the daemon looks for its own comment before posting again, recognising it by its
files and words. Listed as bare ids (no names, no sizes), the files count by their number and the words
decide: the comment is found, never posted twice, whatever the shape.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import eventually, sha, wait_text
from tests.e2e.test_inbound_exactly_once import (
    ADDED,
    COMMENT_POST,
    count,
    mine,
    posts,
    start_commenting,
)
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

SHAPES = ["full", "minimal"]


def names(emu: Any, comment: dict[str, Any]) -> list[str]:
    """The files' names as Okdesk keeps them (the single-attachment view has them in every shape)."""
    return [emu.get_attachment(a["id"])["attachment_file_name"] for a in comment["attachments"]]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("caption", ["Акт и счёт во вложении", ""], ids=["with-words", "files-only"])
def test_a_comment_with_files_whose_answer_was_lost_is_found_whatever_their_shape(
        make_daemon, emu, tg, employee, shape, caption) -> None:
    emu.options.comment_attachment_shape = shape
    c = start_commenting(make_daemon, emu, tg, employee, okdesk={"timeout": 1})
    fault = emu.add_fault(Fault(kind="after_effect_timeout", path=COMMENT_POST, method="POST", times=1, delay=2))
    files = [b"%PDF-1.4 act", b"%PDF-1.4 invoice"]
    tg.send_album(c.user, [dict(kind="document", data=files[0], file_name="акт.pdf", caption=caption,
                                reply_to=c.anchor),
                           dict(kind="document", data=files[1], file_name="счёт.pdf")])
    found = c.daemon.wait_event("inbound_lost_answer_found", timeout=10)
    wait_text(tg, c.user, ADDED)
    (comment,) = mine(emu, c)
    assert found["found_id"] == comment["id"] and fault.hits == 1
    assert sorted(names(emu, comment)) == ["акт.pdf", "счёт.pdf"]
    assert sorted(a["sha256"] for a in comment["attachments"]) == sorted(sha(f) for f in files)
    eventually(lambda: posts(emu) == 1, what="the lost POST logged by the emulator")
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 1 and posts(emu) == 1 and count(tg, c.user, ADDED) == 1


def test_another_comment_with_as_many_files_is_not_taken_for_ours(make_daemon, emu, tg, employee) -> None:
    """Bare ids only: an earlier comment of the client's with two files and other words is not the one
    the lost POST made; nothing was made, so the comment is posted (once)."""
    emu.options.comment_attachment_shape = "minimal"
    c = start_commenting(make_daemon, emu, tg, employee, okdesk={"timeout": 1})
    tg.send_album(c.user, [dict(kind="document", data=b"one", file_name="1.txt", caption="Первые два файла",
                                reply_to=c.anchor),
                           dict(kind="document", data=b"two", file_name="2.txt")])
    wait_text(tg, c.user, ADDED)
    # The next POST never reaches Okdesk's write (dropped at once), its outcome unknown to the daemon.
    emu.add_fault(Fault(kind="timeout", path=COMMENT_POST, method="POST", times=1, delay=2))
    tg.send_album(c.user, [dict(kind="document", data=b"three", file_name="3.txt", caption="Вторые два файла",
                                reply_to=c.anchor),
                           dict(kind="document", data=b"four", file_name="4.txt")])
    wait_text(tg, c.user, ADDED, count=2)
    first, second = sorted(mine(emu, c), key=lambda x: x["id"])
    assert "Первые" in first["content"] and "Вторые" in second["content"]
    assert names(emu, second) == ["3.txt", "4.txt"]
    eventually(lambda: len(c.daemon.find("inbound_posted")) >= 2, what="both posts logged")  # after any search
    assert not c.daemon.find("inbound_lost_answer_found")
    c.daemon.wait_cycles(3)
    assert len(mine(emu, c)) == 2


@pytest.mark.parametrize(("shape", "in_issue_list"), [("full", True), ("minimal", True), ("minimal", False)],
                         ids=["full", "minimal", "minimal-not-in-issue-list"])
def test_a_private_file_of_a_public_comment_never_reaches_the_client_whatever_the_shape(
        make_daemon, emu, tg, employee, shape, in_issue_list) -> None:
    """Listed as bare ids, a comment's files do not say which are private, nor (when the issue's own
    list of files leaves out its comments') their names; the attachment's own answer, asked for every
    download, does."""
    from tests.e2e.helpers import start_with_issue, texts_to
    from tests.okdesk_emulator import Upload

    emu.options.comment_attachment_shape = shape
    emu.options.comment_files_in_issue_attachments = in_issue_list
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Файлы для клиента и для своих")
    emu.add_comment(issue_id, "<p>отчёт во вложении</p>", author=("employee", employee),
                    attachments=[Upload("отчёт.pdf", data=b"%PDF-1.4 public"),
                                 Upload("внутреннее.txt", data=b"for staff only", is_public=False)])
    wait_text(tg, user, "отчёт во вложении")
    daemon.wait_event("delivered", timeout=15)
    daemon.wait_cycles(2)
    files = [s for s in tg.sent_to(user) if s.media_kind]
    assert [s.sha256 for s in files] == [sha(b"%PDF-1.4 public")]
    assert [s.file_name for s in files] == ["отчёт.pdf"]
    assert not any("внутреннее" in t for t in texts_to(tg, user))
