"""The seeding API of :class:`~syncd.okdesk.memory.MemoryOkdesk`: staff in the web UI.

The names, arguments and defaults are those of the emulator's control API
(tests/okdesk_emulator/emulator.py, docs/dev/test-harness-api.md), so one test body can seed either:
no request is logged or faulted, no rule of the API applies (any status, any transition). Two
employees exist from the start, as in the emulator: ``api_employee_id`` (1, the key's owner, author
of status changes and of issues created without ``author``) and ``default_employee_id`` (2, the
default author of staff issues and comments).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .companies import Company, MaintenanceEntity
from .memory_data import MemoryData
from .memory_records import RATE_VALUES, IssueRecord, PersonRecord, StaffFile


def _file_tuple(upload: StaffFile) -> tuple[str, bytes, bool, str]:
    data = upload.data
    if data is None:  # the emulator's Upload may name a path instead
        data = Path(getattr(upload, "path", None) or "").read_bytes()
    return upload.name, data, upload.is_public, upload.description


def _cut(moment: datetime, tz: Any) -> datetime:
    moment = moment.astimezone(tz)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Seeding(MemoryData):
    """Mixed into MemoryOkdesk."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_employee_id = self.add_employee("API", "Интеграция")
        self.default_employee_id = self.add_employee("Сергей", "Иванов", patronymic="Петрович")

    def _author(self, author: tuple[str, int] | None) -> tuple[str, int]:
        return author if author is not None else ("employee", self.default_employee_id)

    def add_employee(self, first_name: str, last_name: str, **fields: Any) -> int:
        """fields: patronymic, email (others are kept in ``extra``)."""
        with self.lock:
            person = PersonRecord(self.ids.take("employee"), "employee", first_name, last_name,
                                  patronymic=fields.pop("patronymic", None), email=fields.pop("email", None),
                                  extra=fields)
            self.employees[person.id] = person
            return person.id

    def add_company(self, name: str, inn: str | None = None,
                    parameters: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
                    **fields: Any) -> int:
        """parameters: {code: value} or [{"code", "value", ...}]; ``inn`` adds {"code": "inn"}.
        fields: additional_name, active."""
        pairs = list(parameters.items()) if isinstance(parameters, Mapping) else \
            [(p["code"], p.get("value")) for p in parameters or ()]
        if inn is not None:
            pairs.append(("inn", inn))
        with self.lock:
            company = Company(self.ids.take("company"), name, additional_name=fields.get("additional_name"),
                              active=bool(fields.get("active", True)),
                              parameters=tuple((str(c), None if v is None else str(v)) for c, v in pairs))
            self.companies[company.id] = company
            return company.id

    def add_maintenance_entity(self, company_id: int, name: str, address: str | None = None,
                               **fields: Any) -> int:
        """A service object of the company. fields: active."""
        with self.lock:
            if company_id not in self.companies:
                raise ValueError(f"no company {company_id}")
            entity = MaintenanceEntity(self.ids.take("entity"), name, company_id, address=address,
                                       active=bool(fields.get("active", True)))
            self.entities[entity.id] = entity
            return entity.id

    def add_contact(self, first_name: str, last_name: str, phone: str | None = None,
                    mobile_phone: str | None = None, company_id: int | None = None,
                    patronymic: str | None = None, **fields: Any) -> int:
        """fields: email, access_level (list of str), maintenance_entity_ids (of company_id)."""
        with self.lock:
            if company_id is not None and company_id not in self.companies:
                raise ValueError(f"no company {company_id}")
            person = PersonRecord(
                self.ids.take("contact"), "contact", first_name, last_name, patronymic=patronymic, phone=phone,
                mobile_phone=mobile_phone, email=fields.pop("email", None), company_id=company_id,
                access_level=tuple(fields.pop("access_level", ())),
                maintenance_entity_ids=tuple(int(i) for i in fields.pop("maintenance_entity_ids", ())),
                extra=fields,
            )
            self.contacts[person.id] = person
            return person.id

    def update_contact(self, contact_id: int, **fields: Any) -> None:
        """Staff edit a contact (company_id, access_level, maintenance_entity_ids, phone, ...)."""
        with self.lock:
            person = self.contacts[contact_id]
            for name, value in fields.items():
                if name in ("access_level", "maintenance_entity_ids"):
                    value = tuple(value)
                setattr(person, name, value)

    def add_issue(self, title: str, contact_id: int | None = None, status: str = "opened",
                  description: str = "", author: tuple[str, int] | None = None, *,
                  company_id: int | None = None, maintenance_entity_id: int | None = None,
                  issue_type: str = "service", priority: str = "normal",
                  attachments: Iterable[StaffFile] = ()) -> int:
        """Any status (a completed one sets completed_at); the company defaults to the contact's."""
        with self.lock:
            if contact_id is not None and contact_id not in self.contacts:
                raise ValueError(f"no contact {contact_id}")
            if company_id is None and contact_id is not None:
                company_id = self.contacts[contact_id].company_id
            now = self.clock.now()
            issue = IssueRecord(self.ids.take("issue"), title, description, status, self._author(author), now, now,
                                contact_id=contact_id, company_id=company_id,
                                maintenance_entity_id=maintenance_entity_id, type_code=issue_type,
                                priority_code=priority,
                                completed_at=now if status in self.final_status_codes else None)
            issue.file_ids = [self._add_file(issue.id, *_file_tuple(f)) for f in attachments]
            self.issues[issue.id] = issue
            return issue.id

    def add_comment(self, issue_id: int, content_html: str, public: bool | None = True,
                    author: tuple[str, int] | None = None, attachments: Iterable[StaffFile] = ()) -> int:
        """A staff comment (public or a private note). ``public=None``: its answers carry no flag."""
        with self.lock:
            issue = self.issues[issue_id]
            files = [_file_tuple(f) for f in attachments]
            return self._add_comment(issue, content_html, public, self._author(author), files).id

    def add_issue_attachment(self, issue_id: int, upload: StaffFile) -> int:
        """A file added to the issue without a comment; moves updated_at."""
        with self.lock:
            issue = self.issues[issue_id]
            file_id = self._add_file(issue_id, *_file_tuple(upload))
            issue.file_ids.append(file_id)
            issue.updated_at = self.clock.now()
            return file_id

    def set_status(self, issue_id: int, code: str, comment_html: str | None = None,
                   comment_public: bool = True, author: tuple[str, int] | None = None) -> None:
        """Staff change the status: held to no workflow rule."""
        with self.lock:
            if not any(s["code"] == code for s in self.statuses):
                raise ValueError(f"unknown status {code!r}")
            self._set_status(self.issues[issue_id], code, comment_html, comment_public, self._author(author))

    def set_contact(self, issue_id: int, contact_id: int | None) -> None:
        with self.lock:
            issue = self.issues[issue_id]
            issue.contact_id, issue.updated_at = contact_id, self.clock.now()

    def backdate_issue(self, issue_id: int, moment: datetime) -> None:
        """Move creation and last update (and completed_at, if set) back to ``moment``."""
        with self.lock:
            issue = self.issues[issue_id]
            issue.created_at = issue.updated_at = _cut(moment, self.clock.tz)
            if issue.completed_at is not None:
                issue.completed_at = issue.created_at

    def set_completed_at(self, issue_id: int, moment: datetime | None) -> None:
        with self.lock:
            self.issues[issue_id].completed_at = None if moment is None else _cut(moment, self.clock.tz)

    def set_rate(self, issue_id: int, value: str | None) -> None:
        """The client rated in the portal (or the rate is cleared); moves updated_at."""
        if value is not None and value not in RATE_VALUES:
            raise ValueError(f"rate must be one of {RATE_VALUES}")
        with self.lock:
            issue = self.issues[issue_id]
            issue.rate = value
            if value is not None:
                issue.updated_at = self.clock.now()

    # ---------------------------------------------------------------- views (never logged)

    def issue_rate(self, issue_id: int) -> str | None:
        return self.issues[issue_id].rate

    def comment_records(self, issue_id: int) -> list[Any]:
        """The issue's comments in creation order (records: content, public, author, file_ids)."""
        return [self.comments[i] for i in self.issues[issue_id].comment_ids]

    def file_bytes(self, attachment_id: int) -> bytes:
        return self.files[attachment_id].data
