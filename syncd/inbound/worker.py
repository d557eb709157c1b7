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
from datetime import timedelta
from pathlib import Path
from typing import Any

from telethon import TelegramClient

from syncd.clock import utcnow
from syncd.config import Settings
from syncd.health import Health
from syncd.inbound.jobrun import JobRun, Outcome
from syncd.logs import get_logger, with_log_context
from syncd.okdesk.client import OkdeskClient
from syncd.relay.content import Content, combine
from syncd.relay.dispatchloop import DispatchLoop
from syncd.relay.executor import Executor
from syncd.relay.ratelimit import ClientRate
from syncd.store import Store
from syncd.store.inbound_repo import FAILED, REFUSED, RUNNABLE_JOB_STATES
from syncd.sync.retry import RetryPolicy
from syncd.telegram.peers import peer_of
from syncd.telegram.replies import Replies
from syncd.texts import t

log = get_logger(__name__)


class InboundWorker(DispatchLoop):
    failed_event = "inbound_dispatch_failed"

    def __init__(self, *, tg: TelegramClient, store: Store, okdesk: OkdeskClient, settings: Settings,
                 policy: RetryPolicy, health: Health, tmp_dir: Path, idle: float = 1.0, replies: Replies,
                 ask_on_finished: Callable[[int, int, Any], Awaitable[None]] | None = None,
                 heartbeat: Callable[[], None] = lambda: None) -> None:
        self.tg, self.store, self.okdesk, self.settings, self.replies = tg, store, okdesk, settings, replies
        self.policy, self.health, self.tmp_dir, self.idle = policy, health, tmp_dir, idle
        self.executor = Executor(store, policy, health)
        self.heartbeat = heartbeat  # each turn of the loop, for the systemd watchdog
        # A job whose issue is finished: the intake asks the client (job id, Telegram user id, the issue).
        # The intake is made after this worker (it wakes it): syncd.app.parts.build sets this once both exist.
        self.ask_on_finished = ask_on_finished
        self.rate = ClientRate(settings.sync.client_messages_per_minute)
        self._slots = asyncio.Semaphore(settings.sync.inbound_concurrency)
        self._notes: set[asyncio.Task[None]] = set()
        self._init_loop()

    def _dispatch(self) -> float:
        now = utcnow()
        for job in self.store.due_jobs(now):
            if job.tg_user_id in self._busy:
                continue
            wait = self.rate.take(job.tg_user_id)
            if wait > 0:
                self._delay(job, wait)
                continue
            task = asyncio.create_task(with_log_context(  # every line of the job names the client
                self._run(job.id), tg_user_id=job.tg_user_id, issue_id=job.okdesk_issue_id, job_id=job.id))
            self._busy[job.tg_user_id] = task
            task.add_done_callback(functools.partial(self._done_with, job.tg_user_id))
        nxt = self.store.next_job_time(list(self._busy))
        if nxt is None:
            return self.idle
        return (nxt - utcnow()).total_seconds()  # DispatchLoop.run bounds it

    def _done_with(self, tg_user_id: int, _task: asyncio.Task[None]) -> None:
        self._done(tg_user_id)

    def _done(self, tg_user_id: int) -> None:
        self._busy.pop(tg_user_id, None)
        self._wake.set()

    def _delay(self, job: Any, wait: float) -> None:
        """Over the client's rate: the job waits its turn, and the client hears why, once a burst."""
        self.store.update_job(job.id, next_try_at=utcnow() + timedelta(seconds=wait))
        if self.rate.should_warn(job.tg_user_id):
            link = self.store.get_link(job.tg_user_id)
            log.info("inbound_client_throttled", tg_user_id=job.tg_user_id, wait=round(wait, 1))
            if link is not None:
                note = asyncio.create_task(self._tell(link, t(link.language, "slow_down")))
                self._notes.add(note)  # held until done: the loop keeps only weak references to tasks
                note.add_done_callback(self._notes.discard)

    async def _tell(self, link: Any, text: str) -> None:
        # A courtesy message; the job itself is safe whatever becomes of it (Replies logs a failure).
        await self.replies.send(peer_of(link), text)

    async def _run(self, job_id: int) -> None:
        async with self._slots:
            job = self.store.get_job(job_id)
            if job is None or job.state not in RUNNABLE_JOB_STATES:
                return
            link = self.store.get_link(job.tg_user_id)
            bound = log  # the job's client, issue and id are in the log context (_dispatch)
            if link is None:
                self.store.update_job(job.id, state=REFUSED, last_error="the client is no longer linked")
                bound.info("inbound_refused_unlinked")
                return
            rows = self.store.job_messages(job.id)
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

    async def _settle(self, job: Any, link: Any, outcome: Outcome, bound: Any) -> None:
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
            self.store.update_job(job.id, state=REFUSED, last_error=outcome.error, done_at=utcnow())
            bound.info("inbound_refused", reason=outcome.error)
            if outcome.tell:
                await self._tell(link, outcome.tell)
            return
        if outcome.kind == "failed":
            self.store.update_job(job.id, state=FAILED, last_error=outcome.error)
            self.health.error(outcome.service, outcome.error or "refused")  # `syncd status` shows it
            bound.warning("inbound_failed", error=outcome.error)
            await self._tell(link, outcome.tell or t(lang, "post_refused", reason=outcome.error or "?"))
            return
        # retry: the job stays queued (nothing was created) or unsure (something may have been)
        fresh = self.store.get_job(job.id)
        if fresh is None:
            return
        nxt = self.executor.job_failed(fresh, service=outcome.service, error=outcome.error, wait=outcome.wait)
        bound.warning("inbound_retry", error=outcome.error, wait=round(nxt.delay, 1), state=fresh.state,
                      parked=nxt.parked)
        if nxt.parked:
            await self._tell(link, t(lang, "post_failed"))

