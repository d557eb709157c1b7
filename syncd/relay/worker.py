"""Jobs into Okdesk: each message or album becomes one comment or one issue, exactly once.

Per job: the client's ownership of the issue is checked against Okdesk; the files come from
Telegram into temporary files; the job is marked "unsure" (write-ahead) before the POST; the
outcome and everything that follows from it (own comment, seen files, followed issue, the
confirmation to the client) is committed in one transaction. A job found "unsure" again (an
answer lost, a crash) first searches Okdesk for what it may have created.

One client's jobs run in order, one at a time, and at most ``sync.client_messages_per_minute``
of them a minute: a flood of messages waits its turn instead of eating the others' budget.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from syncd.clock import utcnow
from syncd.config import Settings
from syncd.logs import get_logger, with_log_context
from syncd.okdesk.port import Okdesk
from syncd.relay import telling
from syncd.relay.content import Content, combine
from syncd.relay.dispatchloop import DispatchLoop
from syncd.relay.executor import Executor
from syncd.relay.health import Health
from syncd.relay.jobrun import JobRun, Outcome
from syncd.relay.ratelimit import ClientRate
from syncd.store import Store
from syncd.store.inbound_repo import FAILED, REFUSED, RUNNABLE_JOB_STATES
from syncd.store.offloop import off_loop
from syncd.store.rows import InboundJob, Link
from syncd.sync import inbound as plan
from syncd.sync.retry import RetryPolicy
from syncd.telegram.peers import peer_of
from syncd.telegram.port import TelegramPort
from syncd.telegram.replies import Replies
from syncd.texts import t

log = get_logger(__name__)


class InboundWorker(DispatchLoop):
    failed_event = "inbound_dispatch_failed"

    def __init__(self, *, tg: TelegramPort, store: Store, okdesk: Okdesk, settings: Settings,
                 policy: RetryPolicy, health: Health, tmp_dir: Path, idle: float = 1.0, replies: Replies,
                 ask_on_finished: Callable[[int, int, Any], Awaitable[None]] | None = None,
                 heartbeat: Callable[[], None] = lambda: None, on_outbox: Callable[[], None] = lambda: None) -> None:
        self.tg, self.store, self.okdesk, self.settings, self.replies = tg, store, okdesk, settings, replies
        self.policy, self.health, self.tmp_dir, self.idle = policy, health, tmp_dir, idle
        self.executor = Executor(store, policy, health)
        self.heartbeat = heartbeat  # each turn of the loop, for the systemd watchdog
        self.on_outbox = on_outbox  # wakes the outbox sender: something to tell a client was written
        # A job whose issue is finished: the intake asks the client (job id, Telegram user id, the issue).
        # The intake is made after this worker (it wakes it): syncd.app.parts.build sets this once both exist.
        self.ask_on_finished = ask_on_finished
        self.rate = ClientRate(settings.sync.client_messages_per_minute)
        self._slots = asyncio.Semaphore(settings.sync.inbound_concurrency)
        self._notes: set[asyncio.Task[None]] = set()
        self._init_loop()

    async def _dispatch(self) -> float:
        now = utcnow()
        for job in await off_loop(self.store.due_jobs, now):
            if job.tg_user_id in self._busy:
                continue
            # The client's rate counts what the client sends: a job's first try. Its retries are the
            # daemon's doing (backoff bounds them); counted, they told a client who sent one message
            # that they were sending too many.
            wait = self.rate.take(job.tg_user_id) if job.attempts == 0 else 0.0
            if wait > 0:
                await self._delay(job, wait)
                continue
            task = asyncio.create_task(with_log_context(  # every line of the job names the client
                self._run(job.id), tg_user_id=job.tg_user_id, issue_id=job.okdesk_issue_id, job_id=job.id))
            self._busy[job.tg_user_id] = task
            task.add_done_callback(functools.partial(self._done_with, job.tg_user_id))
        # Jobs waiting in backoff (or behind their client's others) are looked at too: the ack is due by
        # the clock, not at a try.
        acked, ack_next = await off_loop(self._ack_due_jobs, utcnow())
        if acked:
            self.on_outbox()
        nxt = await off_loop(self.store.next_job_time, list(self._busy))
        times = [when for when in (nxt, ack_next) if when is not None]
        if not times:
            return self.idle
        return (min(times) - utcnow()).total_seconds()  # DispatchLoop.run bounds it

    def _ack_due_jobs(self, now: datetime) -> tuple[int, datetime | None]:
        """Tell each client whose job has waited sync.ack_after that it was received (once per job: the
        mark and the outbox item in one transaction). Returns how many were told and when the next is due."""
        ack_after = self.settings.sync.ack_after
        if ack_after <= 0:
            return 0, None
        told, upcoming = 0, None
        for job in self.store.unacked_jobs():
            due = plan.ack_due_at(trying_since=job.queued_at or job.created_at, acked=job.acked_at is not None,
                                  ack_after=ack_after)
            if due is None:
                continue
            if due > now:
                upcoming = due if upcoming is None else min(upcoming, due)
                continue
            link = self.store.get_link(job.tg_user_id)
            if link is None:
                continue  # unlinked: the job is refused at its next try
            if self.store.ack_job(job.id, telling.ack_row(self.store, job, link)):
                told += 1
                about = {"issue_id": job.okdesk_issue_id} if job.okdesk_issue_id is not None else {}
                log.info("inbound_ack_queued", tg_user_id=job.tg_user_id, job_id=job.id, **about,
                         waited=round((now - (job.queued_at or job.created_at)).total_seconds(), 1),
                         last_error=(job.last_error or "")[:200])
        return told, upcoming

    def _done_with(self, tg_user_id: int, _task: asyncio.Task[None]) -> None:
        self._done(tg_user_id)

    def _done(self, tg_user_id: int) -> None:
        self._busy.pop(tg_user_id, None)
        self._wake.set()

    async def _delay(self, job: InboundJob, wait: float) -> None:
        """Over the client's rate: the job waits its turn, and the client hears why, once a burst."""
        await off_loop(self.store.update_job, job.id, next_try_at=utcnow() + timedelta(seconds=wait))
        if self.rate.should_warn(job.tg_user_id):
            link = await off_loop(self.store.get_link, job.tg_user_id)
            log.info("inbound_client_throttled", tg_user_id=job.tg_user_id, wait=round(wait, 1))
            if link is not None:
                note = asyncio.create_task(self._tell(link, t(link.language, "slow_down")))
                self._notes.add(note)  # held until done: the loop keeps only weak references to tasks
                note.add_done_callback(self._notes.discard)

    async def _tell(self, link: Link, text: str) -> None:
        # A courtesy message; the job itself is safe whatever becomes of it (Replies logs a failure).
        await self.replies.send(peer_of(link), text)

    async def _run(self, job_id: int) -> None:
        async with self._slots:
            job = await off_loop(self.store.get_job, job_id)
            if job is None or job.state not in RUNNABLE_JOB_STATES:
                return
            link = await off_loop(self.store.get_link, job.tg_user_id)
            bound = log  # the job's client, issue and id are in the log context (_dispatch)
            if link is None:
                await off_loop(self.store.update_job, job.id, state=REFUSED, last_error="the client is no longer linked")
                bound.info("inbound_refused_unlinked")
                return
            rows = await off_loop(self.store.job_messages, job.id)
            combined = combine([Content.from_json(r.content) for r in rows])
            work = self.tmp_dir / f"in{job.id}"
            work.mkdir(exist_ok=True)
            run = JobRun(job=job, link=link, rows=rows, combined=combined, tg=self.tg, okdesk=self.okdesk,
                         store=self.store, settings=self.settings, work=work, log=bound)
            try:
                outcome = await run.execute()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever it was, the job is retried and the worker goes on
                bound.exception("inbound_job_crashed")
                outcome = Outcome("retry", error=f"{type(exc).__name__}: {exc}", service="syncd")
            await self._settle(job, link, outcome, bound)
            if outcome.kind in ("done", "refused", "failed", "ask"):
                shutil.rmtree(work, ignore_errors=True)

    async def _settle(self, job: InboundJob, link: Link, outcome: Outcome, bound: Any) -> None:
        lang = link.language
        if outcome.kind == "done":
            self.health.mark("okdesk")
            return
        if outcome.kind == "ask":
            # The issue is finished: the client chooses (reopen, new issue, or comment as it is).
            self.health.mark("okdesk")
            bound.info("inbound_finished_issue_ask")
            assert self.ask_on_finished is not None, "wired by syncd.app.parts.build"
            await self.ask_on_finished(job.id, job.tg_user_id, outcome.issue)
            return
        if outcome.kind == "refused":
            await off_loop(self.store.update_job, job.id, state=REFUSED, last_error=outcome.error, done_at=utcnow())
            bound.info("inbound_refused", reason=outcome.error)
            if outcome.tell:
                await self._tell(link, outcome.tell)
            return
        if outcome.kind == "failed":
            # Okdesk refused it for good: the client hears so, in plain words, as a reply to the message.
            text = outcome.tell or t(lang, plan.NOT_ACCEPTED, why="", support=telling.support_suffix(self.settings, lang))
            await off_loop(self._end_failed, job, link, text, outcome.error)
            self.on_outbox()
            self.health.error(outcome.service, outcome.error or "refused")  # `syncd status` shows it
            bound.warning("inbound_failed", error=outcome.error)
            return
        # retry: the job stays queued (nothing was created) or unsure (something may have been)
        fresh = await off_loop(self.store.get_job, job.id)
        if fresh is None:
            return
        # Should this failure spend the last of its budget, the client hears it with the parking, as a reply
        # to the message: send it again later, or reach the support desk another way.
        gave_up = t(lang, plan.GAVE_UP, support=telling.support_suffix(self.settings, lang))
        tell = await off_loop(telling.failed_row, self.store, fresh, link, gave_up)
        nxt = await off_loop(self.executor.job_failed, fresh, service=outcome.service, error=outcome.error,
                             wait=outcome.wait, tell_if_parked=tell)
        bound.warning("inbound_retry", error=outcome.error, wait=round(nxt.delay, 1), state=fresh.state,
                      parked=nxt.parked)
        if nxt.parked:
            self.on_outbox()

    def _end_failed(self, job: InboundJob, link: Link, text: str, error: str | None) -> None:
        fresh = self.store.get_job(job.id) or job
        self.store.update_job(job.id, state=FAILED, last_error=error,
                              tell=telling.failed_row(self.store, fresh, link, text))

