"""The store's inbound half: messages clients sent, and the jobs that carry them into Okdesk.

A message is recorded (keyed by chat and message id) before anything is done with it; a job's
outcome is recorded together with everything that follows from it (own comment, seen files,
the followed issue, the confirmation to send) in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, case, func, insert, literal, select, update

from syncd.clock import utcnow
from syncd.store.rows import InboundJob, InboxMessage, every, one
from syncd.store.schema import (
    UTCDateTime,
    followed_issues,
    inbound_jobs,
    inbox_messages,
    message_map,
    outbox,
    own_comments,
    seen_attachments,
)
from syncd.store.sql import dialect_insert_of, insert_ignore
from syncd.store.states import (
    BLANK_CONTENT,
    RUNNABLE_JOB_STATES,
    UNSURE,
)
from syncd.store.states import (
    JOB_ASKING as ASKING,
)
from syncd.store.states import (
    JOB_CANCELLED as CANCELLED,
)
from syncd.store.states import (
    JOB_DONE as DONE,
)
from syncd.store.states import (
    JOB_DUPLICATE as DUPLICATE,
)
from syncd.store.states import (
    JOB_EXPIRED as EXPIRED,
)
from syncd.store.states import (
    JOB_FAILED as FAILED,
)
from syncd.store.states import (
    JOB_QUEUED as QUEUED,
)
from syncd.store.states import (
    JOB_REFUSED as REFUSED,
)
from syncd.store.states import (
    OPEN_JOB_STATES as OPEN_STATES,
)

# Its states have their home in syncd.store.states; named here too for the code that moves jobs.
__all__ = ["ASKING", "CANCELLED", "DONE", "DUPLICATE", "EXPIRED", "FAILED", "OPEN_STATES", "QUEUED", "REFUSED", "RUNNABLE_JOB_STATES",
           "UNSURE", "InboundStore"]


class _Taken(Exception):
    """Another job took one of the messages: the transaction is rolled back."""


class InboundStore:
    engine: Engine

    # ------------------------------------------------------------ messages

    def record_message(self, **values: Any) -> int | None:
        """The message's row id, or None when it was recorded before (Telegram handed it over again)."""
        values.setdefault("received_at", utcnow())
        with self.engine.begin() as conn:
            stmt = dialect_insert_of(conn)(inbox_messages).values(**values).on_conflict_do_nothing().returning(
                inbox_messages.c.id)
            return conn.execute(stmt).scalar()

    def highest_message_id(self, before: datetime) -> int | None:
        """The highest Telegram message id the daemon knew of at ``before``: a client's message it
        recorded (dated by Telegram) or one of its own it mapped to an issue. In private chats ids are
        one sequence per account, so what came after ``before`` lies above it."""
        with self.engine.connect() as conn:
            found = [conn.execute(select(func.max(inbox_messages.c.tg_message_id)).where(
                         inbox_messages.c.sent_at <= before)).scalar(),
                     conn.execute(select(func.max(message_map.c.tg_message_id)).where(
                         message_map.c.created_at <= before)).scalar()]
        known = [int(i) for i in found if i is not None]
        return max(known) if known else None

    def mark_handled(self, message_row_id: int) -> None:
        """A command, a menu button or a linking step: never a job, and never taken up by resume."""
        with self.engine.begin() as conn:
            # Only the key is needed from now on (to recognise the message if handed over again): a
            # linking step holds a phone or a name, and nothing keeps what is not needed.
            conn.execute(update(inbox_messages).where(inbox_messages.c.id == message_row_id,
                                                      inbox_messages.c.job_id.is_(None)).values(
                job_id=0, content=BLANK_CONTENT, media=None))

    def message_row(self, message_row_id: int) -> InboxMessage | None:
        with self.engine.connect() as conn:
            return one(InboxMessage, conn.execute(select(inbox_messages).where(
                inbox_messages.c.id == message_row_id)).first())

    def unassigned_messages(self, tg_chat_id: int | None = None, grouped_id: int | None = None,
                            received_before: datetime | None = None) -> list[InboxMessage]:
        """Messages without a job: an album still arriving, or one a crash caught before its job."""
        q = select(inbox_messages).where(inbox_messages.c.job_id.is_(None))
        if received_before is not None:
            q = q.where(inbox_messages.c.received_at < received_before)
        if tg_chat_id is not None:
            q = q.where(inbox_messages.c.tg_chat_id == tg_chat_id)
        if grouped_id is not None:
            q = q.where(inbox_messages.c.grouped_id == grouped_id)
        with self.engine.connect() as conn:
            return every(InboxMessage, conn.execute(q.order_by(inbox_messages.c.tg_message_id)))

    def job_messages(self, job_id: int) -> list[InboxMessage]:
        with self.engine.connect() as conn:
            return every(InboxMessage, conn.execute(select(inbox_messages).where(inbox_messages.c.job_id == job_id)
                                                    .order_by(inbox_messages.c.tg_message_id)))

    def message_job(self, tg_chat_id: int, tg_message_id: int) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(inbox_messages.c.job_id).where(
                inbox_messages.c.tg_chat_id == tg_chat_id, inbox_messages.c.tg_message_id == tg_message_id)).scalar()

    # ------------------------------------------------------------ jobs

    def create_job(self, message_ids: Sequence[int], **values: Any) -> int | None:
        """A job for these messages, unless another job took them meanwhile (then None)."""
        now = utcnow()
        values.setdefault("next_try_at", now)
        if values.get("state") == QUEUED:
            values.setdefault("queued_at", now)  # the worker takes it up now: sync.ack_after counts from here
        try:
            with self.engine.begin() as conn:
                inserted = conn.execute(insert(inbound_jobs).values(
                    attempts=0, budget_spent=0.0, dropped_files="[]", created_at=now, **values)
                ).inserted_primary_key
                assert inserted is not None  # a single-row INSERT always has its key
                job_id = inserted[0]
                taken = conn.execute(update(inbox_messages).where(
                    inbox_messages.c.id.in_(list(message_ids)), inbox_messages.c.job_id.is_(None)
                ).values(job_id=job_id))
                if taken.rowcount != len(message_ids):
                    raise _Taken
        except _Taken:
            return None
        return int(job_id)

    def get_job(self, job_id: int) -> InboundJob | None:
        with self.engine.connect() as conn:
            return one(InboundJob, conn.execute(select(inbound_jobs).where(inbound_jobs.c.id == job_id)).first())

    def update_job(self, job_id: int, *, only_if_state: Sequence[str] | None = None,
                   tell: dict[str, Any] | None = None, **values: Any) -> bool:
        """Change a job; with ``only_if_state`` only from those states (a double tap changes it once).
        ``tell``: an outbox row (what the client hears of it), written with the change or not at all."""
        stmt = update(inbound_jobs).where(inbound_jobs.c.id == job_id)
        if only_if_state is not None:
            stmt = stmt.where(inbound_jobs.c.state.in_(list(only_if_state)))
        if values.get("state") == QUEUED and "queued_at" not in values:
            # Queued after a question to the client (or a failure): the worker tries it from now, and the
            # time the question waited does not count toward sync.ack_after. Back from unsure it stays.
            values["queued_at"] = case((inbound_jobs.c.state.in_([ASKING, FAILED]), literal(utcnow(), UTCDateTime())),
                                       else_=inbound_jobs.c.queued_at)
        with self.engine.begin() as conn:
            changed = conn.execute(stmt.values(**values)).rowcount == 1
            if changed and tell is not None:
                insert_ignore(conn, outbox, [tell])
            return changed

    def unacked_jobs(self, limit: int = 100) -> list[InboundJob]:
        """Jobs the worker tries to post whose client has not been told they were received, oldest first."""
        with self.engine.connect() as conn:
            return every(InboundJob, conn.execute(select(inbound_jobs).where(
                inbound_jobs.c.state.in_(RUNNABLE_JOB_STATES), inbound_jobs.c.acked_at.is_(None))
                .order_by(inbound_jobs.c.id).limit(limit)))

    def ack_job(self, job_id: int, tell: dict[str, Any]) -> bool:
        """The client is told once that the job's message was received: the mark and the outbox row that
        tells it in one transaction (False, nothing written: told already, or the job is no longer
        waiting). The outbox sends it under the random_id chosen here, so a send a crash cut off goes
        again under the same one and Telegram keeps one message."""
        with self.engine.begin() as conn:
            changed = conn.execute(update(inbound_jobs).where(
                inbound_jobs.c.id == job_id, inbound_jobs.c.acked_at.is_(None),
                inbound_jobs.c.state.in_(RUNNABLE_JOB_STATES)).values(acked_at=utcnow())).rowcount == 1
            if changed:
                insert_ignore(conn, outbox, [tell])
            return changed

    @staticmethod
    def _heads() -> Any:
        """Each client's oldest open job: one client's jobs go in the order they were sent."""
        return (select(func.min(inbound_jobs.c.id)).where(inbound_jobs.c.state.in_(RUNNABLE_JOB_STATES))
                .group_by(inbound_jobs.c.tg_user_id))

    def due_jobs(self, now: datetime, limit: int = 100) -> list[InboundJob]:
        """The due heads, the oldest first. Heads only: a client with hundreds of jobs queued must
        not hide the others' behind a row limit."""
        with self.engine.connect() as conn:
            q = (select(inbound_jobs).where(inbound_jobs.c.id.in_(self._heads()), inbound_jobs.c.next_try_at <= now)
                 .order_by(inbound_jobs.c.id).limit(limit))
            return every(InboundJob, conn.execute(q))

    def next_job_time(self, busy_users: Sequence[int] = ()) -> datetime | None:
        """When the next head is due (a job behind a waiting head is not due before it); the heads
        of ``busy_users`` are running already and do not count."""
        q = select(func.min(inbound_jobs.c.next_try_at)).where(inbound_jobs.c.id.in_(self._heads()))
        if busy_users:
            q = q.where(inbound_jobs.c.tg_user_id.not_in(list(busy_users)))
        with self.engine.connect() as conn:
            return conn.execute(q).scalar()

    def twin_job(self, tg_user_id: int, fingerprint: str, since: datetime, until: datetime,
                 exclude: int) -> InboundJob | None:
        """Another job of the client with the same content, sent within the window, turned (or
        turning) into an issue."""
        with self.engine.connect() as conn:
            return one(InboundJob, conn.execute(select(inbound_jobs).where(
                inbound_jobs.c.tg_user_id == tg_user_id, inbound_jobs.c.fingerprint == fingerprint,
                inbound_jobs.c.sent_at >= since, inbound_jobs.c.sent_at <= until, inbound_jobs.c.id != exclude,
                inbound_jobs.c.action == "create",
                inbound_jobs.c.state.in_([*RUNNABLE_JOB_STATES, DONE])).order_by(inbound_jobs.c.id)).first())

    def unasked_jobs(self, created_before: datetime) -> list[InboundJob]:
        """Jobs waiting for the client's choice whose question a crash kept from being sent."""
        with self.engine.connect() as conn:
            return every(InboundJob, conn.execute(select(inbound_jobs).where(
                inbound_jobs.c.state == ASKING, inbound_jobs.c.ask_message_id.is_(None),
                inbound_jobs.c.created_at < created_before).order_by(inbound_jobs.c.id)))

    def map_message(self, tg_chat_id: int, tg_message_id: int, okdesk_issue_id: int) -> None:
        """A bot message about one issue (a card, a question): a reply to it is a comment on the issue."""
        from syncd.store.schema import message_map

        with self.engine.begin() as conn:
            insert_ignore(conn, message_map, [dict(tg_chat_id=tg_chat_id, tg_message_id=tg_message_id,
                                                    okdesk_issue_id=okdesk_issue_id, created_at=utcnow())])

    def expired_questions(self, now: datetime, created_before: datetime) -> list[InboundJob]:
        """Jobs whose question was asked and went unanswered: an asking job's next_try_at is when its
        question expires (the worker never takes an asking job, so the column is free for it). Made
        before ``created_before`` too: a question asked by a version that did not set the expiry waits
        its whole time from its job's creation."""
        with self.engine.connect() as conn:
            return every(InboundJob, conn.execute(select(inbound_jobs).where(
                inbound_jobs.c.state == ASKING, inbound_jobs.c.ask_message_id.is_not(None),
                inbound_jobs.c.next_try_at < now, inbound_jobs.c.created_at < created_before)
                .order_by(inbound_jobs.c.id)))

    def asking_jobs(self, tg_user_id: int) -> list[InboundJob]:
        with self.engine.connect() as conn:
            return every(InboundJob, conn.execute(select(inbound_jobs).where(
                inbound_jobs.c.tg_user_id == tg_user_id, inbound_jobs.c.state == ASKING)))

    def contacts_creating_issues(self) -> set[int]:
        """Contacts an issue is being created for right now: the poller leaves their new issues alone."""
        from syncd.store.schema import links

        with self.engine.connect() as conn:
            q = (select(links.c.okdesk_contact_id).join(inbound_jobs, inbound_jobs.c.tg_user_id == links.c.tg_user_id)
                 .where(inbound_jobs.c.action == "create", inbound_jobs.c.state == UNSURE))
            return {int(c) for c in conn.execute(q).scalars()}

    def claimed_comment_ids(self, issue_id: int) -> set[int]:
        """Comments of the issue some job already made (ours, and those echoed to a colleague's requester)."""
        with self.engine.connect() as conn:
            own = conn.execute(select(own_comments.c.okdesk_comment_id).where(
                own_comments.c.okdesk_issue_id == issue_id)).scalars()
            made = conn.execute(select(inbound_jobs.c.okdesk_comment_id).where(
                inbound_jobs.c.okdesk_issue_id == issue_id, inbound_jobs.c.okdesk_comment_id.is_not(None))).scalars()
            return {int(c) for c in [*own, *made]}

    def claimed_issue_ids(self, tg_user_id: int) -> set[int]:
        with self.engine.connect() as conn:
            return {int(i) for i in conn.execute(select(inbound_jobs.c.okdesk_issue_id).where(
                inbound_jobs.c.tg_user_id == tg_user_id, inbound_jobs.c.action == "create",
                inbound_jobs.c.state == DONE)).scalars() if i is not None}

    def finish_job(self, job_id: int, *, okdesk_issue_id: int, okdesk_comment_id: int | None,
                   attachment_ids: Sequence[int], follow: dict[str, Any] | None,
                   confirmation: dict[str, Any] | None, dropped_files: Sequence[dict[str, str]] = (),
                   echo_to_requester: bool = False) -> bool:
        """The job's outcome and all that follows from it, at once: a crash leaves all or nothing.

        ``echo_to_requester``: a comment on a colleague's issue (company-wide access) is not marked as
        ours, so the poller brings it, with its files, to the issue's own requester in Telegram."""
        now = utcnow()
        with self.engine.begin() as conn:
            changed = conn.execute(update(inbound_jobs).where(
                and_(inbound_jobs.c.id == job_id, inbound_jobs.c.state.in_(RUNNABLE_JOB_STATES))).values(
                state=DONE, okdesk_issue_id=okdesk_issue_id, okdesk_comment_id=okdesk_comment_id,
                dropped_files=json.dumps(list(dropped_files), ensure_ascii=False), done_at=now, last_error=None))
            if changed.rowcount != 1:
                return False
            if okdesk_comment_id is not None and not echo_to_requester:
                insert_ignore(conn, own_comments, [dict(okdesk_comment_id=okdesk_comment_id,
                                                         okdesk_issue_id=okdesk_issue_id, created_at=now)])
            if follow is not None:
                insert_ignore(conn, followed_issues, [follow])
            elif okdesk_comment_id is not None:
                # Due for a look at once: the sweep's next visit sees whether the comment bumped the
                # issue's updated_at (syncd.sync.account), live evidence instead of waiting for staff.
                conn.execute(update(followed_issues).where(followed_issues.c.okdesk_issue_id == okdesk_issue_id)
                             .values(last_fetched_at=None))
            if not echo_to_requester:
                insert_ignore(conn, seen_attachments, [dict(okdesk_issue_id=okdesk_issue_id,
                                                             okdesk_attachment_id=a) for a in attachment_ids])
            if confirmation is not None:
                insert_ignore(conn, outbox, [confirmation])
        return True
