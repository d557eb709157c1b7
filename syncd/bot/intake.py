"""A client's message arrives: record it, gather an album, decide what it is for, make it a job.

The message is in the database before anything else happens, keyed by (chat, message id): a
message Telegram hands over again (catch-up after a restart) is recognised and left alone, and
one a crash interrupted is picked up again by :meth:`Intake.resume`. Posting to Okdesk is the
worker's part (:mod:`syncd.relay.worker`); here only decisions and questions are made.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from telethon import Button

from syncd.bot.bursts import Burst, Bursts
from syncd.bot.expiry import QuestionExpiry
from syncd.bot.reopen import FinishedIssue, expires
from syncd.bot.ways_out import cancel_job_row
from syncd.clock import utcnow
from syncd.config import Settings
from syncd.formatting.titles import make_title
from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.models import Issue
from syncd.okdesk.port import Okdesk
from syncd.relay.content import Content, combine, describe
from syncd.store import Store
from syncd.store.inbound_repo import ASKING, DONE, DUPLICATE, QUEUED
from syncd.store.offloop import off_loop
from syncd.store.rows import InboxMessage, Link
from syncd.sync.dialog import is_small_talk
from syncd.sync.inbound import COMMENT_AS_IS, REOPEN
from syncd.sync.routing import (
    AWAITING_COMMENT,
    AWAITING_NEW_ISSUE,
    Callback,
    dialog_live,
    encode,
    issue_named_in,
    route,
)
from syncd.telegram.peers import peer_of
from syncd.telegram.port import TelegramPort
from syncd.telegram.replies import NotSent, Replies
from syncd.telegram.userlocks import UserLocks
from syncd.texts import t

log = get_logger(__name__)
HANDLED_WITHOUT_JOB = 0  # inbox_messages.job_id of commands, menu buttons and linking steps
ASK_ISSUES = 3  # open issues offered as "Add to #N"


class Intake:
    def __init__(self, *, tg: TelegramPort, store: Store, okdesk: Okdesk, settings: Settings,
                 locks: UserLocks, on_new_job: Callable[[], None], replies: Replies,
                 on_outbox: Callable[[], None] = lambda: None) -> None:
        self.tg, self.store, self.okdesk, self.settings = tg, store, okdesk, settings
        self.locks, self.on_new_job, self.replies = locks, on_new_job, replies
        self.started_at = utcnow()
        self._album_tasks: dict[tuple[int, int], asyncio.Task[None]] = {}
        self._album_last: dict[tuple[int, int], float] = {}
        self._retries: set[asyncio.Task[None]] = set()
        self.finished = FinishedIssue(store=store, okdesk=okdesk, settings=settings, replies=replies,
                                      requeue=self._requeue_unfinished)
        self.bursts = Bursts(settings.sync.burst_window, self._finish_burst)
        self.expiry = QuestionExpiry(store=store, settings=settings, replies=replies, locks=locks,
                                     on_outbox=on_outbox)

    # ------------------------------------------------------------ recording

    def record(self, event: Any, lang: str, *, handled: bool = False) -> int | None:
        """The message's row id; None when Telegram handed it over before."""
        message = event.message
        # A command, a menu button or the linking contact is kept as its key only: nothing else of it
        # is needed, and the linking contact holds the client's phone.
        content = Content() if handled else describe(message, tz=self.okdesk.account_tz, lang=lang)
        media = None
        if content.files:
            media = base64.b64encode(bytes(message.media)).decode("ascii")
        reply = message.reply_to
        return self.store.record_message(
            tg_chat_id=event.chat_id, tg_message_id=message.id, tg_user_id=event.sender_id,
            grouped_id=message.grouped_id, reply_to_msg_id=getattr(reply, "reply_to_msg_id", None),
            sent_at=message.date, content=content.to_json(), media=media,
            job_id=HANDLED_WITHOUT_JOB if handled else None)

    async def on_message(self, event: Any, row_id: int, link: Link, lang: str) -> None:
        """A recorded message that is for Okdesk; called with the client's lock held."""
        message = event.message
        if message.grouped_id:
            key = (event.chat_id, int(message.grouped_id))
            self._album_last[key] = time.monotonic()
            self.bursts.touch(event.chat_id)
            if key not in self._album_tasks:
                self._album_tasks[key] = asyncio.create_task(self._settle(key, link.tg_user_id))
            return
        # Telegram sends an album's messages together: a message after it means the album is whole.
        await self._flush_albums(event.chat_id)
        # Only this message: later ones are recorded already (before their handlers wait for the
        # lock) and are taken by their own handlers, commands among them.
        row = await off_loop(self.store.message_row, row_id)
        if row is not None and row.job_id is None:
            await self._take([row], link, lang)

    async def _take(self, rows: Sequence[InboxMessage], link: Link, lang: str) -> None:
        """One message or one album: part of a burst, the start of one, or a job now."""
        chat, replied = link.tg_chat_id, any(r.reply_to_msg_id for r in rows)
        if self.bursts.joins(chat, replied):
            self.bursts.add(chat, [r.id for r in rows])
            return
        ended = self.bursts.take(chat)
        if ended is not None:
            # Past its window (its own task waits for the lock we hold): the burst goes first, in order.
            await self._burst_job(tg_chat_id=chat, burst=ended)
        if not replied and self.settings.sync.burst_window > 0:
            dialog = await off_loop(self.store.get_dialog, link.tg_user_id)
            if (dialog is not None and dialog[0] in (AWAITING_COMMENT, AWAITING_NEW_ISSUE)
                    and dialog_live(dialog, utcnow())):
                # The answer to "Comment" or "New request": what follows it closely belongs to it.
                self.bursts.start(chat, link.tg_user_id, [r.id for r in rows])
                return
        await self._make_job(rows, link, lang)

    async def _finish_burst(self, tg_chat_id: int, burst: Burst) -> None:
        async with self.locks.hold(burst.tg_user_id):
            await self._flush_albums(tg_chat_id)  # an album still settling is the burst's too
            if self.bursts.take(tg_chat_id) is burst:  # else cancelled (/cancel) or taken meanwhile
                await self._burst_job(tg_chat_id=tg_chat_id, burst=burst)

    async def _burst_job(self, *, tg_chat_id: int, burst: Burst) -> None:
        rows = [row for row in [await off_loop(self.store.message_row, i) for i in burst.rows]
                if row is not None and row.job_id is None]
        link = await off_loop(self.store.get_link, burst.tg_user_id)
        if not rows or link is None:
            return
        log.info("burst_taken", tg_user_id=link.tg_user_id, messages=len(rows))
        try:
            # Routed as the first message would have been: the question it answered counts then.
            await self._make_job(sorted(rows, key=lambda r: r.tg_message_id), link, link.language,
                                 now=burst.started)
        except Exception:  # resume() retries it at the next start
            log.exception("burst_intake_failed", tg_user_id=link.tg_user_id)

    async def _settle(self, key: tuple[int, int], tg_user_id: int) -> None:
        while True:
            wait = self._album_last.get(key, 0.0) + self.settings.sync.album_settle - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        async with self.locks.hold(tg_user_id):
            await self._finish_album(key)

    async def _flush_albums(self, tg_chat_id: int) -> None:
        for key in [k for k in self._album_tasks if k[0] == tg_chat_id]:
            task = self._album_tasks.get(key)
            if task is not None and task is not asyncio.current_task():
                task.cancel()
            await self._finish_album(key)

    async def _finish_album(self, key: tuple[int, int]) -> None:
        self._album_tasks.pop(key, None)
        self._album_last.pop(key, None)
        rows = await off_loop(self.store.unassigned_messages, key[0], key[1])
        if not rows:
            return
        link = await off_loop(self.store.get_link, rows[0].tg_user_id)
        if link is None:
            return
        try:
            await self._take(rows, link, link.language)
        except Exception:  # one album must not take the others down; resume() retries it
            log.exception("album_intake_failed", tg_user_id=link.tg_user_id)

    # ------------------------------------------------------------ deciding

    async def _make_job(self, rows: Sequence[InboxMessage], link: Link, lang: str,
                        now: datetime | None = None) -> None:
        user = link.tg_user_id
        parts = [Content.from_json(r.content) for r in rows]
        combined = combine(parts)
        reply_to = next((r.reply_to_msg_id for r in rows if r.reply_to_msg_id), None)
        reply_issue = await self._reply_issue(link, reply_to)
        small_talk = is_small_talk(combined.typed, [f.kind for f in combined.files],
                                   other_lines=[line for p in parts for line in p.extra_lines])
        decision = route(reply_issue_id=reply_issue, dialog=await off_loop(self.store.get_dialog, user),
                         now=now or utcnow(), small_talk=small_talk)
        if decision.action == "thanks":
            await self._thanks(rows, link, lang, forget_dialog=decision.used_dialog)
            return
        sent_at = min(r.sent_at for r in rows)
        common = dict(tg_user_id=user, tg_chat_id=link.tg_chat_id, fingerprint=combined.fingerprint(),
                      sent_at=sent_at)
        ids = [r.id for r in rows]
        bound = log.bind(tg_user_id=user, messages=len(rows))
        if decision.action == "comment":
            job_id = await off_loop(self.store.create_job, ids, state=QUEUED, action="comment",
                                    okdesk_issue_id=decision.okdesk_issue_id,
                                    finished_choice=COMMENT_AS_IS if decision.as_is else None, **common)
            bound.info("inbound_comment_queued", issue_id=decision.okdesk_issue_id, job_id=job_id)
        elif decision.action == "create":
            job_id = await off_loop(self.store.create_job, ids, state=ASKING, **common)
            if job_id is not None:
                await self.choose_create(job_id, link, lang)
        else:
            job_id = await off_loop(self.store.create_job, ids, state=ASKING, **common)
            if job_id is not None:
                note = None
                if decision.expired == AWAITING_COMMENT:
                    note = t(lang, "expired_comment_note", issue_id=decision.expired_issue_id)
                elif decision.expired == AWAITING_NEW_ISSUE:
                    note = t(lang, "expired_new_issue_note")
                await self._ask_or_retry(job_id, link, lang, note=note)
        if job_id is not None and decision.used_dialog:
            await off_loop(self.store.clear_dialog, user)
        if job_id is not None and decision.action == "comment":
            self.on_new_job()  # queued for the worker (a new issue wakes it in choose_create)

    async def _thanks(self, rows: Sequence[InboxMessage], link: Link, lang: str, *, forget_dialog: bool) -> None:
        """A short thanks with nothing it answers: acknowledged, never sent to Okdesk (syncd.sync.dialog)."""
        for row in rows:
            await off_loop(self.store.mark_handled, row.id)
        if forget_dialog:
            await off_loop(self.store.clear_dialog, link.tg_user_id)
        log.info("small_talk_not_sent", tg_user_id=link.tg_user_id)
        await self.replies.send(peer_of(link), t(lang, "thanks_ack"), reply_to=rows[0].tg_message_id)

    async def _reply_issue(self, link: Link, reply_to: int | None) -> int | None:
        """The issue a replied-to bot message is about: our own record, else the number it names."""
        if reply_to is None:
            return None
        issue_id = await off_loop(self.store.issue_for_message, link.tg_chat_id, reply_to)
        if issue_id is not None:
            return issue_id
        try:
            replied = await self.tg.get_messages(peer_of(link), ids=reply_to)
        except Exception as exc:  # noqa: BLE001 - any failure here means "no context"
            log.warning("replied_message_unavailable", tg_user_id=link.tg_user_id, error=type(exc).__name__)
            return None
        if replied is None or not getattr(replied, "out", False):
            return None
        return issue_named_in(replied.raw_text)

    async def choose_create(self, job_id: int, link: Link, lang: str) -> bool:
        """Make the job an issue, unless the same words and files already are one (within the window)."""
        job = await off_loop(self.store.get_job, job_id)
        if job is None or job.state != ASKING:
            return False
        window = timedelta(seconds=self.settings.sync.duplicate_window)
        twin = await off_loop(self.store.twin_job, link.tg_user_id, job.fingerprint, job.sent_at - window,
                              job.sent_at + window, exclude=job_id)
        if twin is not None:
            await off_loop(self.store.update_job, job_id, only_if_state=[ASKING], state=DUPLICATE, action="create",
                           okdesk_issue_id=twin.okdesk_issue_id, done_at=utcnow())
            log.info("inbound_duplicate_issue", tg_user_id=link.tg_user_id, job_id=job_id, twin_job_id=twin.id)
            text = (t(lang, "already_created", issue_id=twin.okdesk_issue_id) if twin.state == DONE
                    else t(lang, "already_creating"))
            await self.replies.send(peer_of(link), text)
            return True
        # A message first meant for a finished issue forgets it: the new issue is its own.
        changed = await off_loop(self.store.update_job, job_id, only_if_state=[ASKING], state=QUEUED, action="create",
                                 okdesk_issue_id=None, finished_choice=None, next_try_at=utcnow())
        if changed:
            log.info("inbound_issue_queued", tg_user_id=link.tg_user_id, job_id=job_id)
            self.on_new_job()
        return changed

    async def choose_comment(self, job_id: int, issue_id: int) -> bool:
        changed = await off_loop(self.store.update_job, job_id, only_if_state=[ASKING], state=QUEUED, action="comment",
                                 okdesk_issue_id=issue_id, next_try_at=utcnow())
        if changed:
            self.on_new_job()
        return changed

    async def choose_on_finished(self, job_id: int, *, reopen: bool) -> bool:
        """The client's answer to "the issue is finished": reopen it and comment, or only comment."""
        job = await off_loop(self.store.get_job, job_id)
        if job is None or job.action != "comment" or job.okdesk_issue_id is None:
            return False  # a question about where a message goes, not about a finished issue: forged
        changed = await off_loop(self.store.update_job, job_id, only_if_state=[ASKING], state=QUEUED,
                                 finished_choice=REOPEN if reopen else COMMENT_AS_IS, next_try_at=utcnow())
        if changed:
            self.on_new_job()
        return changed

    async def ask_on_finished(self, job_id: int, tg_user_id: int, issue: Issue | None = None) -> None:
        """The worker found the job's issue finished (``issue``, as it read it): the job waits for the
        client's choice."""
        async with self.locks.hold(tg_user_id):  # not both this and resume() asking the same question
            link = await off_loop(self.store.get_link, tg_user_id)
            if link is None or not await off_loop(self.store.update_job, job_id, only_if_state=[QUEUED], state=ASKING,
                                                  ask_message_id=None):
                return
            await self._ask_or_retry(job_id, link, link.language, issue)

    def _requeue_unfinished(self, job_id: int) -> None:
        """Staff reopened the issue before the client was asked: the message is a comment after all."""
        if self.store.update_job(job_id, only_if_state=[ASKING], state=QUEUED, next_try_at=utcnow()):
            self.on_new_job()

    async def _ask_or_retry(self, job_id: int, link: Link, lang: str, issue: Issue | None = None,
                            note: str | None = None) -> None:
        """Ask now; if Telegram or Okdesk fails, ask again later (the message is kept meanwhile)."""
        if not await self._try_ask(job_id, link, lang, issue, note):
            task = asyncio.create_task(self._ask_later(job_id, link.tg_user_id))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)

    async def _try_ask(self, job_id: int, link: Link, lang: str, issue: Issue | None = None,
                       note: str | None = None) -> bool:
        try:
            await self.ask(job_id, link, lang, issue, note)
            return True
        except Exception as exc:  # noqa: BLE001 - asked again later; the job and its messages are safe
            log.warning("question_not_sent", tg_user_id=link.tg_user_id, job_id=job_id, error=type(exc).__name__)
            return False

    async def _ask_later(self, job_id: int, tg_user_id: int) -> None:
        delay = self.settings.sync.retry_base
        while True:
            await asyncio.sleep(delay)
            async with self.locks.hold(tg_user_id):
                job, link = await off_loop(self.store.get_job, job_id), await off_loop(self.store.get_link, tg_user_id)
                if job is None or link is None or job.state != ASKING or job.ask_message_id is not None:
                    return
                if await self._try_ask(job_id, link, link.language):  # the issue read afresh
                    return
            delay = min(delay * 2, self.settings.sync.retry_cap)

    def close(self) -> None:
        """At stop: albums still gathering and questions waiting to be asked again are left to the next
        start (their messages are recorded; `resume` takes them up)."""
        for task in [*self._album_tasks.values(), *self._retries]:
            task.cancel()
        self.bursts.close()

    async def ask(self, job_id: int, link: Link, lang: str, issue: Issue | None = None,
                  note: str | None = None) -> None:
        """No context: offer the client's open issues and a new one, or (none open) a new one.
        A message for a finished issue: offer to reopen it (:mod:`syncd.bot.reopen`)."""
        job = await off_loop(self.store.get_job, job_id)
        if job is not None and job.okdesk_issue_id is not None:
            await self.finished.ask(job, link, lang, issue)
            return
        finished = self.settings.okdesk.statuses.finished
        try:
            issues = await asyncio.to_thread(self.okdesk.list_issues, contact_ids=[link.okdesk_contact_id],
                                             max_pages=1)
            open_issues = [i for i in issues if i.contact_id == link.okdesk_contact_id
                           and i.status_code not in finished]
        except OkdeskError as exc:
            log.warning("open_issues_unavailable", tg_user_id=link.tg_user_id, error=str(exc))
            open_issues = None
        open_issues = sorted(open_issues or [], key=lambda i: (i.updated_at or i.created_at or utcnow()),
                             reverse=True)[:ASK_ISSUES] if open_issues is not None else None
        new_button = Button.inline(t(lang, "menu_new" if open_issues else "create_button"),
                                   encode(Callback("new", job_id=job_id)))
        if open_issues:
            rows = [[Button.inline(t(lang, "add_to_button", issue_id=i.id, title=make_title(i.title, 32)),
                                   encode(Callback("add", job_id=job_id, issue_id=i.id)))] for i in open_issues]
            text, buttons = t(lang, "ask_where"), rows + [[new_button]]
        else:
            text = t(lang, "offer_create") if open_issues is not None else t(lang, "ask_where")
            buttons = [[new_button]]
        text = f"{note}\n\n{text}" if note else text
        sent = await self.replies.send(peer_of(link), text, buttons=[*buttons, cancel_job_row(lang, job_id)])
        if sent is None:
            raise NotSent  # asked again later (_ask_or_retry): the job and its messages are safe
        # 0: asked, under an id Telegram did not tell (a repeat refused as a duplicate). An asking job's
        # next_try_at is when its question expires (the worker never takes an asking job).
        await off_loop(self.store.update_job, job_id, ask_message_id=sent.id or 0, next_try_at=expires(self.settings))

    # ------------------------------------------------------------ after a restart

    async def resume(self) -> None:
        """Messages a crash caught before their job, and questions never asked, are taken up again."""
        # Only what an earlier run left: this run's own messages (catch-up included) are in their
        # handlers' hands, and an album of them may still be arriving.
        groups: dict[tuple[int, int], list[Any]] = {}
        for row in await off_loop(self.store.unassigned_messages, received_before=self.started_at):
            groups.setdefault((row.tg_user_id, row.grouped_id or -row.tg_message_id), []).append(row)
        for (user, _), rows in sorted(groups.items(), key=lambda kv: kv[1][0].id):
            link = await off_loop(self.store.get_link, user)
            async with self.locks.hold(user):
                fresh = [r for r in rows
                         if await off_loop(self.store.message_job, r.tg_chat_id, r.tg_message_id) is None]
                if not fresh:
                    continue
                if link is None:
                    # Written before linking: a linking step or a message the client was told to repeat.
                    for row in fresh:
                        await off_loop(self.store.mark_handled, row.id)
                    continue
                log.info("inbound_resumed", tg_user_id=user, messages=len(fresh))
                await self._take(fresh, link, link.language)  # a burst a crash cut is gathered again
        for job in await off_loop(self.store.unasked_jobs, created_before=self.started_at):
            link = await off_loop(self.store.get_link, job.tg_user_id)
            if link is not None:
                async with self.locks.hold(job.tg_user_id):
                    current = await off_loop(self.store.get_job, job.id)
                    if current is not None and current.state == ASKING and current.ask_message_id is None:
                        # Okdesk or Telegram may be down at start: asked again later, the others go on.
                        await self._ask_or_retry(job.id, link, link.language)
