"""/cancel and the cancel buttons: a way out of every question the bot asks.

A question waiting for the client's message ("Comment", "New request", a remark) is forgotten; a
question about a message the client sent (where it goes, reopen or not) ends its job as
``cancelled``, its message never sent, and loses its buttons. The client is told plainly what was
cancelled, and that nothing was sent; or that there was nothing to cancel.
"""

from __future__ import annotations

from typing import Any

from syncd.bot.intake import Intake
from syncd.bot.ways_out import clients_job
from syncd.clock import utcnow
from syncd.logs import get_logger
from syncd.store import Store
from syncd.store.inbound_repo import ASKING, CANCELLED, EXPIRED
from syncd.store.offloop import off_loop
from syncd.store.rows import Link
from syncd.sync.dialog import Cancel, what_cancel_cancels
from syncd.sync.routing import AWAITING_COMMENT, AWAITING_NEW_ISSUE, Callback
from syncd.telegram.peers import peer_of
from syncd.telegram.presses import Press
from syncd.telegram.replies import Replies
from syncd.texts import t

log = get_logger(__name__)


def _ours(dialog: tuple[str, dict[str, Any]] | None) -> bool:
    """A question waiting for a message, live or expired (either way it is forgotten now)."""
    return dialog is not None and dialog[0] in (AWAITING_COMMENT, AWAITING_NEW_ISSUE)


def cancel_text(lang: str, what: Cancel) -> str:
    return "\n".join(t(lang, key, issue_id=what.issue_id, count=len(what.jobs)) for key in what.text_keys)


class Cancelling:
    def __init__(self, *, store: Store, replies: Replies, intake: Intake) -> None:
        self.store, self.replies, self.intake, self.locks = store, replies, intake, intake.locks

    async def command(self, link: Link, lang: str) -> None:
        """/cancel, with the client's lock held: everything that waits for the client."""
        user = link.tg_user_id
        dialog = await off_loop(self.store.get_dialog, user)
        jobs = await off_loop(self.store.asking_jobs, user)
        what = what_cancel_cancels(dialog, [j.id for j in jobs], utcnow())
        if _ours(dialog):  # (a linking step, while relinking, is not a question of ours)
            await off_loop(self.store.clear_dialog, user)
        held = await self._drop_burst(link)
        for job in jobs:
            if await off_loop(self.store.update_job, job.id, only_if_state=[ASKING], state=CANCELLED,
                              done_at=utcnow()) and job.ask_message_id:
                await self.replies.edit(peer_of(link), job.ask_message_id, t(lang, "question_cancelled"), buttons=None)
        if held:
            what = Cancel(what.waiting, what.issue_id, (*what.jobs, 0))  # 0: the burst's messages
        log.info("cancelled_by_command", tg_user_id=user, waiting=what.waiting, jobs=len(what.jobs))
        await self.replies.send(peer_of(link), cancel_text(lang, what))

    async def _drop_burst(self, link: Link) -> bool:
        """Messages answering "Comment" or "New request", still gathering, are not sent either."""
        burst = self.intake.bursts.take(link.tg_chat_id)
        if burst is None:
            return False
        for row_id in burst.rows:
            await off_loop(self.store.mark_handled, row_id)
        return True

    async def on_prompt(self, press: Press, link: Link, lang: str) -> None:
        """The cancel button under "write your comment" / "describe the problem" / "your remark"."""
        # Decided from the database alone, so the press is answered at once (syncd.telegram.presses).
        dialog = await off_loop(self.store.get_dialog, link.tg_user_id)
        gathering = self.intake.bursts.open(link.tg_chat_id)  # its answer, still arriving
        if what_cancel_cancels(dialog, [], utcnow()).waiting is None and not gathering:
            await press.tell(t(lang, "question_over"))
            await press.edit(buttons=None)
            return
        await press.answer()
        async with self.locks.hold(link.tg_user_id):
            dialog = await off_loop(self.store.get_dialog, link.tg_user_id)
            what = what_cancel_cancels(dialog, [], utcnow())
            if _ours(dialog):
                await off_loop(self.store.clear_dialog, link.tg_user_id)
            # What the client wrote to it within sync.burst_window would otherwise be asked about.
            held = await self._drop_burst(link)
            if what.waiting is None and not held:  # answered meanwhile, by the message the lock waited for
                await press.edit(buttons=None)
                return
            if held:
                what = Cancel(what.waiting, what.issue_id, (*what.jobs, 0))  # 0: the burst's messages
            log.info("cancelled_by_button", tg_user_id=link.tg_user_id, waiting=what.waiting)
            await press.edit(cancel_text(lang, what))

    async def on_drop(self, press: Press, cb: Callback, link: Link, lang: str) -> None:
        """The cancel button under a question about a message: the message is not sent."""
        job = await clients_job(self.store, press, cb, link, lang)
        if job is None:
            return
        if job.state == EXPIRED:
            await press.tell(t(lang, "question_expired"))
            return
        if job.state != ASKING:
            await press.tell(t(lang, "question_over"))
            return
        await press.answer()
        async with self.locks.hold(link.tg_user_id):
            if not await off_loop(self.store.update_job, job.id, only_if_state=[ASKING], state=CANCELLED,
                                  done_at=utcnow()):
                log.info("choice_taken_meanwhile", tg_user_id=link.tg_user_id, job_id=job.id)
                return
        log.info("question_cancelled", tg_user_id=link.tg_user_id, job_id=job.id)
        await press.edit(t(lang, "question_cancelled"))
