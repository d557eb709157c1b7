"""What ``syncd status`` and ``syncd retry`` read and change, from outside the daemon.

Mixed into :class:`syncd.store.Store`. Re-queueing touches only items in state "failed", in one
UPDATE per table, so a running daemon sees an item either parked or waiting, never half of it;
it picks the items up on its own (the sender and the inbound worker look at their queues every
``sync.sender_idle`` seconds).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, func, select, update

from syncd.clock import utcnow
from syncd.store.db import SchemaError, make_engine, sqlite_path
from syncd.store.inbound_repo import ASKING, POSTING, QUEUED
from syncd.store.inbound_repo import FAILED as JOB_FAILED
from syncd.store.schema import followed_issues, inbound_jobs, links, outbox

# The outbox states, spelled as in repo.py (which mixes this class in: importing it would be circular).
OUTBOX_PENDING, OUTBOX_FAILED = "pending", "failed"
OUTBOX_PREFIX, INBOUND_PREFIX = "o", "i"


@dataclass(frozen=True)
class Backlog:
    count: int = 0
    oldest: datetime | None = None  # when the oldest of them was created


@dataclass(frozen=True)
class Counts:
    linked_clients: int
    blocked_clients: int
    followed_issues: int
    outbox_waiting: Backlog
    outbox_failed: Backlog
    inbound_waiting: Backlog  # queued, posting, and asking the client a question
    inbound_asking: int
    inbound_failed: Backlog


@dataclass(frozen=True)
class FailedItem:
    ref: str  # "o12" (outbox) or "i7" (inbound job): what `syncd retry` takes
    kind: str
    tg_chat_id: int | None
    okdesk_issue_id: int | None
    last_error: str | None
    created_at: datetime


def open_existing(url: str) -> Engine:
    """An engine on a database that must already exist: a missing SQLite file is refused, never created.

    The daemon's WAL mode stays as it is (a connection inherits it from the file); the busy
    timeout lets a command wait for the daemon's short transactions.
    """
    path = sqlite_path(url)
    if path is None:
        return make_engine(url)
    try:
        exists = path.is_file()
    except OSError as exc:  # the state directory is 0700: another user may not even look
        raise SchemaError(f"cannot look at {path}: {exc.strerror} (run this as the service's user, or root)") from None
    if not exists:
        raise SchemaError(f"there is no database at {path}: has the daemon ever run with this config? "
                          "(status and retry never create one)")
    uri = f"file:{quote(str(path.resolve()))}?mode=rw"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    return create_engine("sqlite://", creator=connect)


def _backlog(row: Any) -> Backlog:
    return Backlog(int(row[0] or 0), row[1]) if row is not None else Backlog()


class StatusStore:
    engine: Engine

    def status_counts(self) -> Counts:
        with self.engine.connect() as conn:
            linked = conn.execute(select(func.count()).select_from(links)).scalar_one()
            blocked = conn.execute(select(func.count()).select_from(links)
                                   .where(links.c.blocked_at.is_not(None))).scalar_one()
            followed = conn.execute(select(func.count()).select_from(followed_issues)).scalar_one()
            out = {state: (count, oldest) for state, count, oldest in conn.execute(
                select(outbox.c.state, func.count(), func.min(outbox.c.created_at))
                .where(outbox.c.state.in_([OUTBOX_PENDING, OUTBOX_FAILED])).group_by(outbox.c.state))}
            waiting = conn.execute(select(func.count(), func.min(inbound_jobs.c.created_at))
                                   .where(inbound_jobs.c.state.in_([ASKING, QUEUED, POSTING]))).first()
            asking = conn.execute(select(func.count()).select_from(inbound_jobs)
                                  .where(inbound_jobs.c.state == ASKING)).scalar_one()
            failed = conn.execute(select(func.count(), func.min(inbound_jobs.c.created_at))
                                  .where(inbound_jobs.c.state == JOB_FAILED)).first()
        return Counts(linked_clients=int(linked), blocked_clients=int(blocked), followed_issues=int(followed),
                      outbox_waiting=_backlog(out.get(OUTBOX_PENDING)), outbox_failed=_backlog(out.get(OUTBOX_FAILED)),
                      inbound_waiting=_backlog(waiting), inbound_asking=int(asking), inbound_failed=_backlog(failed))

    def failed_items(self) -> list[FailedItem]:
        """Every parked item, outbox and inbound alike, the oldest first."""
        items: list[FailedItem] = []
        with self.engine.connect() as conn:
            for row in conn.execute(select(outbox).where(outbox.c.state == OUTBOX_FAILED).order_by(outbox.c.id)):
                items.append(FailedItem(
                    ref=f"{OUTBOX_PREFIX}{row.id}", kind=_outbox_kind(row.kind, row.payload), tg_chat_id=row.tg_chat_id,
                    okdesk_issue_id=row.okdesk_issue_id, last_error=row.last_error, created_at=row.created_at))
            for row in conn.execute(select(inbound_jobs).where(inbound_jobs.c.state == JOB_FAILED)
                                    .order_by(inbound_jobs.c.id)):
                items.append(FailedItem(
                    ref=f"{INBOUND_PREFIX}{row.id}",
                    kind="from client: " + ("new issue" if row.action == "create" else "comment"),
                    tg_chat_id=row.tg_chat_id, okdesk_issue_id=row.okdesk_issue_id, last_error=row.last_error,
                    created_at=row.created_at))
        return sorted(items, key=lambda i: i.created_at)

    def requeue_outbox(self, ids: Sequence[int] | None = None) -> list[int]:
        """Failed outbox items (all when ``ids`` is None) back to pending with a fresh retry budget.

        The random_ids and the progress stay: a message Telegram took before is not sent again.
        The last error stays too: a staff notice whose POST may have happened searches first.
        """
        stmt = update(outbox).where(outbox.c.state == OUTBOX_FAILED)
        if ids is not None:
            stmt = stmt.where(outbox.c.id.in_(list(ids)))
        with self.engine.begin() as conn:
            done = conn.execute(stmt.values(state=OUTBOX_PENDING, next_try_at=utcnow(), budget_spent=0.0, attempts=0,
                                            last_attempt_at=None).returning(outbox.c.id)).scalars()
            return sorted(int(i) for i in done)

    def requeue_inbound(self, ids: Sequence[int] | None = None) -> list[int]:
        """Failed inbound jobs (all when ``ids`` is None) back in the queue with a fresh retry budget.

        A job that ever reached its POST goes back as "posting", not "queued": that POST may have
        created the comment or issue, and a posting job searches Okdesk for it before posting again.
        """
        requeued: list[int] = []
        with self.engine.begin() as conn:
            for state, never_posted in ((QUEUED, True), (POSTING, False)):
                stmt = update(inbound_jobs).where(inbound_jobs.c.state == JOB_FAILED)
                if ids is not None:
                    stmt = stmt.where(inbound_jobs.c.id.in_(list(ids)))
                first = inbound_jobs.c.first_attempt_at
                stmt = stmt.where(first.is_(None) if never_posted else first.is_not(None))
                requeued += conn.execute(stmt.values(state=state, next_try_at=utcnow(), budget_spent=0.0, attempts=0)
                                         .returning(inbound_jobs.c.id)).scalars()
        return sorted(int(i) for i in requeued)

    def item_states(self, outbox_ids: Sequence[int], inbound_ids: Sequence[int]) -> dict[str, str]:
        """The current state of each named item, by its ref ("o12", "i7"); a ref not listed does not exist."""
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            if outbox_ids:
                for i, state in conn.execute(select(outbox.c.id, outbox.c.state).where(outbox.c.id.in_(outbox_ids))):
                    out[f"{OUTBOX_PREFIX}{i}"] = state
            if inbound_ids:
                for i, state in conn.execute(select(inbound_jobs.c.id, inbound_jobs.c.state)
                                             .where(inbound_jobs.c.id.in_(inbound_ids))):
                    out[f"{INBOUND_PREFIX}{i}"] = state
        return out


def _outbox_kind(kind: str, payload: str) -> str:
    if kind == "telegram":
        try:
            what = json.loads(payload).get("what") or "message"
        except (ValueError, AttributeError):
            what = "message"
        return f"to client: {what}"
    if kind == "okdesk_notice":
        return "staff notice"
    return kind
