"""The state of :class:`~syncd.okdesk.memory.MemoryOkdesk` and the models built from it.

Each ``*_model`` method gives what ``OkdeskClient`` makes of the emulator's JSON for the same record
(tests/okdesk_emulator/shapes.py parsed by syncd/okdesk/models.py), switches included; the contract
suite (tests/contract/) holds the two together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo

from .companies import Company, MaintenanceEntity
from .memory_faults import FaultSwitch
from .memory_records import (
    DEFAULT_STATUSES,
    FINAL_STATUSES,
    NO_RIGHT,
    Clock,
    CommentRecord,
    FileRecord,
    Ids,
    IssueRecord,
    MemoryOptions,
    PersonRecord,
    refused,
)
from .models import UNNAMED_FILE, Attachment, Comment, Contact, Issue, IssueSummary

ACCOUNT_TZ = timezone(timedelta(hours=3))  # the client's own fallback (UTC+3) and the emulator's default


class MemoryData(FaultSwitch):
    """Plain dicts by id, the switches and the clock; one lock around every change."""

    def __init__(self, *, tz: tzinfo = ACCOUNT_TZ, now: Callable[[], datetime] | None = None,
                 options: MemoryOptions | None = None) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self.options = options or MemoryOptions()
        self.clock = Clock(tz, now)
        self.ids = Ids()
        self.issues: dict[int, IssueRecord] = {}
        self.comments: dict[int, CommentRecord] = {}
        self.files: dict[int, FileRecord] = {}
        self.employees: dict[int, PersonRecord] = {}
        self.contacts: dict[int, PersonRecord] = {}
        self.companies: dict[int, Company] = {}
        self.entities: dict[int, MaintenanceEntity] = {}
        # Live dictionaries, as the emulator's emu.statuses / emu.final_status_codes.
        self.statuses: list[dict[str, str]] = [{"code": c, "name": n} for c, n in DEFAULT_STATUSES]
        self.final_status_codes: set[str] = set(FINAL_STATUSES)
        # Portal links minted: (contact id, url, expires at as a unix time, one_time).
        self.login_links: list[tuple[int, str, float, bool]] = []

    # ---------------------------------------------------------------- helpers of the API methods

    def _need(self, right: str, what: str) -> None:
        """A right the key's user lacks -> 403 before anything is judged (emulator: denied_rights)."""
        if right in self.options.denied_rights:
            raise refused(what, NO_RIGHT, 403)

    def _issue(self, issue_id: int, what: str) -> IssueRecord:
        issue = self.issues.get(int(issue_id))
        if issue is None:
            raise refused(what, "Заявка не найдена", 404)
        return issue

    def _status_name(self, code: str | None) -> str | None:
        if code is None:
            return None
        return next((s["name"] for s in self.statuses if s["code"] == code), code)

    def _person(self, kind: str, person_id: int) -> PersonRecord | None:
        return (self.contacts if kind == "contact" else self.employees).get(person_id)

    def _name(self, person: PersonRecord | None) -> str:
        if person is None:
            return ""
        parts: tuple[str | None, ...] = (person.last_name, person.first_name, person.patronymic)
        if person.kind == "contact" and self.options.contact_name_order == "first_last":
            parts = (person.first_name, person.patronymic, person.last_name)
        return " ".join(p for p in parts if p)

    # ---------------------------------------------------------------- models

    def _file_model(self, record: FileRecord, with_size: bool = True) -> Attachment:
        return Attachment(id=record.id, file_name=record.name, size=len(record.data) if with_size else None,
                          is_public=record.is_public, description=record.description,
                          created_at=record.created_at)

    def _comment_file_model(self, record: FileRecord) -> Attachment:
        """A comment's file: undocumented shape (open question 7), so as the switches say."""
        if self.options.comment_attachment_shape == "minimal":
            # The emulator's default bare {"id"}: the client fills in what it cannot know.
            return Attachment(id=record.id, file_name=UNNAMED_FILE, size=None, is_public=True, description="",
                              created_at=None, name_known=False)
        return self._file_model(record, self.options.comment_attachment_sizes)

    def comment_model(self, record: CommentRecord) -> Comment:
        kind, author_id = record.author
        return Comment(
            id=record.id, content_html=record.content,
            public=True if record.public is None else record.public,  # as the client reads a missing flag
            published_at=record.published_at, author_id=author_id, author_type=kind,
            author_name=self._name(self._person(kind, author_id)),
            attachments=tuple(self._comment_file_model(self.files[i]) for i in record.file_ids),
        )

    def _comments_summary(self, issue: IssueRecord) -> tuple[int, datetime | None]:
        times = [self.comments[i].published_at for i in issue.comment_ids]
        return len(times), max(times) if times else None

    def summary_model(self, issue: IssueRecord) -> IssueSummary:
        """A /issues/list item: comments{count,last_at} only under list_items_include_comments."""
        count, last_at = self._comments_summary(issue) if self.options.list_items_include_comments else (None, None)
        return IssueSummary(id=issue.id, title=issue.title, status_code=issue.status,
                            status_name=self._status_name(issue.status), contact_id=issue.contact_id,
                            company_id=issue.company_id, created_at=issue.created_at, updated_at=issue.updated_at,
                            comments_count=count, comments_last_at=last_at)

    def issue_model(self, issue: IssueRecord) -> Issue:
        file_ids = list(issue.file_ids)
        if self.options.comment_files_in_issue_attachments:
            for comment_id in issue.comment_ids:
                file_ids += self.comments[comment_id].file_ids
        count, last_at = self._comments_summary(issue)
        return Issue(
            id=issue.id, title=issue.title, status_code=issue.status, status_name=self._status_name(issue.status),
            contact_id=issue.contact_id, company_id=issue.company_id, created_at=issue.created_at,
            updated_at=issue.updated_at, comments_count=count, comments_last_at=last_at,
            description=issue.description, old_status_code=issue.old_status,
            attachments=tuple(self._file_model(self.files[i]) for i in sorted(file_ids)),
            completed_at=issue.completed_at, rate=issue.rate, maintenance_entity_id=issue.maintenance_entity_id,
        )

    def contact_model(self, person: PersonRecord, *, listed: bool = False) -> Contact:
        """``listed``: a /contacts/list item, which lacks mobile_phone under contact_list_mobile_phone=False."""
        mobile = None if listed and not self.options.contact_list_mobile_phone else person.mobile_phone
        return Contact(id=person.id, name=self._name(person), first_name=person.first_name,
                       last_name=person.last_name, patronymic=person.patronymic, phone=person.phone,
                       mobile_phone=mobile, company_id=person.company_id, email=person.email,
                       access_level=person.access_level, maintenance_entity_ids=person.maintenance_entity_ids)

    # ---------------------------------------------------------------- shared mutations

    def _add_file(self, issue_id: int, name: str, data: bytes, is_public: bool, description: str = "") -> int:
        record = FileRecord(self.ids.take("file"), issue_id, name, data, is_public, description, self.clock.now())
        self.files[record.id] = record
        return record.id

    def _add_comment(self, issue: IssueRecord, content: str, public: bool | None, author: tuple[str, int],
                     files: list[tuple[str, bytes, bool, str]]) -> CommentRecord:
        """A comment moves the issue's comments{count,last_at}; updated_at only under the switch."""
        now = self.clock.now()
        record = CommentRecord(self.ids.take("comment"), issue.id, content, public, now, author)
        record.file_ids = [self._add_file(issue.id, *f) for f in files]
        self.comments[record.id] = record
        issue.comment_ids.append(record.id)
        if self.options.comments_bump_updated_at:
            issue.updated_at = now
        return record

    def _set_status(self, issue: IssueRecord, code: str, comment: str | None, public: bool,
                    author: tuple[str, int]) -> None:
        """The emulator's Store.change_status: the comment first, then the status, updated_at always."""
        if comment:
            self._add_comment(issue, comment, public, author, [])
        now = self.clock.now()
        was_final = issue.status in self.final_status_codes
        issue.old_status, issue.status = issue.status, code
        if code in self.final_status_codes and not was_final:
            issue.completed_at = now
        elif code not in self.final_status_codes:
            issue.completed_at = None
        issue.updated_at = now
