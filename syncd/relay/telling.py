"""What a client hears of their own message on its way into Okdesk, as outbox items that reply to it.

Each is written to the outbox (with its random_id) in the same transaction as the job's change it
tells of, so it is sent exactly once whatever crashes: an ack is marked on its job with the item
(syncd.store.inbound_repo.ack_job), a failure or an unanswered question's expiry (syncd.bot.expiry) with the
job's end (update_job's ``tell``). Each is a
reply to the client's (first) message of the job, so the client sees which message it is about.
"""

from __future__ import annotations

from typing import Any

from syncd.config import Settings
from syncd.formatting import FormattedText
from syncd.store import Store
from syncd.store.rows import InboundJob, Link
from syncd.store.states import OUTBOX_TELEGRAM
from syncd.sync import inbound as plan
from syncd.sync.codec import delivery_payload
from syncd.sync.planner import Delivery, Step
from syncd.texts import t

# What a staff notice calls such an item should it never reach the client (keys "staff_what_…").
WHAT_ACK = "confirmation"
WHAT_FAILED = "post_failed"
WHAT_EXPIRED = "question_expired"


def support_suffix(settings: Settings, lang: str) -> str:
    """": <contact>" after "contact the support desk", when telegram.support_contact is set."""
    contact = settings.telegram.support_contact
    return t(lang, "support_suffix", contact=contact) if contact else ""


def first_message_id(store: Store, job_id: int) -> int | None:
    rows = store.job_messages(job_id)
    return rows[0].tg_message_id if rows else None


def note_row(store: Store, *, job: InboundJob, link: Link, dedupe_key: str, text: str, what: str) -> dict[str, Any]:
    """An outbox item telling the client ``text`` as a reply to the job's first message (a comment's
    item names its issue: a reply to it is a comment there too)."""
    step = Step("text", FormattedText(text), reply_to=first_message_id(store, job.id))
    issue_id = job.okdesk_issue_id if job.action == "comment" else None
    delivery = Delivery(dedupe_key=dedupe_key, tg_chat_id=link.tg_chat_id, okdesk_issue_id=issue_id or 0,
                        okdesk_comment_id=None, what=what, steps=(step,))
    return store.outbox_row(dedupe_key=dedupe_key, kind=OUTBOX_TELEGRAM, payload=delivery_payload(delivery),
                            message_count=1, tg_chat_id=link.tg_chat_id, okdesk_issue_id=issue_id)


def ack_row(store: Store, job: InboundJob, link: Link) -> dict[str, Any]:
    return note_row(store, job=job, link=link, dedupe_key=f"inbound-ack:{job.id}", text=t(link.language, plan.ACK),
                    what=WHAT_ACK)


def failed_row(store: Store, job: InboundJob, link: Link, text: str) -> dict[str, Any]:
    """The job's end, told. Keyed by its tries so far: a job `syncd retry` re-queued that fails again
    is news again."""
    return note_row(store, job=job, link=link, dedupe_key=f"inbound-failed:{job.id}:{job.attempts}", text=text,
                    what=WHAT_FAILED)
