"""The repository: every read and write the daemon makes, each in its own short transaction.

Methods are synchronous and short; the Telegram side (asyncio) calls them directly, the poller
(a scheduler thread) too. SQLite in WAL mode and PostgreSQL both serve that well.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, or_, select, update

from syncd.clock import utcnow
from syncd.store.inbound_repo import InboundStore
from syncd.store.privacy_repo import PrivacyStore
from syncd.store.rating_repo import RatingStore
from syncd.store.rows import FollowedIssue, Link, OutboxItem, every, one
from syncd.store.schema import (
    dialogs,
    followed_issues,
    kv,
    links,
    message_map,
    outbox,
    own_comments,
    seen_attachments,
    seen_comments,
)
from syncd.store.sql import insert_ignore
from syncd.store.states import (
    CANCELLED,
    DONE,
    FAILED,
    OUTBOX_NOTICE,
    PENDING,
    UNSURE,
    WAITING_OUTBOX_STATES,
)
from syncd.store.status_repo import StatusStore


def new_random_id() -> int:
    """Telegram's random_id is a signed 64-bit integer; never 0."""
    return secrets.randbelow(2**63 - 1) + 1


class Store(InboundStore, StatusStore, PrivacyStore, RatingStore):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------ links

    def get_link(self, tg_user_id: int) -> Link | None:
        with self.engine.connect() as conn:
            return one(Link, conn.execute(select(links).where(links.c.tg_user_id == tg_user_id)).first())

    def save_link(self, *, tg_user_id: int, tg_chat_id: int, tg_access_hash: int, okdesk_contact_id: int,
                  contact_name: str, phone: str | None, language: str, linked_at: datetime | None = None,
                  okdesk_company_id: int | None = None, okdesk_maintenance_entity_id: int | None = None) -> None:
        """``linked_at`` is on Okdesk's clock: what its timestamps date before it is history.
        A company's client's new issues carry ``okdesk_company_id`` and ``okdesk_maintenance_entity_id``."""
        # The row is replaced whole: a relink to a private person's contact leaves the company NULL.
        values = dict(tg_chat_id=tg_chat_id, tg_access_hash=tg_access_hash, okdesk_contact_id=okdesk_contact_id,
                      contact_name=contact_name, phone=phone, language=language, linked_at=linked_at or utcnow(),
                      issues_scanned=False, blocked_at=None, okdesk_company_id=okdesk_company_id,
                      okdesk_maintenance_entity_id=okdesk_maintenance_entity_id)
        with self.engine.begin() as conn:
            conn.execute(delete(links).where(links.c.tg_user_id == tg_user_id))
            conn.execute(insert(links).values(tg_user_id=tg_user_id, **values))

    def touch_link(self, tg_user_id: int, *, access_hash: int | None = None,
                   language: str | None = None) -> datetime | None:
        """A message from the user: they are reachable again. Returns the mark it cleared (links.blocked_at,
        the start of the episode the follow-up notices are keyed by), None if they were reachable: read
        and cleared in one transaction, so a mark the sender set a moment before is reported, never lost."""
        values: dict[str, Any] = {"blocked_at": None}
        if access_hash is not None:
            values["tg_access_hash"] = access_hash
        if language:
            values["language"] = language
        with self.engine.begin() as conn:
            cleared: datetime | None = conn.execute(
                select(links.c.blocked_at).where(links.c.tg_user_id == tg_user_id).with_for_update()).scalar()
            conn.execute(update(links).where(links.c.tg_user_id == tg_user_id).values(**values))
        return cleared

    def links_for_contacts(self, contact_ids: Iterable[int]) -> list[Link]:
        ids = list(set(contact_ids))
        if not ids:
            return []
        with self.engine.connect() as conn:
            return every(Link, conn.execute(select(links).where(links.c.okdesk_contact_id.in_(ids))))

    def linked_contact_ids(self) -> set[int]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(links.c.okdesk_contact_id).distinct()).scalars())

    def linked_phones(self) -> list[str]:
        """The phones clients linked with: hidden from every log line of this process too."""
        with self.engine.connect() as conn:
            return [p for p in conn.execute(select(links.c.phone).where(links.c.phone.is_not(None))).scalars() if p]

    def links_unscanned(self) -> list[Link]:
        with self.engine.connect() as conn:
            return every(Link, conn.execute(select(links).where(links.c.issues_scanned.is_(False))))

    def set_blocked(self, tg_chat_id: int, at: datetime) -> datetime | None:
        """The client became unreachable at ``at``, unless they already were: one episode runs from the
        first mark to their return (touch_link), and its start names it in the notices' keys, so a later
        mark must not move it. Returns the episode's start (None: no such link)."""
        with self.engine.begin() as conn:
            conn.execute(update(links).where(links.c.tg_chat_id == tg_chat_id, links.c.blocked_at.is_(None))
                         .values(blocked_at=at))
            since: datetime | None = conn.execute(
                select(links.c.blocked_at).where(links.c.tg_chat_id == tg_chat_id)).scalar()
        return since

    def followed_updated_between(self, start: datetime, end: datetime, limit: int = 20) -> list[tuple[int, datetime]]:
        """Followed issues the store last saw updated within [start, end), the latest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(followed_issues.c.okdesk_issue_id, followed_issues.c.okdesk_updated_at).where(
                followed_issues.c.okdesk_updated_at >= start, followed_issues.c.okdesk_updated_at < end)
                .order_by(followed_issues.c.okdesk_updated_at.desc()).limit(limit)).all()
        return [(int(row[0]), row[1]) for row in rows]

    def link_by_chat(self, tg_chat_id: int) -> Link | None:
        with self.engine.connect() as conn:
            return one(Link, conn.execute(select(links).where(links.c.tg_chat_id == tg_chat_id)).first())

    # ------------------------------------------------------------ followed issues

    def follow_contact_issues(self, tg_user_id: int, issues: Sequence[dict[str, Any]]) -> int:
        """Follow the contact's existing issues (baseline pending) and mark the link scanned, atomically."""
        with self.engine.begin() as conn:
            added = insert_ignore(conn, followed_issues, issues)
            conn.execute(update(links).where(links.c.tg_user_id == tg_user_id).values(issues_scanned=True))
        return added

    def follow_issue(self, row: dict[str, Any]) -> bool:
        with self.engine.begin() as conn:
            return insert_ignore(conn, followed_issues, [row]) > 0

    def followed(self, issue_ids: Iterable[int]) -> dict[int, FollowedIssue]:
        ids = list(set(issue_ids))
        out: dict[int, FollowedIssue] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for row in conn.execute(select(followed_issues).where(followed_issues.c.okdesk_issue_id.in_(chunk))):
                    out[row.okdesk_issue_id] = FollowedIssue(**row._mapping)
        return out

    def followed_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(followed_issues)).scalar_one()

    def issues_for_reconcile(self, fetched_before: datetime, limit: int) -> list[int]:
        with self.engine.connect() as conn:
            # Never fetched ones first (an issue is followed without a look, its history counting as seen,
            # and only a visit finds a comment that does not bump its updated_at), with those the daemon
            # just commented on (finish_job): due at once.
            q = (select(followed_issues.c.okdesk_issue_id)
                 .where(or_(followed_issues.c.last_fetched_at.is_(None),
                            followed_issues.c.last_fetched_at < fetched_before))
                 .order_by(followed_issues.c.last_fetched_at.asc().nulls_first(), followed_issues.c.okdesk_issue_id)
                 .limit(limit))
            return list(conn.execute(q).scalars())

    def seen_ids(self, issue_id: int) -> tuple[frozenset[int], frozenset[int]]:
        with self.engine.connect() as conn:
            comments = conn.execute(select(seen_comments.c.okdesk_comment_id)
                                    .where(seen_comments.c.okdesk_issue_id == issue_id)).scalars()
            files = conn.execute(select(seen_attachments.c.okdesk_attachment_id)
                                 .where(seen_attachments.c.okdesk_issue_id == issue_id)).scalars()
            return frozenset(comments), frozenset(files)

    def own_comment_ids(self, issue_id: int) -> frozenset[int]:
        with self.engine.connect() as conn:
            return frozenset(conn.execute(select(own_comments.c.okdesk_comment_id)
                                          .where(own_comments.c.okdesk_issue_id == issue_id)).scalars())

    def record_own_comment(self, issue_id: int, comment_id: int) -> None:
        with self.engine.begin() as conn:
            insert_ignore(conn, own_comments, [{"okdesk_comment_id": comment_id, "okdesk_issue_id": issue_id,
                                                "created_at": utcnow()}])

    def update_followed(self, issue_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(followed_issues).where(followed_issues.c.okdesk_issue_id == issue_id).values(**values))

    def apply_issue_plan(self, issue_id: int, *, outbox_rows: Sequence[dict[str, Any]],
                         seen_comment_ids: Iterable[int], seen_attachment_ids: Iterable[int],
                         followed_values: dict[str, Any], forget_values: Mapping[str, str] | None = None) -> int:
        """Outbox rows, seen marks and the issue's new memory (``forget_values``: kv entries it used up,
        deleted only while they still hold the value it read): all or nothing."""
        with self.engine.begin() as conn:
            added = insert_ignore(conn, outbox, outbox_rows)
            for key, value in (forget_values or {}).items():
                conn.execute(delete(kv).where(kv.c.key == key, kv.c.value == value))
            insert_ignore(conn, seen_comments, [{"okdesk_issue_id": issue_id, "okdesk_comment_id": c}
                                                for c in seen_comment_ids])
            insert_ignore(conn, seen_attachments, [{"okdesk_issue_id": issue_id, "okdesk_attachment_id": a}
                                                   for a in seen_attachment_ids])
            conn.execute(update(followed_issues).where(followed_issues.c.okdesk_issue_id == issue_id)
                         .values(**followed_values))
        return added

    # ------------------------------------------------------------ outbox

    @staticmethod
    def outbox_row(*, dedupe_key: str, kind: str, payload: str, message_count: int, tg_chat_id: int | None = None,
                   okdesk_issue_id: int | None = None) -> dict[str, Any]:
        now = utcnow()
        return dict(dedupe_key=dedupe_key, kind=kind, payload=payload, tg_chat_id=tg_chat_id,
                    okdesk_issue_id=okdesk_issue_id,
                    random_ids=json.dumps([new_random_id() for _ in range(message_count)]),
                    progress=0, state=PENDING, attempts=0, next_try_at=now, budget_spent=0.0,
                    tg_message_ids="[]", created_at=now)

    def add_outbox(self, rows: Sequence[dict[str, Any]]) -> int:
        with self.engine.begin() as conn:
            return insert_ignore(conn, outbox, rows)

    def chat_heads(self, kind: str) -> list[OutboxItem]:
        """The oldest waiting item of each chat whose user has not blocked the bot."""
        with self.engine.connect() as conn:
            heads = (select(func.min(outbox.c.id))
                     .where(outbox.c.state.in_(WAITING_OUTBOX_STATES), outbox.c.kind == kind)
                     .group_by(outbox.c.tg_chat_id))
            q = (select(outbox).where(outbox.c.id.in_(heads))
                 .where(~outbox.c.tg_chat_id.in_(select(links.c.tg_chat_id).where(links.c.blocked_at.is_not(None))))
                 .order_by(outbox.c.next_try_at, outbox.c.id))
            return every(OutboxItem, conn.execute(q))

    def due_items(self, kind: str, now: datetime, limit: int = 50) -> list[OutboxItem]:
        with self.engine.connect() as conn:
            q = (select(outbox).where(outbox.c.state.in_(WAITING_OUTBOX_STATES), outbox.c.kind == kind,
                                      outbox.c.next_try_at <= now)
                 .order_by(outbox.c.id).limit(limit))
            return every(OutboxItem, conn.execute(q))

    def notices_keyed(self, prefix: str, suffix: str) -> list[OutboxItem]:
        """Staff notices whose dedupe key begins with ``prefix`` and ends with ``suffix``, oldest first."""
        with self.engine.connect() as conn:
            # LIKE narrows it down (an underscore in the prefix matches any character); the exact test follows.
            rows = every(OutboxItem, conn.execute(select(outbox).where(
                outbox.c.kind == OUTBOX_NOTICE, outbox.c.dedupe_key.like(f"{prefix}%")).order_by(outbox.c.id)))
        return [r for r in rows if r.dedupe_key.startswith(prefix) and r.dedupe_key.endswith(suffix)]

    def get_outbox(self, outbox_id: int) -> OutboxItem | None:
        with self.engine.connect() as conn:
            return one(OutboxItem, conn.execute(select(outbox).where(outbox.c.id == outbox_id)).first())

    def record_step(self, outbox_id: int, progress: int, tg_message_ids: Sequence[int], *, tg_chat_id: int | None,
                    okdesk_issue_id: int | None, okdesk_comment_id: int | None, done: bool) -> None:
        """One step of an item succeeded: remember it (and its message ids) before the next step."""
        now = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(select(outbox.c.tg_message_ids).where(outbox.c.id == outbox_id)).scalar_one()
            ids = json.loads(row) + [int(m) for m in tg_message_ids]
            values: dict[str, Any] = dict(progress=progress, tg_message_ids=json.dumps(ids), last_error=None,
                                          unconfirmed_since=None)
            if done:
                values.update(state=DONE, done_at=now)
            # An item cancelled while its send was in flight (the client unlinked) stays cancelled.
            changed = conn.execute(update(outbox).where(outbox.c.id == outbox_id, outbox.c.state != CANCELLED)
                                   .values(**values)).rowcount
            if changed and tg_chat_id is not None and okdesk_issue_id is not None:
                insert_ignore(conn, message_map, [
                    dict(tg_chat_id=tg_chat_id, tg_message_id=m, okdesk_issue_id=okdesk_issue_id,
                         okdesk_comment_id=okdesk_comment_id, outbox_id=outbox_id, created_at=now)
                    for m in tg_message_ids])

    def mark_done(self, outbox_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(state=DONE, done_at=utcnow()))

    def record_failure(self, outbox_id: int, *, error: str, next_try_at: datetime, budget_spent: float,
                       parked: bool, count_attempt: bool = True, unsure: bool | None = None) -> None:
        """A failed try. ``unsure``: whether the item's side effect may have happened (UNSURE) or
        certainly did not (pending); None leaves a waiting item's state as it is."""
        # A definite answer: nothing of this step is in flight any more (syncd.relay.sender).
        values: dict[str, Any] = dict(last_error=error[:500], next_try_at=next_try_at, budget_spent=budget_spent,
                                      last_attempt_at=utcnow(), unconfirmed_since=None)
        if parked:
            values["state"] = FAILED
        elif unsure is not None:
            values["state"] = UNSURE if unsure else PENDING
        with self.engine.begin() as conn:
            stmt = update(outbox).where(outbox.c.id == outbox_id, outbox.c.state.in_(WAITING_OUTBOX_STATES)
                                        if unsure is not None else outbox.c.state != CANCELLED)
            if count_attempt:
                values["attempts"] = outbox.c.attempts + 1
            conn.execute(stmt.values(**values))

    def record_unconfirmed(self, outbox_id: int, *, since: datetime, error: str, next_try_at: datetime) -> None:
        """Telegram answered RANDOM_ID_DUPLICATE: the step's first send may still be in flight. Not the
        item's failure (no attempt, no budget): it is asked again, same random_ids, at ``next_try_at``."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == outbox_id, outbox.c.state != CANCELLED).values(
                unconfirmed_since=since, last_error=error[:500], next_try_at=next_try_at, last_attempt_at=utcnow()))

    def mark_unsure(self, outbox_id: int) -> None:
        """Before a write whose outcome could be lost: the next attempt must look before it writes."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == outbox_id, outbox.c.state.in_(WAITING_OUTBOX_STATES))
                         .values(state=UNSURE))

    # ------------------------------------------------------------ message map

    def issue_for_message(self, tg_chat_id: int, tg_message_id: int) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(message_map.c.okdesk_issue_id).where(
                message_map.c.tg_chat_id == tg_chat_id, message_map.c.tg_message_id == tg_message_id)).scalar()

    # ------------------------------------------------------------ dialogs

    def get_dialog(self, tg_user_id: int) -> tuple[str, dict[str, Any]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(dialogs).where(dialogs.c.tg_user_id == tg_user_id)).first()
        return (row.state, json.loads(row.data)) if row else None

    def set_dialog(self, tg_user_id: int, state: str, data: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(dialogs).where(dialogs.c.tg_user_id == tg_user_id))
            conn.execute(insert(dialogs).values(tg_user_id=tg_user_id, state=state,
                                                data=json.dumps(data, ensure_ascii=False), updated_at=utcnow()))

    def clear_dialog(self, tg_user_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(dialogs).where(dialogs.c.tg_user_id == tg_user_id))

    # ------------------------------------------------------------ kv

    def get_value(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(kv.c.value).where(kv.c.key == key)).scalar()

    def set_value(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(kv).where(kv.c.key == key))
            conn.execute(insert(kv).values(key=key, value=value, updated_at=utcnow()))

    def delete_value(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(kv).where(kv.c.key == key))
