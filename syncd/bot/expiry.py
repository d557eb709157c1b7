"""A question about a client's message left unanswered for ``sync.question_ttl`` is over.

Its job ends as ``expired``: the message is never posted later. The question loses its buttons and
says the time is over, and the client is told in a reply to the very message that was not sent, so
nothing is lost without their knowing: that note is an outbox item written with the job's end
(syncd.relay.telling), so it is sent exactly once whatever crashes. Looked at every so often and at every start (syncd.app.daemon).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from syncd.clock import utcnow
from syncd.config import Settings
from syncd.logs import get_logger
from syncd.relay import telling
from syncd.store import Store
from syncd.store.inbound_repo import ASKING, EXPIRED
from syncd.store.offloop import off_loop
from syncd.sync.dialog import question_expired
from syncd.telegram.peers import peer_of
from syncd.telegram.replies import Replies
from syncd.telegram.userlocks import UserLocks
from syncd.texts import t

log = get_logger(__name__)


class QuestionExpiry:
    def __init__(self, *, store: Store, settings: Settings, replies: Replies, locks: UserLocks,
                 on_outbox: Callable[[], None] = lambda: None) -> None:
        self.store, self.settings, self.replies, self.locks = store, settings, replies, locks
        self.on_outbox = on_outbox  # wakes the outbox sender: the client's note was written

    def every(self) -> float:
        """Seconds between two looks: a question ends within a quarter of its time, at most a minute late."""
        return min(60.0, max(0.2, self.settings.sync.question_ttl / 4))

    async def run_once(self) -> None:
        now = utcnow()
        ttl = timedelta(seconds=self.settings.sync.question_ttl)
        for job in await off_loop(self.store.expired_questions, now, now - ttl):
            async with self.locks.hold(job.tg_user_id):
                try:
                    await self._expire(job.id)
                except Exception:  # one question must not keep the others open
                    log.exception("question_expiry_failed", tg_user_id=job.tg_user_id, job_id=job.id)

    async def _expire(self, job_id: int) -> None:
        job = await off_loop(self.store.get_job, job_id)
        now = utcnow()
        if job is None or job.state != ASKING or job.ask_message_id is None \
                or not question_expired(job.next_try_at, now):
            return  # answered or cancelled while we waited for the lock
        link = await off_loop(self.store.get_link, job.tg_user_id)
        # The client's note is an outbox item written with the job's end, in one transaction: told exactly
        # once whatever crashes after it (the outbox sends it under the random_id chosen here).
        minutes = max(1, round(self.settings.sync.question_ttl / 60))
        tell = None if link is None else await off_loop(
            telling.note_row, self.store, job=job, link=link, dedupe_key=f"question-expired:{job_id}",
            text=t(link.language, "held_expired", minutes=minutes), what=telling.WHAT_EXPIRED)
        if not await off_loop(self.store.update_job, job_id, only_if_state=[ASKING], state=EXPIRED, done_at=now,
                              tell=tell):
            return
        log.info("question_expired", tg_user_id=job.tg_user_id, job_id=job_id)
        self.on_outbox()
        if link is not None and job.ask_message_id:  # 0: asked under an id Telegram did not tell
            # Best effort: a question that keeps its buttons says it expired when one is pressed.
            await self.replies.edit(peer_of(link), job.ask_message_id, t(link.language, "question_expired_mark"),
                                    buttons=None)
