"""The records, switches, clock and error builders of :class:`~syncd.okdesk.memory.MemoryOkdesk`.

Records are mutable dataclasses held in plain dicts by id, as the emulator (tests/okdesk_emulator)
holds its own; what a caller gets back is always the frozen models of :mod:`.models`, built the way
``OkdeskClient`` parses the emulator's JSON. No HTTP library is imported here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Protocol

from .errors import OkdeskError, OkdeskForbidden, OkdeskNotFound, OkdeskValidationError

# The emulator's words (tests/okdesk_emulator/params.py, routes_*.py): assumed there, mirrored here.
MSG_BLANK = "не может быть пустым"
MSG_MISSING = "отсутствует"
MSG_NOT_FOUND = "не найден"
NO_RIGHT = "Недостаточно прав для выполнения действия"

# Okdesk's system statuses (documented: APE) with the emulator's names; completed/closed are final.
DEFAULT_STATUSES = (("opened", "Открыта"), ("in_progress", "В работе"), ("delayed", "Отложена"),
                    ("completed", "Решена"), ("closed", "Закрыта"))
FINAL_STATUSES = frozenset({"completed", "closed"})
RATE_VALUES = ("bad", "normal", "good")

_CHOICES: dict[str, tuple[str, ...]] = {
    "updated_since_filter": ("honoured", "date_only", "ignored", "utc"),
    "comment_attachment_shape": ("full", "minimal"),
    "contact_phone_filter_fields": ("phone", "phone_and_mobile"),
    "contact_phone_filter_match": ("exact", "digits_suffix"),
    "contact_mobile_phone_filter": ("unknown", "exact"),
    "api_key_role": ("administrator", "employee"),
    "issue_author_refusal": ("accept", "403", "403_author", "422", "422_unnamed", "ignore"),
    "rate_again": ("refuse", "overwrite"),
}


@dataclass
class MemoryOptions:
    """The emulator's switches (tests/okdesk_emulator/options.py) that change what a caller of the
    client sees, with the same names and the same defaults, the least convenient variant: see the
    emulator README for where each comes from (documented / reported / assumed). The switches
    about HTTP itself (keep-alive, bodies, not-found answer shapes) have no meaning here."""

    comments_bump_updated_at: bool = False  # assumed (open question 3)
    list_items_include_comments: bool = False  # assumed (open question 13)
    updated_since_filter: str = "ignored"  # reported by production clients only; read how?
    comment_files_in_issue_attachments: bool = True  # assumed (open question 7)
    comment_attachment_shape: str = "minimal"  # assumed (open question 7): bare {"id"} items
    comment_attachment_sizes: bool = True  # under "full" only
    contact_phone_filter_fields: str = "phone"  # every production client searches phone only
    contact_phone_filter_match: str = "exact"  # INSI, UZ, YOFO try several spellings
    contact_mobile_phone_filter: str = "unknown"  # ?mobile_phone= is in no source
    contact_search_string_mobile: bool = False  # assumed
    contact_search_string_digits: bool = False  # assumed
    contact_list_mobile_phone: bool = True  # reported: SPIRIT reads whole objects from the list
    contact_comments_always_public: bool = False  # assumed (open question 9)
    contact_name_order: str = "last_first"  # documented for employees; contacts assumed
    api_key_role: str = "employee"  # documented: issue "author" only for Administrator keys
    issue_author_refusal: str = "403"  # the refusal's form is in no source
    status_comment_required: bool = True  # documented as an account setting
    forbidden_transitions: frozenset[tuple[str, str]] = frozenset()  # documented: the workflow decides
    rate_again: str = "refuse"  # assumed
    rate_requires_completed: bool = True  # assumed
    rewrite_comment_html: bool = False  # assumed: Okdesk's sanitizer, approximated (rewrite_html)
    max_request_bytes: int | None = None  # assumed: nginx's client_max_body_size in front (413)
    max_attachment_bytes: int | None = None  # open question 8
    forbidden_attachment_extensions: tuple[str, ...] = ()  # open question 8: no dot, lower case
    attachment_url_ttl: float = 30.0  # documented: a link works for 30 seconds
    # Rights of the key's user it lacks (the emulator's options.RIGHTS names), answered 403.
    denied_rights: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: object) -> None:
        # As the emulator's Options: a misspelt switch fails loudly instead of doing nothing.
        if name not in self.__dataclass_fields__:
            raise AttributeError(f"unknown option {name!r}")
        choices = _CHOICES.get(name)
        if choices is not None and value not in choices:
            raise ValueError(f"{name} must be one of {choices}")
        if name == "forbidden_attachment_extensions":  # "EXE", ".exe" -> "exe", as the emulator
            value = tuple(str(ext).lstrip(".").lower() for ext in value)  # type: ignore[attr-defined]
        if name in ("forbidden_transitions", "denied_rights") and not isinstance(value, frozenset):
            value = frozenset([value] if isinstance(value, str) else value)  # type: ignore[call-overload]
        object.__setattr__(self, name, value)


_TAG_RE = re.compile(r"(<[^<>]*>)")
_BR_RE = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)
_BLOCK_START_RE = re.compile(r"^\s*<(p|div|ul|ol|table|blockquote|pre|h[1-6])(\s[^<>]*)?>", re.IGNORECASE)


def rewrite_html(content: str) -> str:
    """HTML written through the API as Okdesk stores it under ``rewrite_comment_html``: the emulator's
    tests/okdesk_emulator/sanitize.py (assumed: staff comments come wrapped, YOFO), line for line:
    ``<br>`` -> ``<br />``, text ``"`` -> ``&quot;``, runs of spaces -> one, wrapped in ``<p>`` unless
    it starts with a block tag. Idempotent."""
    if not content.strip():
        return content
    parts = _TAG_RE.split(content)
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            parts[index] = _BR_RE.sub("<br />", part)
        else:  # text between tags
            parts[index] = re.sub(r" {2,}", " ", part.replace('"', "&quot;"))
    rewritten = "".join(parts)
    return rewritten if _BLOCK_START_RE.match(rewritten) else f"<p>{rewritten}</p>"


class StaffFile(Protocol):
    """A file for the seeding API: the emulator's ``Upload`` fits (name, data or path, flag)."""

    name: str
    data: bytes | None
    is_public: bool
    description: str


