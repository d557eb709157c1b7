"""The store's personal-data half: forgetting a client who unlinks, and forgetting old texts and phones.

Russia's personal-data law (152-FZ) expects data to be kept no longer than needed. What the daemon
keeps about a client: the link (their phone), the dialog state (a phone while a name is asked),
the texts and files of their messages, and the deliveries waiting for them. Keys stay where a
duplicate must stay impossible: an inbox row keeps its (chat, message) key with its text blanked,
so a message Telegram hands over again is still recognised and never becomes a second comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, or_, select, update

from syncd.clock import utcnow
from syncd.store.schema import (
    dialogs,
    inbound_jobs,
    inbox_messages,
    issue_ratings,
    links,
    message_map,
    outbox,
)
from syncd.store.states import BLANK_CONTENT, BLANK_PAYLOAD, CANCELLED, WAITING_OUTBOX_STATES
from syncd.store.states import DONE as OUTBOX_DONE
from syncd.store.states import FAILED as OUTBOX_FAILED
from syncd.store.states import JOB_ASKING as ASKING
from syncd.store.states import JOB_FAILED as FAILED
from syncd.store.states import JOB_QUEUED as QUEUED
from syncd.store.states import JOB_REFUSED as REFUSED
from syncd.store.states import OPEN_JOB_STATES as OPEN_STATES

_WAITING_JOBS = (ASKING, QUEUED)
# Jobs whose messages are still needed: open ones, and failed ones the sysadmin may re-queue.
_OPEN_JOBS = (*OPEN_STATES, FAILED)
_WAITING_OUTBOX = (*WAITING_OUTBOX_STATES, OUTBOX_FAILED)
_FINISHED_OUTBOX = (OUTBOX_DONE, CANCELLED)


@dataclass(frozen=True)
class Forgotten:
    """What an unlink removed (counts only: never what it was)."""

    messages: int
    jobs_refused: int
    deliveries: int  # waiting deliveries: cancelled (unlink) or parked (a deleted account)
    okdesk_issue_ids: tuple[int, ...] = ()  # the issues those deliveries were about


@dataclass(frozen=True)
class Purged:
    messages: int
    payloads: int
    phones: int
    dialogs: int


class PrivacyStore:
    engine: Engine

    def unlink(self, tg_user_id: int) -> Forgotten | None:
        """Forget the client, in one transaction: None when they were not linked.

        Followed issues stay: they belong to the Okdesk contact, which other Telegram users may
        share; without a link for the contact nothing about them reaches anyone.
        """
        with self.engine.begin() as conn:
            return self._forget(conn, tg_user_id, deliveries=CANCELLED, reason="the client unlinked")

    def forget_deleted_account(self, tg_user_id: int, reason: str) -> Forgotten | None:
        """The client's Telegram account is deleted: they will never write again. Forgotten as an
        unlink forgets them, except that their deliveries are parked as failed (``reason``), so the
        sysadmin sees what never reached them."""
        with self.engine.begin() as conn:
            return self._forget(conn, tg_user_id, deliveries=OUTBOX_FAILED, reason=reason)

    @staticmethod
    def _forget(conn: Connection, tg_user_id: int, *, deliveries: str, reason: str) -> Forgotten | None:
        now = utcnow()
        link = conn.execute(select(links).where(links.c.tg_user_id == tg_user_id)).first()
        if link is None:
            return None
        chat = link.tg_chat_id
        conn.execute(delete(links).where(links.c.tg_user_id == tg_user_id))
        conn.execute(delete(dialogs).where(dialogs.c.tg_user_id == tg_user_id))
        # Which bot message is about which issue: says nothing once the chat is unlinked.
        conn.execute(delete(message_map).where(message_map.c.tg_chat_id == chat))
        # Their ratings: Okdesk keeps the rating itself (and refuses a second); a rating still
        # waiting for its answer is not checked for someone who left.
        conn.execute(delete(issue_ratings).where(issue_ratings.c.tg_user_id == tg_user_id))
        jobs = conn.execute(update(inbound_jobs).where(
            inbound_jobs.c.tg_user_id == tg_user_id, inbound_jobs.c.state.in_(_WAITING_JOBS)).values(
            state=REFUSED, last_error=reason, done_at=now)).rowcount
        # A message still arriving (album) is handled: a restart must not take it up again.
        conn.execute(update(inbox_messages).where(
            inbox_messages.c.tg_user_id == tg_user_id, inbox_messages.c.job_id.is_(None)).values(job_id=0))
        messages = conn.execute(update(inbox_messages).where(
            inbox_messages.c.tg_user_id == tg_user_id,
            or_(inbox_messages.c.content != BLANK_CONTENT, inbox_messages.c.media.is_not(None))).values(
            content=BLANK_CONTENT, media=None)).rowcount
        waiting = (outbox.c.tg_chat_id == chat) & outbox.c.state.in_(_WAITING_OUTBOX)
        issues = sorted({i for (i,) in conn.execute(select(outbox.c.okdesk_issue_id).where(waiting)) if i})
        cancelled = conn.execute(update(outbox).where(waiting).values(
            state=deliveries, payload=BLANK_PAYLOAD, done_at=now if deliveries == CANCELLED else None,
            last_error=reason)).rowcount
        return Forgotten(messages=messages, jobs_refused=jobs, deliveries=cancelled,
                         okdesk_issue_ids=tuple(issues))

    def purge_personal_data(self, before: datetime) -> Purged:
        """Blank what is older than ``before``: message texts and files of finished jobs, the
        payloads of finished deliveries, the phones of links made before it, stale dialogs."""
        with self.engine.begin() as conn:
            open_jobs = select(inbound_jobs.c.id).where(inbound_jobs.c.state.in_(_OPEN_JOBS))
            messages = conn.execute(update(inbox_messages).where(
                inbox_messages.c.received_at < before,
                # A message some job still needs keeps its text until the job is over.
                inbox_messages.c.job_id.is_not(None), inbox_messages.c.job_id.not_in(open_jobs),
                or_(inbox_messages.c.content != BLANK_CONTENT, inbox_messages.c.media.is_not(None))).values(
                content=BLANK_CONTENT, media=None)).rowcount
            payloads = conn.execute(update(outbox).where(
                outbox.c.state.in_(_FINISHED_OUTBOX), outbox.c.done_at < before,
                outbox.c.payload != BLANK_PAYLOAD).values(payload=BLANK_PAYLOAD)).rowcount
            # The link keeps working by contact id; the number it was made with is not needed for that.
            phones = conn.execute(update(links).where(
                links.c.linked_at < before, links.c.phone.is_not(None)).values(phone=None)).rowcount
            # A dialog left that long (a name never typed: it holds the phone) is over.
            stale = conn.execute(delete(dialogs).where(dialogs.c.updated_at < before)).rowcount
        return Purged(messages=messages, payloads=payloads, phones=phones, dialogs=stale)
