"""The Okdesk contract (syncd/okdesk/port.py) for issues, comments, files, statuses, ratings and
refusals: every test runs on MemoryOkdesk and on OkdeskClient + the emulator (conftest.py ``side``).
Faults: test_okdesk_contract_faults.py; contacts, companies and portal links:
test_okdesk_contract_people.py."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from syncd.okdesk.errors import (
    OkdeskForbidden,
    OkdeskNotFound,
    OkdeskPrivateFile,
    OkdeskTooLarge,
    OkdeskUnavailable,
    OkdeskValidationError,
)
from syncd.okdesk.models import UploadFile
from syncd.relay.ownership import owned_issue, visible_issues
from tests.contract.okdesk.conftest import Side, staff_issue
from tests.okdesk_emulator import Upload

BLANK = ["не может быть пустым"]


def test_the_account_clock_and_zone(side: Side) -> None:
    assert abs(side.okd.okdesk_now() - datetime.now(timezone.utc)) < timedelta(seconds=5)
    side.okd.list_statuses()
    assert side.okd.account_tz.utcoffset(None) == timedelta(hours=3)
    assert side.okd.request_outcomes()["ok"] >= 1
    side.okd.close()


def test_okdesk_clock_runs_off_ours(side: Side) -> None:
    """The client learns Okdesk's clock from its Date header (after one answer); the fake's is set."""
    side.shift_clock(-600)
    issue = side.seed.add_issue("x")
    side.okd.list_statuses()
    behind = datetime.now(timezone.utc) - timedelta(minutes=10)
    assert abs(side.okd.okdesk_now() - behind) < timedelta(seconds=5)
    created = side.okd.get_issue(issue).created_at
    assert created is not None and abs(created - behind) < timedelta(seconds=5)


def test_one_issue_as_the_client_reads_it(side: Side) -> None:
    contact, company, issue_id = staff_issue(side)
    issue = side.okd.get_issue(issue_id)
    assert (issue.id, issue.title, issue.status_code, issue.status_name) == (
        issue_id, "Не печатает принтер", "opened", "Открыта")
    assert (issue.contact_id, issue.company_id, issue.old_status_code, issue.rate) == (contact, company, None, None)
    assert issue.comments_count == 2 and issue.comments_last_at is not None
    assert issue.created_at is not None and issue.created_at.utcoffset() == timedelta(hours=3)
    # The comment's file is listed with the issue's (comment_files_in_issue_attachments), full shape.
    [file] = issue.attachments
    assert (file.file_name, file.size, file.is_public, file.name_known) == ("act.pdf", 60, True, True)
    side.options.comment_files_in_issue_attachments = False
    assert side.okd.get_issue(issue_id).attachments == ()


def test_an_unknown_issue_is_not_found(side: Side) -> None:
    with pytest.raises(OkdeskNotFound) as caught:
        side.okd.get_issue(999)
    assert caught.value.status == 404
    with pytest.raises(OkdeskNotFound):
        side.okd.list_comments(999)


def test_comments_in_order_with_their_flags_and_minimal_files(side: Side) -> None:
    _, _, issue_id = staff_issue(side)
    side.seed.add_comment(issue_id, "<p>без флага</p>", public=None)
    first, note, flagless = side.okd.list_comments(issue_id)
    assert (first.content_html, first.public, note.public, flagless.public) == ("<p>Выезжаем</p>", True, False, True)
    assert (first.author_id, first.author_type, first.author_name) == (
        side.seed.default_employee_id, "employee", "Иванов Сергей Петрович")
    assert first.id < note.id < flagless.id
    # By default a comment's files are bare ids (assumed): the name is unknown, not "file".
    [file] = first.attachments
    assert (file.name_known, file.size) == (False, None)
    assert file.id == side.okd.get_issue(issue_id).attachments[0].id
    side.options.comment_attachment_shape = "full"
    [file] = side.okd.list_comments(issue_id)[0].attachments
    assert (file.file_name, file.size, file.name_known) == ("act.pdf", 60, True)


def test_a_client_comment_with_a_file(side: Side, tmp_path: Path) -> None:
    contact, _, issue_id = staff_issue(side)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8" + b"x" * 98)
    created = side.okd.create_comment(issue_id, content_html="Фото<br>вот", author_id=contact, author_type="contact",
                                      public=True, files=[UploadFile(photo, "photo.jpg", "image/jpeg")])
    assert (created.author_id, created.author_type, created.public, created.content_html) == (
        contact, "contact", True, "Фото<br>вот")
    assert len(created.attachments) == 1
    assert side.okd.list_comments(issue_id)[-1].id == created.id
    names = {(a.file_name, a.size) for a in side.okd.get_issue(issue_id).attachments}
    assert ("photo.jpg", 100) in names


def test_a_private_note_by_an_employee(side: Side) -> None:
    _, _, issue_id = staff_issue(side)
    note = side.okd.create_comment(issue_id, content_html="<p>заметка</p>", author_id=side.seed.api_employee_id,
                                   public=False)
    assert (note.public, note.author_type, note.author_id) == (False, "employee", side.seed.api_employee_id)


def test_comment_refusals(side: Side) -> None:
    contact, _, issue_id = staff_issue(side)
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_comment(issue_id, content_html="", author_id=contact, author_type="contact", public=True)
    assert (caught.value.status, caught.value.errors) == (422, {"content": BLANK})
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_comment(issue_id, content_html="x", author_id=9999, author_type="contact", public=True)
    assert caught.value.errors == {"author_id": ["не найден"]}
    with pytest.raises(OkdeskNotFound):
        side.okd.create_comment(999, content_html="x", author_id=contact, author_type="contact", public=True)
    assert side.okd.get_issue(issue_id).comments_count == 2


def test_a_new_issue(side: Side, tmp_path: Path) -> None:
    company = side.seed.add_company("ООО Ромашка")
    entity = side.seed.add_maintenance_entity(company, "Офис")
    contact = side.seed.add_contact("Иван", "Петров", company_id=company)
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"p" * 42)
    issue = side.okd.create_issue(title="Сломалось", description_html="<p>всё</p>", contact_id=contact,
                                  maintenance_entity_id=entity, files=[UploadFile(scan, "scan.png", is_public=False)])
    assert (issue.title, issue.description, issue.status_code, issue.contact_id) == (
        "Сломалось", "<p>всё</p>", "opened", contact)
    assert (issue.company_id, issue.maintenance_entity_id) == (company, entity)  # the company from the contact
    [file] = issue.attachments
    assert (file.file_name, file.size, file.is_public) == ("scan.png", 42, False)
    assert [i.id for i in side.okd.list_issues(contact_ids=[contact])] == [issue.id]


def test_issue_refusals(side: Side) -> None:
    other = side.seed.add_company("Чужая")
    foreign_entity = side.seed.add_maintenance_entity(other, "Склад")
    contact = side.seed.add_contact("Иван", "Петров", company_id=side.seed.add_company("Своя"))
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_issue(title=" ", contact_id=contact, maintenance_entity_id=foreign_entity)
    assert caught.value.errors == {"title": BLANK, "maintenance_entity_id": ["не принадлежит компании"]}
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_issue(title="x", contact_id=9999)
    assert caught.value.errors == {"contact_id": ["не найден"]}
    assert side.okd.list_issues() == []


@pytest.mark.parametrize("refusal, error, status", [
    ("403", OkdeskForbidden, 403), ("403_author", OkdeskForbidden, 403), ("422", OkdeskValidationError, 422),
    ("422_unnamed", OkdeskValidationError, 422),
])
def test_the_issue_author_is_refused_to_an_ordinary_key(side: Side, refusal: str, error: type, status: int) -> None:
    contact = side.seed.add_contact("Иван", "Петров")
    side.options.issue_author_refusal = refusal
    with pytest.raises(error) as caught:
        side.okd.create_issue(title="x", contact_id=contact, author=(contact, "contact"))
    assert caught.value.status == status
    assert side.okd.list_issues() == []


def test_the_issue_author_as_an_administrator_sees_it(side: Side) -> None:
    contact = side.seed.add_contact("Иван", "Петров")
    side.options.issue_author_refusal = "ignore"
    assert side.okd.create_issue(title="x", contact_id=contact, author=(contact, "contact")).id
    side.options.api_key_role = "administrator"
    assert side.okd.create_issue(title="y", contact_id=contact, author=(contact, "contact")).id


def test_status_changes_and_their_comment(side: Side) -> None:
    _, _, issue_id = staff_issue(side)
    with pytest.raises(OkdeskValidationError) as caught:  # the account requires a comment (the default)
        side.okd.change_status(issue_id, "completed")
    assert caught.value.errors == {"comment": BLANK}
    side.okd.change_status(issue_id, "completed", comment_html="<p>готово</p>", comment_public=False)
    issue = side.okd.get_issue(issue_id)
    assert (issue.status_code, issue.old_status_code, issue.comments_count) == ("completed", "opened", 3)
    assert issue.completed_at is not None
    note = side.okd.list_comments(issue_id)[-1]
    assert (note.content_html, note.public, note.author_id) == ("<p>готово</p>", False, side.seed.api_employee_id)
    for code, words in (("completed", "Заявка уже находится в этом статусе"), ("nonsense", "не найден")):
        with pytest.raises(OkdeskValidationError) as caught:
            side.okd.change_status(issue_id, code, comment_html="x")
        assert caught.value.errors == {"code": [words]}
    side.options.forbidden_transitions = {("completed", "opened")}
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.change_status(issue_id, "opened", comment_html="x")
    assert caught.value.errors == {"code": ["Переход из статуса «Решена» в статус «Открыта» запрещён"]}
    side.options.forbidden_transitions = frozenset()
    side.options.status_comment_required = False
    side.okd.change_status(issue_id, "in_progress")
    assert side.okd.get_issue(issue_id).completed_at is None
    with pytest.raises(OkdeskNotFound):
        side.okd.change_status(999, "opened", comment_html="x")


def test_ratings(side: Side) -> None:
    _, _, issue_id = staff_issue(side)
    with pytest.raises(OkdeskValidationError):  # not completed yet
        side.okd.rate_issue(issue_id, "good")
    side.seed.set_status(issue_id, "completed")
    side.okd.rate_issue(issue_id, "good")
    assert side.okd.get_issue(issue_id).rate == "good"
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.rate_issue(issue_id, "bad")
    assert caught.value.errors == {"rate": ["уже выставлена"]}
    with pytest.raises(ValueError):
        side.okd.rate_issue(issue_id, "excellent")


def test_statuses_and_an_account_of_its_own(side: Side) -> None:
    codes = [(s.code, s.name) for s in side.okd.list_statuses()]
    assert codes[:2] == [("opened", "Открыта"), ("in_progress", "В работе")]
    assert {"delayed", "completed", "closed"} <= {c for c, _ in codes}
    side.seed.statuses.append({"code": "waiting", "name": "Ждёт клиента"})
    assert ("waiting", "Ждёт клиента") in [(s.code, s.name) for s in side.okd.list_statuses()]
    issue_id = side.seed.add_issue("x")
    side.okd.change_status(issue_id, "waiting", comment_html="ждём")
    issue = side.okd.get_issue(issue_id)
    assert (issue.status_code, issue.status_name) == ("waiting", "Ждёт клиента")


def test_html_as_okdesk_stores_it(side: Side) -> None:
    contact, _, issue_id = staff_issue(side)
    sent = 'Строка  "раз"<br>два'
    assert side.okd.create_comment(issue_id, content_html=sent, author_id=contact, author_type="contact",
                                   public=True).content_html == sent  # stored as sent (the default)
    side.options.rewrite_comment_html = True
    stored = side.okd.create_comment(issue_id, content_html=sent, author_id=contact, author_type="contact",
                                     public=True).content_html
    assert stored == "<p>Строка &quot;раз&quot;<br />два</p>"
    assert side.okd.create_issue(title="x", description_html="a<br>b").description == "<p>a<br />b</p>"


def test_issue_lists_filter_and_page(side: Side) -> None:
    contact, company, first = staff_issue(side)
    other = side.seed.add_contact("Пётр", "Сидоров")
    second = side.seed.add_issue("второе", contact_id=contact, status="completed")
    third = side.seed.add_issue("чужое", contact_id=other)
    ids = lambda issues: [i.id for i in issues]  # noqa: E731
    assert ids(side.okd.list_issues()) == [third, second, first]  # newest created first
    assert ids(side.okd.list_issues(contact_ids=[contact])) == [second, first]
    assert ids(side.okd.list_issues(company_ids=[company], status_codes=["completed"])) == [second]
    assert ids(side.okd.list_issues(page_size=2, max_pages=1)) == [third, second]
    listed = side.okd.list_issues(contact_ids=[other])[0]
    assert (listed.status_name, listed.comments_count) == ("Открыта", None)  # no comments{} in list items
    side.options.list_items_include_comments = True
    assert side.okd.list_issues(contact_ids=[contact])[-1].comments_count == 2
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.list_issues(page_size=51)
    assert caught.value.errors == {"page": {"size": ["должно быть меньше или равно 50"]}}
    side.seed.add_comment(first, "ещё")  # a comment does not move updated_at (the default)
    side.seed.set_status(third, "in_progress")
    assert ids(side.okd.recently_updated_issues(2)) == [third, second]


@pytest.mark.parametrize("mode", ["ignored", "honoured", "date_only", "utc"])
def test_issues_updated_since(side: Side, mode: str) -> None:
    """How Okdesk reads updated_since is a switch (reported clients only); what the client makes of
    each answer is the same on both sides: under "utc" (+03:00) the last three hours are hidden."""
    side.options.updated_since_filter = mode
    old = side.seed.add_issue("давнее")
    side.seed.backdate_issue(old, side.okd.okdesk_now() - timedelta(days=3))
    fresh = [side.seed.add_issue(f"новое {n}") for n in range(5)]
    since = side.okd.okdesk_now() - timedelta(hours=1)
    listed = side.okd.issues_updated_since(since, page_size=2)
    assert [i.id for i in listed.items] == ([] if mode == "utc" else fresh)  # oldest update first
    assert (listed.older.id if listed.older else None) == (old if mode == "ignored" else None)
    untrusted = side.okd.issues_updated_since(since, trust_filter=False, page_size=2)
    assert ([i.id for i in untrusted.items], untrusted.older, untrusted.pages) == (fresh, None, 3)
    everything = side.okd.issues_updated_since(None, page_size=2)
    assert ([i.id for i in everything.items], everything.pages) == ([old, *fresh], 4)  # 2+2+2, then an empty page


def test_downloads(side: Side, tmp_path: Path) -> None:
    _, _, issue_id = staff_issue(side)
    side.seed.add_comment(issue_id, "секрет", public=False, attachments=[Upload("inner.txt", data=b"s" * 10,
                                                                                 is_public=False)])
    public, private = (a.id for a in side.okd.get_issue(issue_id).attachments)
    seen = []
    size = side.okd.download_attachment(issue_id, public, tmp_path / "a", on_link=seen.append)
    assert (size, (tmp_path / "a").read_bytes(), seen[0].file_name) == (60, b"%PDF-1" * 10, "act.pdf")
    with pytest.raises(OkdeskPrivateFile):
        side.okd.download_attachment(issue_id, private, tmp_path / "b", public_only=True)
    with pytest.raises(OkdeskTooLarge):
        side.okd.download_attachment(issue_id, public, tmp_path / "c", max_bytes=59)
    other = side.seed.add_issue("другое")
    for issue, attachment in ((issue_id, 999), (other, public)):
        with pytest.raises(OkdeskNotFound):
            side.okd.download_attachment(issue, attachment, tmp_path / "d")
    assert not (tmp_path / "c").exists() and not (tmp_path / "d").exists()


def test_the_files_of_a_new_comment_as_its_answer_gives_them(side: Side, tmp_path: Path) -> None:
    contact, _, issue_id = staff_issue(side)
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"d" * 5)
    send = lambda: side.okd.create_comment(issue_id, content_html="файл", author_id=contact,  # noqa: E731
                                           author_type="contact", public=True, files=[UploadFile(doc, "doc.txt")])
    [bare] = send().attachments
    assert (bare.name_known, bare.size) == (False, None)  # minimal: the name is learnt from the issue
    side.options.comment_attachment_shape = "full"
    side.options.comment_attachment_sizes = False
    [full] = send().attachments
    assert (full.file_name, full.size, full.is_public) == ("doc.txt", None, True)


def test_a_comment_moves_updated_at_only_under_the_switch(side: Side) -> None:
    contact, _, issue_id = staff_issue(side)
    before = side.okd.get_issue(issue_id).updated_at
    side.okd.create_comment(issue_id, content_html="a", author_id=contact, author_type="contact", public=False)
    issue = side.okd.get_issue(issue_id)
    assert issue.updated_at == before and issue.comments_count == 3
    side.options.comments_bump_updated_at = True
    side.options.contact_comments_always_public = True
    created = side.okd.create_comment(issue_id, content_html="b", author_id=contact, author_type="contact",
                                      public=False)
    assert created.public is True
    assert side.okd.get_issue(issue_id).updated_at == created.published_at


def test_attachment_limits_refuse_the_whole_write(side: Side, tmp_path: Path) -> None:
    contact, _, issue_id = staff_issue(side)
    big, exe = tmp_path / "big.bin", tmp_path / "setup.exe"
    big.write_bytes(b"b" * 2048)
    exe.write_bytes(b"MZ")
    side.options.max_attachment_bytes = 1024
    side.options.forbidden_attachment_extensions = (".EXE",)
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_comment(issue_id, content_html="x", author_id=contact, author_type="contact", public=True,
                                files=[UploadFile(big, "big.bin"), UploadFile(exe, "setup.exe")])
    assert caught.value.errors == {"attachments": ["Размер файла «big.bin» превышает допустимый (1 КБ)",
                                                   "Недопустимый тип файла «setup.exe»"]}
    with pytest.raises(OkdeskValidationError):
        side.okd.create_issue(title="x", contact_id=contact, files=[UploadFile(exe, "setup.exe")])
    assert side.okd.get_issue(issue_id).comments_count == 2 and len(side.okd.list_issues()) == 1


def test_delayed_needs_a_date_this_interface_never_sends(side: Side) -> None:
    _, _, issue_id = staff_issue(side)
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.change_status(issue_id, "delayed")
    assert caught.value.errors == {"delay_to": ["отсутствует"], "comment": BLANK}


def test_rating_switches(side: Side) -> None:
    _, _, issue_id = staff_issue(side)
    side.options.rate_requires_completed = False
    side.options.rate_again = "overwrite"
    side.okd.rate_issue(issue_id, "bad")
    side.okd.rate_issue(issue_id, "normal")
    assert side.okd.get_issue(issue_id).rate == "normal"


def test_a_new_issue_takes_the_company_of_its_service_object(side: Side) -> None:
    company = side.seed.add_company("ООО Ромашка")
    entity = side.seed.add_maintenance_entity(company, "Офис")
    contact = side.seed.add_contact("Иван", "Петров")  # a private person
    issue = side.okd.create_issue(title="x", contact_id=contact, maintenance_entity_id=entity, type_code="incident",
                                  priority_code="high")
    assert (issue.company_id, issue.maintenance_entity_id) == (company, entity)
    with pytest.raises(OkdeskValidationError) as caught:
        side.okd.create_issue(title="x", type_code="nonsense", priority_code="urgent")
    assert caught.value.errors == {"type": ["не найден"], "priority": ["не найден"]}


def test_the_daemons_view_of_whose_issue_is_whose(side: Side) -> None:
    """syncd.relay.ownership over both sides: own issues, a colleague's with company-wide access,
    and what an outage leaves of them."""
    contact, company, mine = staff_issue(side)
    colleague = side.seed.add_contact("Анна", "Смирнова", company_id=company)
    theirs = side.seed.add_issue("у коллеги", contact_id=colleague)
    okd: Any = side.okd  # the callers still name OkdeskClient (they move to the Protocol later)
    assert [i.id for i in visible_issues(okd, contact, company, None)] == [mine]
    assert asyncio.run(owned_issue(okd, theirs, contact)) is None
    side.seed.update_contact(contact, access_level=["company_issues"])
    assert [i.id for i in visible_issues(okd, contact, company, None)] == [mine, theirs]
    found = asyncio.run(owned_issue(okd, theirs, contact))
    assert found is not None and found.id == theirs
    assert asyncio.run(owned_issue(okd, 999, contact)) is None
    with side.outage(503), pytest.raises(OkdeskUnavailable):
        asyncio.run(owned_issue(okd, theirs, contact))
