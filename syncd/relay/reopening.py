"""Who may reopen a finished issue, and the comment a reopening carries.

Asked by the question to the client (syncd.bot.reopen: is "reopen" offered?) and again by the job
just before the status change (syncd.relay.jobrun: a stale or forged choice). Reopening is offered on
a completed issue for ``okdesk.reopen_days`` after its completion, to its requester only; the status
change carries ``okdesk.reopen_comment`` as a private comment, since an account may require a comment
for every status change (okdesk-api.md §6); it tells staff, who never heard of the bot, who reopened the
issue and where, and that the reason is the client's comment that follows.
"""

from __future__ import annotations

import asyncio
import html
from datetime import datetime, timedelta

from syncd.config import OkdeskSettings
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.models import Issue
from syncd.okdesk.port import Okdesk
from syncd.relay import own_changes
from syncd.relay.executor import okdesk_answer
from syncd.relay.ownership import owns
from syncd.statuscodes import StatusCodes
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.sync import inbound as plan
from syncd.sync.answers import OK
from syncd.sync.notices import client_words, reopen_note


def reopenable(issue: Issue, statuses: StatusCodes, reopen_days: float, now: datetime) -> bool:
    """A completed issue within the reopen window (counted from its completion, else its last change)."""
    if reopen_days <= 0 or not statuses.is_completed(issue.status_code):
        return False
    since = issue.completed_at or issue.updated_at
    return since is None or now - since <= timedelta(days=reopen_days)


def reopen_comment_html(okdesk: OkdeskSettings, client: str) -> str | None:
    """The status change's comment (the setting is plain text, ``{client}`` the client's name; Okdesk
    takes HTML); None when empty."""
    text = reopen_note(okdesk.reopen_comment, client_words([client]))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "<br>".join(html.escape(line, quote=False) for line in lines if line) or None


def reopen_refusal(issue: Issue, okdesk_contact_id: int, okdesk: OkdeskSettings, now: datetime) -> str | None:
    """Why this client may not reopen this issue now; None when they may. Asked when the question is
    put (is "reopen" offered?) and again before the status change (a stale or forged choice)."""
    if not reopenable(issue, okdesk.statuses, okdesk.reopen_days, now):
        return "reopen window over or issue closed"
    if not owns(issue, okdesk_contact_id):
        # Reopening is the requester's: a colleague with company-wide access may comment, not reopen.
        return "a colleague's issue: only its requester reopens it"
    return None


async def ask_okdesk_to_reopen(okdesk: Okdesk, store: Store, settings: OkdeskSettings, issue: Issue,
                               contact_name: str) -> plan.Retry | plan.MarkChoice:
    """The status change that reopens ``issue``, with the private comment an account may require for
    every status change (syncd.sync.inbound.after_reopen says what follows).

    It is recorded as the client's own change before the request (syncd.relay.own_changes): a poll that
    sees it while the answer is still on its way must know it is ours. A refusal for certain forgets the
    record again: no change of ours is coming, and a later one by staff is news. An unanswered request
    keeps it for the planner's window, since it may have applied.
    """
    comment = reopen_comment_html(settings, contact_name)
    reopen_code = settings.statuses.reopen_code
    await off_loop(own_changes.record, store, issue.id, issue.status_code, reopen_code)
    try:
        await asyncio.to_thread(okdesk.change_status, issue.id, reopen_code, comment_html=comment,
                                comment_public=False if comment is not None else None)
    except OkdeskError as exc:
        answer = okdesk_answer(exc)
    else:
        answer = OK
    step = plan.after_reopen(answer)
    if not isinstance(step, plan.Retry) and step.choice != plan.REOPENED:
        await off_loop(own_changes.forget, store, issue.id)
    return step
