"""After a bad rating: ask what went wrong, and offer to reopen the issue.

The question is the remark question of syncd.bot.rating (the client's next message becomes a public
comment on the issue as it is), asked at once, so the client can simply answer it. Its message carries
two buttons: "Reopen the request", and the remark again (for a client who comes back after
``sync.question_ttl``). Reopening here has no message of the client's to carry: it is the status
change alone, with ``okdesk.reopen_comment`` as its private comment, as syncd.relay.jobrun makes it;
the change is recorded first (syncd.relay.own_changes), so the poll does not announce it back.
"""

from __future__ import annotations

from typing import Any

from telethon import Button

from syncd.bot.ways_out import await_remark, cancel_prompt_row
from syncd.config import Settings
from syncd.logs import get_logger
from syncd.okdesk.models import Issue
from syncd.okdesk.port import Okdesk
from syncd.relay.reopening import ask_okdesk_to_reopen, reopen_refusal
from syncd.store import Store
from syncd.store.rows import Link
from syncd.sync import inbound as plan
from syncd.sync.routing import Callback, encode
from syncd.telegram.peers import peer_of
from syncd.telegram.presses import Press
from syncd.telegram.replies import Replies
from syncd.texts import t

log = get_logger(__name__)


def bad_rating_buttons(lang: str, issue_id: int, *, reopen: bool) -> list[list[Any]]:
    rows = [[Button.inline(t(lang, "bad_remark_button"), encode(Callback("remark", issue_id=issue_id)))]]
    if reopen:
        rows.insert(0, [Button.inline(t(lang, "reopen_button"), encode(Callback("reopen_issue", issue_id=issue_id)))])
    return [*rows, cancel_prompt_row(lang)]  # it waits for the client's message: a way out


class AfterRating:
    def __init__(self, *, store: Store, okdesk: Okdesk, settings: Settings, replies: Replies) -> None:
        self.store, self.okdesk, self.settings, self.replies = store, okdesk, settings, replies

    async def ask_what_went_wrong(self, issue: Issue, link: Link, lang: str, reply_to: int | None) -> None:
        """Called under the client's lock, right after their 👎 was recorded."""
        await await_remark(self.store, self.settings, link.tg_user_id, issue.id)
        reopen = reopen_refusal(issue, link.okdesk_contact_id, self.settings.okdesk, self.okdesk.okdesk_now()) is None
        await self.replies.send(peer_of(link), t(lang, "bad_rate_followup", issue_id=issue.id),
                                buttons=bad_rating_buttons(lang, issue.id, reopen=reopen), reply_to=reply_to)
        log.info("bad_rating_followup_asked", tg_user_id=link.tg_user_id, issue_id=issue.id, reopen=reopen)

    async def reopen(self, press: Press, issue: Issue, link: Link, lang: str) -> None:
        """The "Reopen the request" button: ``issue`` as just read, the client's own (checked)."""
        bound = log.bind(tg_user_id=link.tg_user_id, issue_id=issue.id)
        statuses = self.settings.okdesk.statuses
        if not statuses.is_finished(issue.status_code):
            await press.tell(t(lang, "reopen_already_open", issue_id=issue.id))
            return
        refusal = reopen_refusal(issue, link.okdesk_contact_id, self.settings.okdesk, self.okdesk.okdesk_now())
        if refusal is not None:
            bound.info("issue_not_reopened", error=refusal)
            await press.tell(t(lang, "reopen_unavailable", issue_id=issue.id))
            return
        step = await ask_okdesk_to_reopen(self.okdesk, self.store, self.settings.okdesk, issue, link.contact_name)
        if isinstance(step, plan.Retry):
            # Perhaps applied, perhaps not: the record stays for the planner's window; the client may press again.
            bound.warning("issue_reopen_unanswered", error=step.error)
            await press.tell(t(lang, "okdesk_unavailable"))
            return
        if step.choice != plan.REOPENED:
            bound.warning("issue_not_reopened", error=(step.why or "")[:300])
            await press.tell(t(lang, "reopen_unavailable", issue_id=issue.id))
            return
        bound.info("issue_reopened", status=statuses.reopen_code, by="button")
        await press.answer()
        await self.replies.send(peer_of(link), t(lang, "reopened_by_button", issue_id=issue.id), reply_to=press.msg_id)
