"""What the client returns: frozen dataclasses parsed leniently from Okdesk JSON.

The API's field set is only partly documented and differs between endpoints (list items vs.
one issue, REST vs. webhook spellings), so every parser takes the shapes seen in the wild,
fills what is missing with None/defaults and never raises KeyError/TypeError: a surprising
field must not lose a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

TsParser = Callable[[Any], "datetime | None"]


# The name of a file Okdesk gave none for (a comment's list of files may be bare ids).
UNNAMED_FILE = "file"


@dataclass(frozen=True)
class UploadFile:
    """A local file to attach to a new comment or issue."""

    path: Path
    file_name: str
    content_type: str = "application/octet-stream"
    is_public: bool = True


@dataclass(frozen=True)
class Status:
    code: str
    name: str


@dataclass(frozen=True)
class Priority:
    code: str
    name: str


@dataclass(frozen=True)
class Attachment:
    id: int | None
    file_name: str  # "file" when Okdesk named none (see name_known)
    size: int | None
    is_public: bool
    description: str
    created_at: datetime | None
    # False when the item came without a file name: a comment's files have an undocumented shape
    # (okdesk-api.md §3.1) and may be bare ids, so "file" must not be compared with what was sent.
    name_known: bool = True


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    file_name: str
    size: int | None
    is_public: bool | None = None  # None: the answer did not say


@dataclass(frozen=True)
class IssueSummary:
    id: int
    title: str
    status_code: str | None
    status_name: str | None
    contact_id: int | None
    company_id: int | None
    created_at: datetime | None
    updated_at: datetime | None
    comments_count: int | None
    comments_last_at: datetime | None


@dataclass(frozen=True)
class Issue(IssueSummary):
    description: str = ""
    old_status_code: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # When the issue was last completed (Okdesk's completed_at); None while it never was.
    completed_at: datetime | None = None
    # The client's rating (bad | normal | good) as Okdesk holds it; None while unrated.
    rate: str | None = None
    maintenance_entity_id: int | None = None


@dataclass(frozen=True)
class Comment:
    id: int
    content_html: str
    public: bool
    published_at: datetime | None
    author_id: int | None
    author_type: str
    author_name: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    first_name: str | None
    last_name: str | None
    patronymic: str | None
    phone: str | None
    mobile_phone: str | None
    company_id: int | None
    email: str | None
    # Okdesk's access levels of a contact, e.g. company_issues (sees the company's issues).
    access_level: tuple[str, ...] = ()
    maintenance_entity_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Employee:
    id: int
    name: str
    first_name: str | None
    last_name: str | None
    patronymic: str | None
    email: str | None
    login: str | None
    active: bool | None


@dataclass(frozen=True)
class UpdatedIssues:
    """The answer of ``issues_updated_since`` (OkdeskClient and its fakes)."""

    items: list[IssueSummary]
    older: IssueSummary | None  # an issue updated before ``since`` that came back, if any
    pages: int  # list requests it took


@dataclass(frozen=True)
class ContactScan:
    """What a walk over ``/contacts/list`` saw (``scan_contacts``)."""

    matches: list[Contact]
    # Every contact after the start was seen, mobile numbers included: no match means nobody has it.
    complete: bool
    # Why not complete: "page_limit", "no_mobile_phone" (items without it), "refused", "paging_ignored".
    reason: str | None
    last_id: int | None  # the highest contact id seen (a later walk may start after it)


# ---------------------------------------------------------------- lenient field readers


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1", "yes", "t", "y", "on"):
            return True
        if low in ("false", "0", "no", "f", "n", "off", ""):
            return False
    return None


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return None


def _ref_id(data: Mapping[str, Any], nested: str, flat: str) -> int | None:
    """``contact: {id, name}`` in most answers, ``contact_id`` in others."""
    return as_int(_obj(data.get(nested)).get("id")) if data.get(nested) else as_int(data.get(flat))


def _person_name(data: Mapping[str, Any]) -> str:
    name = as_str(data.get("name"))
    if name:
        return name
    parts = (as_str(data.get(k)) for k in ("last_name", "first_name", "patronymic"))
    return " ".join(p for p in parts if p)


# ---------------------------------------------------------------- parsers


def parse_status(data: Any) -> Status | None:
    data = _obj(data)
    code = as_str(data.get("code"))
    return Status(code, as_str(data.get("name")) or code) if code else None


def parse_priority(data: Any) -> Priority | None:
    status = parse_status(data)
    return Priority(status.code, status.name) if status else None


def parse_attachment(data: Any, ts: TsParser) -> Attachment:
    data = _obj(data)
    public = as_bool(_first(data, "is_public", "public"))
    name = as_str(_first(data, "attachment_file_name", "file_name", "name", "filename"))
    return Attachment(
        id=as_int(data.get("id")),
        file_name=name or UNNAMED_FILE,
        name_known=bool(name),
        size=as_int(_first(data, "attachment_file_size", "file_size", "size")),
        # A file without a flag is shown: hiding it could lose what a person sent.
        is_public=True if public is None else public,
        description=as_str(data.get("description")) or "",
        created_at=ts(data.get("created_at")),
    )


def parse_attachments(value: Any, ts: TsParser) -> tuple[Attachment, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(parse_attachment(item, ts) for item in value if isinstance(item, Mapping))


def parse_attachment_link(data: Any) -> AttachmentLink | None:
    data = _obj(data)
    url = as_str(_first(data, "attachment_url", "url"))
    if not url:
        return None
    return AttachmentLink(
        url=url,
        file_name=as_str(_first(data, "attachment_file_name", "file_name", "name")) or UNNAMED_FILE,
        size=as_int(_first(data, "attachment_file_size", "file_size", "size")),
        is_public=as_bool(_first(data, "is_public", "public")),
    )


def _summary_fields(data: Mapping[str, Any], ts: TsParser) -> dict[str, Any]:
    status = _obj(data.get("status"))
    comments = _obj(data.get("comments"))
    return {
        "id": as_int(data.get("id")),
        "title": as_str(data.get("title")) or "",
        "status_code": as_str(status.get("code")) or as_str(data.get("status_code")),
        "status_name": as_str(status.get("name")),
        "contact_id": _ref_id(data, "contact", "contact_id"),
        "company_id": _ref_id(data, "company", "company_id"),
        "created_at": ts(data.get("created_at")),
        "updated_at": ts(data.get("updated_at")),
        "comments_count": as_int(comments.get("count")),
        "comments_last_at": ts(comments.get("last_at")),
    }


def parse_issue_summary(data: Any, ts: TsParser) -> IssueSummary | None:
    """None when the item has no usable id (nothing could be done with it anyway)."""
    fields = _summary_fields(_obj(data), ts)
    return IssueSummary(**fields) if fields["id"] is not None else None


def parse_issue(data: Any, ts: TsParser) -> Issue | None:
    data = _obj(data)
    fields = _summary_fields(data, ts)
    if fields["id"] is None:
        return None
    return Issue(
        **fields,
        description=as_str(data.get("description")) or "",
        old_status_code=as_str(_obj(data.get("old_status")).get("code")),
        attachments=parse_attachments(data.get("attachments"), ts),
        completed_at=ts(data.get("completed_at")),
        rate=_rate_value(data.get("rate")),
        # One issue names it service_object_id (okdesk-api.md §2.3); create takes maintenance_entity_id.
        maintenance_entity_id=as_int(_first(data, "service_object_id", "maintenance_entity_id"))
        or _ref_id(data, "maintenance_entity", "maintenance_entity_id"),
    )


def _rate_value(value: Any) -> str | None:
    """``rate: {id, value}`` as documented; a bare string is taken too."""
    if isinstance(value, Mapping):
        value = _first(value, "value", "code", "rate")
    return as_str(value)


def parse_comment(data: Any, ts: TsParser) -> Comment | None:
    data = _obj(data)
    cid = as_int(data.get("id"))
    if cid is None:
        return None
    author = _obj(data.get("author"))
    # REST says "public", webhooks say "is_public". With neither, show it: the predecessor
    # dropped such comments and a reply never reached the client.
    public = as_bool(_first(data, "public", "is_public"))
    author_type = as_str(_first(author, "type")) or as_str(data.get("author_type")) or "employee"
    return Comment(
        id=cid,
        content_html=as_str(_first(data, "content", "content_html", "text")) or "",
        public=True if public is None else public,
        published_at=ts(_first(data, "published_at", "created_at")),
        author_id=as_int(author.get("id")) if author else as_int(data.get("author_id")),
        author_type=author_type.lower(),
        author_name=_person_name(author),
        attachments=parse_attachments(data.get("attachments"), ts),
    )


def parse_contact(data: Any) -> Contact | None:
    data = _obj(data)
    cid = as_int(data.get("id"))
    if cid is None:
        return None
    return Contact(
        id=cid,
        name=_person_name(data),
        first_name=as_str(data.get("first_name")),
        last_name=as_str(data.get("last_name")),
        patronymic=as_str(data.get("patronymic")),
        phone=as_str(data.get("phone")),
        mobile_phone=as_str(data.get("mobile_phone")),
        company_id=_ref_id(data, "company", "company_id"),
        email=as_str(data.get("email")),
        access_level=_strings(data.get("access_level")),
        maintenance_entity_ids=_ints(data.get("maintenance_entity_ids")),
    )


def _strings(value: Any) -> tuple[str, ...]:
    """A list of strings; one string alone is a list of one."""
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return tuple(s for s in (as_str(v) for v in items) if s)


def _ints(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else []
    return tuple(i for i in (as_int(v) for v in items) if i is not None)


def parse_employee(data: Any) -> Employee | None:
    data = _obj(data)
    eid = as_int(data.get("id"))
    if eid is None:
        return None
    return Employee(
        id=eid,
        name=_person_name(data),
        first_name=as_str(data.get("first_name")),
        last_name=as_str(data.get("last_name")),
        patronymic=as_str(data.get("patronymic")),
        email=as_str(data.get("email")),
        login=as_str(data.get("login")),
        active=as_bool(data.get("active")),
    )