@dataclass
class PersonRecord:
    id: int
    kind: str  # "employee" | "contact"
    first_name: str
    last_name: str
    patronymic: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    email: str | None = None
    company_id: int | None = None
    access_level: tuple[str, ...] = ()
    maintenance_entity_ids: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FileRecord:
    id: int
    issue_id: int
    name: str
    data: bytes
    is_public: bool
    description: str
    created_at: datetime


@dataclass
class CommentRecord:
    id: int
    issue_id: int
    content: str
    public: bool | None  # None: the answer carries no flag (seen in the wild), shown as public
    published_at: datetime
    author: tuple[str, int]
    file_ids: list[int] = field(default_factory=list)


@dataclass
class IssueRecord:
    id: int
    title: str
    description: str
    status: str
    author: tuple[str, int]
    created_at: datetime
    updated_at: datetime
    contact_id: int | None = None
    company_id: int | None = None
    maintenance_entity_id: int | None = None
    old_status: str | None = None
    completed_at: datetime | None = None
    rate: str | None = None
    type_code: str = "service"
    priority_code: str = "normal"
    file_ids: list[int] = field(default_factory=list)  # the issue's own files
    comment_ids: list[int] = field(default_factory=list)


class Clock:
    """Okdesk's clock: the machine's (plus ``offset``) until ``set``; then it moves only by ``advance``.
    Timestamps are cut to milliseconds in the account zone, as Okdesk writes them."""

    def __init__(self, tz: tzinfo, now: Callable[[], datetime] | None = None) -> None:
        self.tz = tz
        self._source = now or (lambda: datetime.now(timezone.utc))
        self._fixed: datetime | None = None
        self.offset = timedelta(0)

    def set(self, moment: datetime) -> None:
        self._fixed = moment

    def advance(self, seconds: float) -> None:
        if self._fixed is None:
            self.offset += timedelta(seconds=seconds)
        else:
            self._fixed += timedelta(seconds=seconds)

    def now(self) -> datetime:
        moment = (self._fixed if self._fixed is not None else self._source() + self.offset).astimezone(self.tz)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Ids:
    """One counter per kind, from 1; comments and files share none with issues (as the emulator)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self.lock = threading.RLock()

    def take(self, kind: str) -> int:
        with self.lock:
            value = self._next.get(kind, 1)
            self._next[kind] = value + 1
            return value


# ---------------------------------------------------------------- errors as the client raises them


def refused(what: str, errors: Any, status: int = 422) -> OkdeskError:
    """The error OkdeskClient raises for a 4xx answer whose body is ``{"errors": errors}``."""
    if status == 403:
        return OkdeskForbidden(f"{what}: no right", status=403, errors=errors, kind="http_403")
    if status == 404:
        return OkdeskNotFound(f"{what}: not found", status=404, errors=errors, kind="http_404")
    return OkdeskValidationError(f"{what}: refused", status=status, errors=errors, kind=f"http_{status}")


class FieldErrors:
    """Field -> Russian messages, gathered as Rails does and raised as one 422."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.tree: dict[str, Any] = {}

    def add(self, name: str, message: str) -> None:
        self.tree.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.tree:
            raise refused(self.what, self.tree)
