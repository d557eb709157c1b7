"""The emulator's data: records, id counters and every mutation.

One re-entrant lock guards the whole model; HTTP handlers and the test-facing
control API both hold it while they read or change records, so every response is
a consistent snapshot.  Ids come from a counter per kind; comment and attachment
ids are global across issues and always increase, like Okdesk's database ids.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .options import Options
from .orgs import Company, MaintenanceEntity
from .storage import StoredFile
from .timefmt import now as clock_now

Author = tuple[str, int]  # ("employee" | "contact", id)

DEFAULT_STATUSES = [
    {"code": "opened", "name": "Открыта"},
    {"code": "in_progress", "name": "В работе"},
    {"code": "delayed", "name": "Отложена"},
    {"code": "completed", "name": "Решена"},
    {"code": "closed", "name": "Закрыта"},
]
# Statuses "considered completed" (`opened=true` excludes them; completed_at is set).
FINAL_STATUS_CODES = frozenset({"completed", "closed"})
DEFAULT_PRIORITIES = [
    {"code": "low", "name": "Низкий"},
    {"code": "normal", "name": "Обычный"},
    {"code": "high", "name": "Высокий"},
    {"code": "critical", "name": "Критический"},
]
DEFAULT_TYPES = [
    {"id": 1, "code": "service", "name": "Обслуживание", "available_for_client": True},
    {"id": 2, "code": "incident", "name": "Инцидент", "available_for_client": True},
]
DEFAULT_TYPE_CODE = "service"
DEFAULT_PRIORITY_CODE = "normal"


@dataclass
class Employee:
    id: int
    first_name: str
    last_name: str
    patronymic: str | None = None
    position: str | None = None
    email: str | None = None
    login: str | None = None
    phone: str | None = None
    active: bool = True


@dataclass
class Contact:
    id: int
    first_name: str
    last_name: str
    updated_at: datetime
    patronymic: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    email: str | None = None
    position: str | None = None
    comment: str | None = None
    login: str | None = None
    crm_1c_id: str | None = None
    company_id: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    access_level: list[str] = field(default_factory=list)
    maintenance_entity_ids: list[int] = field(default_factory=list)


# Contact attributes a client may set through POST/PATCH /contacts.
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "patronymic",
    "phone",
    "mobile_phone",
    "email",
    "position",
    "comment",
    "login",
    "crm_1c_id",
    "company_id",
)


@dataclass
class Attachment:
    id: int
    issue_id: int
    comment_id: int | None
    file_name: str
    description: str
    size: int
    is_public: bool
    created_at: datetime
    disk_path: Path
    content_type: str
    sha256: str = ""  # hex digest of the content (observation only, never in answers)


@dataclass
class Comment:
    id: int
    issue_id: int
    content: str
    public: bool | None  # None: answers omit the flag
    published_at: datetime
    author: Author
    attachment_ids: list[int] = field(default_factory=list)


@dataclass
class Issue:
    id: int
    title: str
    description: str
    created_at: datetime
    updated_at: datetime
    status: str
    type_code: str
    priority_code: str
    author: Author
    source: str
    contact_id: int | None = None
    company_id: int | None = None
    assignee_id: int | None = None
    maintenance_entity_id: int | None = None
    old_status: str | None = None
    completed_at: datetime | None = None
    deadline_at: datetime | None = None
    delayed_to: datetime | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    attachment_ids: list[int] = field(default_factory=list)  # issue-level files only
    comment_ids: list[int] = field(default_factory=list)
    status_history: list[tuple[str, datetime]] = field(default_factory=list)
    rate: tuple[int, str] | None = None  # (rate id, bad | normal | good)


class Store:
    def __init__(self, tz: timezone, options: Options):
        self.lock = threading.RLock()
        self.tz = tz
        self.options = options
        self.employees: dict[int, Employee] = {}
        self.companies: dict[int, Company] = {}
        self.maintenance_entities: dict[int, MaintenanceEntity] = {}
        self.contacts: dict[int, Contact] = {}
        self.issues: dict[int, Issue] = {}
        self.comments: dict[int, Comment] = {}
        self.attachments: dict[int, Attachment] = {}
        # Dictionaries are plain dicts so tests can append custom codes in place.
        self.statuses = [dict(item) for item in DEFAULT_STATUSES]
        self.priorities = [dict(item) for item in DEFAULT_PRIORITIES]
        self.issue_types = [dict(item) for item in DEFAULT_TYPES]
        # Codes "considered completed": completed_at is set, rating allowed, opened=true excludes.
        self.final_status_codes: set[str] = set(FINAL_STATUS_CODES)
        # Every POST /issues/{id}/rates, accepted or not (routes_rates.RateAttempt).
        self.rate_attempts: list[Any] = []
        kinds = ("employee", "company", "contact", "issue", "comment", "attachment")
        self._counters = {
            kind: itertools.count(1) for kind in (*kinds, "maintenance_entity", "rate")
        }

    def now(self) -> datetime:
        return clock_now(self.tz) + timedelta(seconds=self.options.clock_offset)

    def _next_id(self, kind: str) -> int:
        return next(self._counters[kind])

    # -- lookups --------------------------------------------------------------------
    @staticmethod
    def _find(items: list[dict[str, Any]], code: str) -> dict[str, Any] | None:
        return next((item for item in items if item.get("code") == code), None)

    def status_def(self, code: str) -> dict[str, Any] | None:
        return self._find(self.statuses, code)

    def priority_def(self, code: str) -> dict[str, Any] | None:
        return self._find(self.priorities, code)

    def type_def(self, code: str) -> dict[str, Any] | None:
        return self._find(self.issue_types, code)

    def person(self, author: Author) -> Employee | Contact | None:
        kind, person_id = author
        if kind == "employee":
            return self.employees.get(person_id)
        if kind == "contact":
            return self.contacts.get(person_id)
        return None

    def require_issue(self, issue_id: int) -> Issue:
        issue = self.issues.get(issue_id)
        if issue is None:
            raise KeyError(f"no issue {issue_id}")
        return issue

    def _require_author(self, author: Author) -> None:
        if self.person(author) is None:
            raise ValueError(f"author {author!r} does not exist")

    # -- people ---------------------------------------------------------------------
    def add_employee(self, first_name: str, last_name: str, **extra: Any) -> Employee:
        with self.lock:
            employee = Employee(self._next_id("employee"), first_name, last_name, **extra)
            self.employees[employee.id] = employee
            return employee

    def add_company(self, name: str, **fields: Any) -> Company:
        with self.lock:
            company = Company(self._next_id("company"), name, **fields)
            self.companies[company.id] = company
            return company

    def add_maintenance_entity(
        self, company_id: int, name: str, **fields: Any
    ) -> MaintenanceEntity:
        with self.lock:
            if company_id not in self.companies:
                raise ValueError(f"no company {company_id}")
            entity_id = self._next_id("maintenance_entity")
            entity = MaintenanceEntity(entity_id, name, company_id, **fields)
            self.maintenance_entities[entity.id] = entity
            return entity

    def entity_error(self, entity_id: int, company_id: int | None) -> str | None:
        """Why a service object may not be used with this company (Russian), or None."""
        entity = self.maintenance_entities.get(entity_id)
        if entity is None:
            return "не найден"
        if entity.company_id != company_id:
            return "не принадлежит компании"
        return None

    def entity_errors(
        self, entity_ids: Iterable[int], company_id: int | None
    ) -> list[tuple[int, int, str]]:
        """(index, service object id, why) for each of ``entity_ids`` the company may not use."""
        return [
            (index, entity_id, problem)
            for index, entity_id in enumerate(entity_ids)
            if (problem := self.entity_error(entity_id, company_id))
        ]

    def _check_contact_company(self, fields: dict[str, Any], company_id: int | None) -> None:
        """A contact's company must exist and its service objects belong to it (ValueError)."""
        if company_id is not None and company_id not in self.companies:
            raise ValueError(f"no company {company_id}")
        self._require_entities(fields.get("maintenance_entity_ids", ()), company_id)

    def _require_entities(self, entity_ids: Iterable[int], company_id: int | None) -> None:
        """ValueError naming the first service object the company may not use."""
        problems = self.entity_errors(entity_ids, company_id)
        if problems:
            _, entity_id, problem = problems[0]
            raise ValueError(f"maintenance entity {entity_id}: {problem}")

    def add_contact(self, first_name: str, last_name: str, **fields: Any) -> Contact:
        with self.lock:
            self._check_contact_company(fields, fields.get("company_id"))
            contact = Contact(self._next_id("contact"), first_name, last_name, self.now(), **fields)
            self.contacts[contact.id] = contact
            return contact

    def update_contact(self, contact: Contact, fields: dict[str, Any]) -> None:
        with self.lock:
            self._check_contact_company(fields, fields.get("company_id", contact.company_id))
            for name, value in fields.items():
                setattr(contact, name, value)
            contact.updated_at = self.now()

    # -- issues ---------------------------------------------------------------------
    def add_issue(
        self,
        *,
        title: str,
        author: Author,
        description: str = "",
        status: str = "opened",
        type_code: str = DEFAULT_TYPE_CODE,
        priority_code: str = DEFAULT_PRIORITY_CODE,
        contact_id: int | None = None,
        company_id: int | None = None,
        assignee_id: int | None = None,
        maintenance_entity_id: int | None = None,
        deadline_at: datetime | None = None,
        parameters: dict[str, Any] | None = None,
        files: Sequence[StoredFile] = (),
    ) -> Issue:
        with self.lock:
            self._require_author(author)
            if self.status_def(status) is None:
                raise ValueError(f"unknown status {status!r}")
            if company_id is None and contact_id in self.contacts:
                # Okdesk fills the client company from the contact person.
                company_id = self.contacts[contact_id].company_id
            if company_id is None and maintenance_entity_id in self.maintenance_entities:
                company_id = self.maintenance_entities[maintenance_entity_id].company_id
            if maintenance_entity_id is not None:
                self._require_entities([maintenance_entity_id], company_id)
            moment = self.now()
            issue = Issue(
                id=self._next_id("issue"),
                title=title,
                description=description,
                created_at=moment,
                updated_at=moment,
                status=status,
                type_code=type_code,
                priority_code=priority_code,
                author=author,
                source="from_contact" if author[0] == "contact" else "from_employee",
                contact_id=contact_id,
                company_id=company_id,
                assignee_id=assignee_id,
                maintenance_entity_id=maintenance_entity_id,
                deadline_at=deadline_at,
                parameters=dict(parameters or {}),
                completed_at=moment if status in self.final_status_codes else None,
                status_history=[(status, moment)],
            )
            self.issues[issue.id] = issue
            issue.attachment_ids.extend(self._attach(issue, None, files, moment))
            return issue

    def _attach(
        self, issue: Issue, comment_id: int | None, files: Sequence[StoredFile], moment: datetime
    ) -> list[int]:
        ids = []
        for stored in files:
            attachment = Attachment(
                id=self._next_id("attachment"),
                issue_id=issue.id,
                comment_id=comment_id,
                file_name=stored.file_name,
                description=stored.description,
                size=stored.size,
                is_public=stored.is_public,
                created_at=moment,
                disk_path=stored.path,
                content_type=stored.content_type,
                sha256=stored.sha256,
            )
            self.attachments[attachment.id] = attachment
            ids.append(attachment.id)
        return ids

    def add_issue_files(self, issue: Issue, files: Sequence[StoredFile]) -> list[int]:
        """Files added to the issue itself ("new_files"); this does bump updated_at."""
        with self.lock:
            moment = self.now()
            ids = self._attach(issue, None, files, moment)
            issue.attachment_ids.extend(ids)
            issue.updated_at = moment
            return ids

    def add_comment(
        self,
        issue: Issue,
        content: str,
        public: bool | None,
        author: Author,
        files: Sequence[StoredFile] = (),
    ) -> Comment:
        with self.lock:
            self._require_author(author)
            if author[0] == "contact" and self.options.contact_comments_always_public:
                public = True
            moment = self.now()
            comment = Comment(self._next_id("comment"), issue.id, content, public, moment, author)
            comment.attachment_ids = self._attach(issue, comment.id, files, moment)
            self.comments[comment.id] = comment
            issue.comment_ids.append(comment.id)
            if self.options.comments_bump_updated_at:
                issue.updated_at = moment
            return comment

    def change_status(
        self,
        issue: Issue,
        code: str,
        author: Author,
        comment: str | None = None,
        comment_public: bool = False,
        delayed_to: datetime | None = None,
    ) -> Comment | None:
        with self.lock:
            if self.status_def(code) is None:
                raise ValueError(f"unknown status {code!r}")
            added = None
            if comment:
                added = self.add_comment(issue, comment, comment_public, author)
            moment = self.now()
            was_final = issue.status in self.final_status_codes
            issue.old_status, issue.status = issue.status, code
            issue.status_history.append((code, moment))
            issue.delayed_to = delayed_to if code == "delayed" else None
            if code in self.final_status_codes and not was_final:
                issue.completed_at = moment
            elif code not in self.final_status_codes:
                issue.completed_at = None  # reopened: no longer resolved
            issue.updated_at = moment  # a status change always counts as an update
            return added

    def issue_file(self, issue: Issue, attachment_id: int) -> Attachment | None:
        """A file of the issue: issue-level or from one of its comments."""
        attachment = self.attachments.get(attachment_id)
        if attachment is None or attachment.issue_id != issue.id:
            return None
        return attachment
