"""A client writes on a completed or closed issue: reopen it, make the message a new issue, or just comment.

The one exception to "a reply becomes a comment directly": Okdesk staff rarely read comments on
finished issues, so the client is asked. Reopening is offered on a completed issue for
``okdesk.reopen_days`` after its completion; it is a status change through the API to the first
open code of ``okdesk.statuses``, made by the inbound job just before it posts the comment. The
change carries ``okdesk.reopen_comment`` as a private comment: an account may require a comment for
every status change (okdesk-api.md §6), and the client's own words are their comment, posted after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from telethon import Button

from syncd.bot.ways_out import cancel_job_row
from syncd.clock import utcnow
from syncd.config import Settings
from syncd.formatting.titles import make_title
from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskNotFound
from syncd.okdesk.models import Issue
from syncd.okdesk.port import Okdesk
from syncd.relay.reopening import reopen_refusal
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.rows import InboundJob, Link
from syncd.sync.routing import Callback, encode
from syncd.telegram.peers import peer_of
from syncd.telegram.replies import NotSent, Replies
from syncd.texts import t

log = get_logger(__name__)


def expires(settings: Settings) -> datetime:
    """When a question asked now expires (sync.question_ttl)."""
    return utcnow() + timedelta(seconds=settings.sync.question_ttl)


class FinishedIssue:
    """Asks the client what to do with a message for a finished issue."""

    def __init__(self, *, store: Store, okdesk: Okdesk, settings: Settings, replies: Replies,
                 requeue: Callable[[int], None]) -> None:
        self.store, self.okdesk, self.settings, self.replies, self.requeue = store, okdesk, settings, replies, requeue

    async def ask(self, job: InboundJob, link: Link, lang: str, issue: Issue | None = None) -> None:
        """``issue``: as the job's try just read it; without, it is read now. Okdesk or Telegram
        failing raises: the caller asks again later."""
        if issue is None:
            assert job.okdesk_issue_id is not None, "only a comment on an issue meets a finished issue"
            try:
                issue = await asyncio.to_thread(self.okdesk.get_issue, job.okdesk_issue_id)
            except OkdeskNotFound:
                # Deleted meanwhile: the job's own check refuses it and tells the client.
                log.info("finished_issue_gone", tg_user_id=link.tg_user_id, issue_id=job.okdesk_issue_id)
                await off_loop(self.requeue, job.id)
                return
        if not self.settings.okdesk.statuses.is_finished(issue.status_code):
            log.info("finished_issue_reopened_meanwhile", tg_user_id=link.tg_user_id, issue_id=issue.id)
            await off_loop(self.requeue, job.id)
            return
        reopen = reopen_refusal(issue, link.okdesk_contact_id, self.settings.okdesk, self.okdesk.okdesk_now()) is None
        title = make_title(issue.title, 60)
        # Okdesk's own word for the status («Решена», «Закрыта» or the account's own name for it).
        status = issue.status_name or issue.status_code or "?"
        text = t(lang, "finished_ask_reopen" if reopen else "finished_ask", issue_id=issue.id, title=title,
                 status=status)
        rows = [[Button.inline(t(lang, "new_from_finished_button"), encode(Callback("new", job_id=job.id)))],
                [Button.inline(t(lang, "as_comment_button"), encode(Callback("as_comment", job_id=job.id)))]]
        if reopen:
            rows.insert(0, [Button.inline(t(lang, "reopen_button"), encode(Callback("reopen", job_id=job.id)))])
        sent = await self.replies.send(peer_of(link), text, buttons=[*rows, cancel_job_row(lang, job.id)])
        if sent is None:
            raise NotSent  # the caller asks again later; the job waits meanwhile
        # 0: asked, its id untold; next_try_at: when the question expires (syncd.bot.expiry).
        await off_loop(self.store.update_job, job.id, ask_message_id=sent.id or 0, next_try_at=expires(self.settings))
        log.info("finished_issue_question_asked", tg_user_id=link.tg_user_id, issue_id=issue.id, reopen=reopen)
