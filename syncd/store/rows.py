"""What the store hands out: one frozen dataclass per table row, named and typed like its columns.

Callers read ``link.okdesk_contact_id`` as before, but a typo or a wrong type is now mypy's to find,
and nobody outside the store holds a SQLAlchemy ``Row`` (so the layers above never need SQLAlchemy to
name what they hold). tests/unit/test_store_rows.py keeps each class in step with its table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar


class _HasMapping(Protocol):
    @property
    def _mapping(self) -> Any: ...


@dataclass(frozen=True)
class Link:
    """A Telegram user linked to an Okdesk contact (table ``links``)."""

    tg_user_id: int
    tg_chat_id: int
    tg_access_hash: int
    okdesk_contact_id: int
    contact_name: str
    phone: str | None
    language: str
    linked_at: datetime
    issues_scanned: bool
    blocked_at: datetime | None
    okdesk_company_id: int | None
    okdesk_maintenance_entity_id: int | None


@dataclass(frozen=True)
class FollowedIssue:
    """An Okdesk issue whose news reach a client, as last seen (table ``followed_issues``)."""

    okdesk_issue_id: int
    okdesk_contact_id: int | None
    title: str
    status_code: str | None
    okdesk_updated_at: datetime | None
    comments_count: int | None
    comments_last_at: datetime | None
    followed_at: datetime
    baseline_done: bool
    last_fetched_at: datetime | None


@dataclass(frozen=True)
class OutboxItem:
    """A delivery to a client or a notice to staff, with its progress and retry state (table ``outbox``)."""

    id: int
    dedupe_key: str
    kind: str
    tg_chat_id: int | None
    okdesk_issue_id: int | None
    payload: str
    random_ids: str
    progress: int
    state: str
    attempts: int
    next_try_at: datetime
    budget_spent: float
    last_attempt_at: datetime | None
    last_error: str | None
    tg_message_ids: str
    created_at: datetime
    done_at: datetime | None
    unconfirmed_since: datetime | None

    @property
    def chat(self) -> int:
        """The chat of a delivery to a client (a notice to staff has none: asking is a bug)."""
        if self.tg_chat_id is None:
            raise ValueError(f"outbox item {self.id} ({self.kind}) is not a delivery to a chat")
        return self.tg_chat_id

    @property
    def issue(self) -> int:
        """The Okdesk issue the item is about (a delivery of files always has one)."""
        if self.okdesk_issue_id is None:
            raise ValueError(f"outbox item {self.id} ({self.kind}) names no issue")
        return self.okdesk_issue_id


@dataclass(frozen=True)
class InboxMessage:
    """A client's Telegram message as received, until posted and blanked (table ``inbox_messages``)."""

    id: int
    tg_chat_id: int
    tg_message_id: int
    tg_user_id: int
    grouped_id: int | None
    reply_to_msg_id: int | None
    sent_at: datetime
    content: str
    media: str | None
    job_id: int | None
    received_at: datetime


@dataclass(frozen=True)
class InboundJob:
    """One comment or issue to make in Okdesk from a client's message(s) (table ``inbound_jobs``)."""

    id: int
    tg_user_id: int
    tg_chat_id: int
    state: str
    action: str | None
    okdesk_issue_id: int | None
    okdesk_comment_id: int | None
    fingerprint: str
    sent_at: datetime
    ask_message_id: int | None
    first_attempt_at: datetime | None
    attempts: int
    next_try_at: datetime
    budget_spent: float
    dropped_files: str
    finished_choice: str | None
    last_error: str | None
    created_at: datetime
    done_at: datetime | None
    queued_at: datetime | None = None
    acked_at: datetime | None = None


@dataclass(frozen=True)
class IssueRating:
    """A client's rating of a finished issue, sent or being sent (table ``issue_ratings``)."""

    okdesk_issue_id: int
    tg_user_id: int
    okdesk_contact_id: int
    rate: str
    state: str
    created_at: datetime
    done_at: datetime | None


RowT = TypeVar("RowT")


def one(cls: type[RowT], row: _HasMapping | None) -> RowT | None:
    """The typed row of a full-table select's ``.first()``, or None."""
    return None if row is None else cls(**row._mapping)


def every(cls: type[RowT], rows: Iterable[_HasMapping]) -> list[RowT]:
    return [cls(**row._mapping) for row in rows]
