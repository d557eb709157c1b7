"""What ``syncd status`` and ``syncd retry`` read and change, from outside the daemon.

Mixed into :class:`syncd.store.Store`. Re-queueing touches only items in state "failed", in one
UPDATE per table, so a running daemon sees an item either parked or waiting, never half of it;
it picks the items up on its own (the sender and the inbound worker look at their queues every
``sync.sender_idle`` seconds).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, func, select, update

from syncd.clock import utcnow
from syncd.store.schema import followed_issues, inbound_jobs, links, outbox
from syncd.store.states import FAILED as OUTBOX_FAILED
from syncd.store.states import (
    INBOUND_PREFIX,
    JOB_FAILED,
    OUTBOX_NOTICE,
    OUTBOX_PREFIX,
    UNSURE,
    WAITING_OUTBOX_STATES,
)
from syncd.store.states import JOB_ASKING as ASKING
from syncd.store.states import JOB_QUEUED as QUEUED
from syncd.store.states import OPEN_JOB_STATES as OPEN_STATES
from syncd.store.states import PENDING as OUTBOX_PENDING


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
    inbound_waiting: Backlog  # queued, unsure, and asking the client a question
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


def _by_state(rows: Any) -> dict[str, Backlog]:
    """(state, count, oldest created_at) rows of a GROUP BY state: a state with no rows is absent."""
    return {state: Backlog(int(count or 0), oldest) for state, count, oldest in rows}


def _together(backlogs: dict[str, Backlog], states: Sequence[str]) -> Backlog:
    waiting = [backlogs[state] for state in states if state in backlogs]
    oldest = [b.oldest for b in waiting if b.oldest is not None]
    return Backlog(sum(b.count for b in waiting), min(oldest, default=None))


class StatusStore:
    engine: Engine

    def status_counts(self) -> Counts:
        # Read every few seconds for the systemd STATUS= line as long as the daemon runs: one query
        # per table, each queue grouped by state once, rather than one query per figure.
        with self.engine.connect() as conn:
            linked, blocked = conn.execute(select(func.count(), func.count(links.c.blocked_at))).one()
            followed = conn.execute(select(func.count()).select_from(followed_issues)).scalar_one()
            out = _by_state(conn.execute(
                select(outbox.c.state, func.count(), func.min(outbox.c.created_at))
                .where(outbox.c.state.in_([*WAITING_OUTBOX_STATES, OUTBOX_FAILED])).group_by(outbox.c.state)))
            jobs = _by_state(conn.execute(
                select(inbound_jobs.c.state, func.count(), func.min(inbound_jobs.c.created_at))
                .where(inbound_jobs.c.state.in_([*OPEN_STATES, JOB_FAILED])).group_by(inbound_jobs.c.state)))
        # Every open job is waiting, one asking the client a question too (Counts.inbound_waiting).
        return Counts(linked_clients=int(linked), blocked_clients=int(blocked), followed_issues=int(followed),
                      outbox_waiting=_together(out, WAITING_OUTBOX_STATES),
                      outbox_failed=out.get(OUTBOX_FAILED, Backlog()),
                      inbound_waiting=_together(jobs, OPEN_STATES),
                      inbound_asking=jobs.get(ASKING, Backlog()).count,
                      inbound_failed=jobs.get(JOB_FAILED, Backlog()))

    def items_by_state(self) -> dict[str, dict[str, int]]:
        """Every outbox item and inbound job counted by its state, finished ones included (syncd.app.metrics):
        {"outbox": {"done": 40, "pending": 2, ...}, "inbound": {...}}; a state no item is in is absent."""
        with self.engine.connect() as conn:
            out = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
            jobs = conn.execute(select(inbound_jobs.c.state, func.count()).group_by(inbound_jobs.c.state)).all()
        return {"outbox": {str(s): int(n) for s, n in out}, "inbound": {str(s): int(n) for s, n in jobs}}

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
        A staff notice goes back unsure: every try of it reached its POST or the search before it,
        and one that may have posted must look for its comment before posting again.
        """
        stmt = update(outbox).where(outbox.c.state == OUTBOX_FAILED)
        if ids is not None:
            stmt = stmt.where(outbox.c.id.in_(list(ids)))
        with self.engine.begin() as conn:
            state = case((outbox.c.kind == OUTBOX_NOTICE, UNSURE), else_=OUTBOX_PENDING)
            done = conn.execute(stmt.values(state=state, next_try_at=utcnow(), budget_spent=0.0, attempts=0,
                                            last_attempt_at=None).returning(outbox.c.id)).scalars()
            return sorted(int(i) for i in done)

    def requeue_inbound(self, ids: Sequence[int] | None = None) -> list[int]:
        """Failed inbound jobs (all when ``ids`` is None) back in the queue with a fresh retry budget.

        A job that ever reached its POST goes back as "unsure", not "queued": that POST may have
        created the comment or issue, and an unsure job searches Okdesk for it before posting again.
        """
        requeued: list[int] = []
        with self.engine.begin() as conn:
            for state, never_posted in ((QUEUED, True), (UNSURE, False)):
                stmt = update(inbound_jobs).where(inbound_jobs.c.state == JOB_FAILED)
                if ids is not None:
                    stmt = stmt.where(inbound_jobs.c.id.in_(list(ids)))
                first = inbound_jobs.c.first_attempt_at
                stmt = stmt.where(first.is_(None) if never_posted else first.is_not(None))
                requeued += conn.execute(stmt.values(state=state, next_try_at=utcnow(), budget_spent=0.0, attempts=0,
                                                    queued_at=utcnow())
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
