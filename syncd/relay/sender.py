"""The outbox sender: turns pending Telegram items into messages, exactly once, in order per chat.

Each item is a list of steps (a text part, a file, an album). Every message a step sends has a
random_id chosen when the item was written; after a crash the same step is sent again with the same
random_id, and Telegram answers with the messages the first call created instead of sending them
twice (core.telegram.org/api/updates, "updateMessageID updates"). A step counts as delivered only on
messages a call returned, and its success (with their ids, for replies) is recorded before the next
step starts. RANDOM_ID_DUPLICATE means the first call is still in flight at Telegram, its outcome
unknown: the step is asked again later with the same random_ids, for telegram.in_flight_window at
most; a step still answered so after that is taken as delivered (Telegram would not keep a call in
flight that long), without message ids.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telethon.tl import functions, types

from syncd.clock import utcnow
from syncd.formatting import FormattedText
from syncd.logs import get_logger, with_log_context
from syncd.okdesk.errors import (
    OkdeskError,
    OkdeskNotFound,
    OkdeskPrivateFile,
    OkdeskTooLarge,
    OkdeskUnavailable,
)
from syncd.okdesk.models import UNNAMED_FILE
from syncd.okdesk.port import Okdesk
from syncd.relay.dispatchloop import DispatchLoop
from syncd.relay.executor import Executor
from syncd.relay.health import Health
from syncd.relay.staff_notices import NoticeQueue
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.rows import Link, OutboxItem
from syncd.store.states import OUTBOX_TELEGRAM
from syncd.sync.codec import payload_steps
from syncd.sync.planner import FileRef, Step
from syncd.sync.retry import RetryPolicy
from syncd.telegram import media
from syncd.telegram.errors import SendFailure, classify
from syncd.telegram.pacing import Pacer
from syncd.telegram.peers import peer_of, without_access_hash
from syncd.telegram.port import TelegramPort
from syncd.texts import human_size, t

KIND = OUTBOX_TELEGRAM  # its home: syncd.store.states
ACCOUNT_DELETED = "the client deleted their Telegram account"
PRIVATE = "private"  # what _download says of a file Okdesk marks private
log = get_logger(__name__)


class StepFailed(Exception):
    def __init__(self, failure: SendFailure, service: str = "telegram") -> None:
        super().__init__(failure.detail)
        self.failure = failure
        self.service = service


class OutboxSender(DispatchLoop):
    failed_event = "sender_dispatch_failed"

    def __init__(self, *, store: Store, tg: TelegramPort, okdesk: Okdesk, pacer: Pacer,
                 policy: RetryPolicy, health: Health, notices: NoticeQueue, tmp_dir: Path,
                 idle: float = 1.0, concurrency: int = 8, max_file_bytes: int | None = None,
                 in_flight_window: float = 300.0, heartbeat: Callable[[], None] = lambda: None) -> None:
        self.store, self.tg, self.okdesk, self.pacer = store, tg, okdesk, pacer
        self.policy, self.health, self.notices = policy, health, notices
        self.executor = Executor(store, policy, health)
        self.tmp_dir, self.idle, self.max_file_bytes = tmp_dir, idle, max_file_bytes
        self.in_flight_window = in_flight_window
        self.heartbeat = heartbeat  # each turn of the loop, for the systemd watchdog
        # Only file steps take a slot (downloads and uploads can last minutes): a text to one chat
        # never waits behind another chat's video.
        self._file_slots = asyncio.Semaphore(concurrency)
        self._init_loop()

    # ------------------------------------------------------------ control

    async def _dispatch(self) -> float:
        """Start one task per chat whose head item is due; return how long until the next is due."""
        now = utcnow()
        next_due = self.idle
        for row in await off_loop(self.store.chat_heads, KIND):
            chat = row.tg_chat_id
            if chat is None or chat in self._busy:  # a Telegram item always names its chat
                continue
            wait = max((row.next_try_at - now).total_seconds(), self.pacer.chat_ready_in(chat))
            if wait > 0:
                next_due = min(next_due, wait)
                continue
            # Every line of the item's work names its issue and client (a bot's private chat id is
            # the user's id).
            self._busy[chat] = asyncio.create_task(with_log_context(
                self._run_item(row.id, chat), tg_user_id=chat, issue_id=row.okdesk_issue_id, outbox_id=row.id))
        return next_due

    async def _run_item(self, outbox_id: int, chat: int) -> None:
        try:
            await self._process(outbox_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery_crashed", outbox_id=outbox_id, tg_chat_id=chat)
        finally:
            self._busy.pop(chat, None)
            self._wake.set()

    # ------------------------------------------------------------ one item

    async def _process(self, outbox_id: int) -> None:
        row = await off_loop(self.store.get_outbox, outbox_id)
        if row is None or row.state != "pending":
            return
        link = await off_loop(self.store.link_by_chat, row.tg_chat_id) if row.tg_chat_id is not None else None
        if link is None:
            # Nobody to send to (unlinked, or re-queued after the client's account was deleted): no try
            # can succeed, so the item is parked at once.
            log.warning("delivery_without_link", tg_chat_id=row.tg_chat_id)
            await off_loop(self.store.record_failure, row.id, error="the chat is no longer linked", next_try_at=utcnow(),
                           budget_spent=row.budget_spent, parked=True)
            return
        what, comment_id, steps = payload_steps(row.payload)
        bound = log.bind(tg_chat_id=row.tg_chat_id, what=what)  # the item and its issue are in the log context
        peer = peer_of(link)
        random_ids: list[int] = json.loads(row.random_ids)
        offsets = _random_id_offsets(steps)
        # Since when the step at row.progress has heard RANDOM_ID_DUPLICATE; every later step starts afresh.
        unconfirmed_since = row.unconfirmed_since
        for index in range(row.progress, len(steps)):
            step = steps[index]
            rids = random_ids[offsets[index]:offsets[index] + step.message_count]
            try:
                message_ids, peer = await self._send_step_to(peer, link, row, step, rids, bound)
            except StepFailed as failed:
                if failed.failure.kind == "deactivated":
                    failed = await self._confirm_deleted(peer, failed)
                if not (failed.failure.kind == "duplicate" and self._in_flight_too_long(unconfirmed_since)):
                    await off_loop(self._fail, row, failed, bound, unconfirmed_since)
                    return
                # Still "in flight" after the whole window: Telegram has these messages (no call stays
                # in flight that long; the variant that answers every repeat so looks the same).
                bound.warning("random_id_duplicate_taken_as_delivered", step=index + 1,
                              unconfirmed_since=unconfirmed_since.isoformat() if unconfirmed_since else None)
                message_ids = []
            self.health.mark("telegram")
            done = index + 1 == len(steps)
            await off_loop(self.store.record_step, row.id, index + 1, message_ids, tg_chat_id=row.tg_chat_id,
                           okdesk_issue_id=row.okdesk_issue_id, okdesk_comment_id=comment_id, done=done)
            unconfirmed_since = None
            bound.info("delivered" if done else "delivery_step_sent", step=index + 1, steps=len(steps))

    async def _send_step_to(self, peer: Any, link: Link, row: OutboxItem, step: Step, rids: list[int],
                            bound: Any) -> tuple[list[int], Any]:
        """Send one step; a refused access_hash is tried once more with access_hash 0 (the same
        random_ids). Returns the message ids and the peer that worked, for the item's next steps."""
        try:
            return await self._send_step(peer, row, step, rids, link.language), peer
        except StepFailed as failed:
            fallback = without_access_hash(peer) if failed.failure.kind == "peer_invalid" else None
            if fallback is None:
                raise
            bound.info("access_hash_refused_trying_zero", error=failed.failure.detail)
        message_ids = await self._send_step(fallback, row, step, rids, link.language)
        # Kept for the client's next items (their next message brings a fresh access_hash anyway).
        await off_loop(self.store.touch_link, link.tg_user_id, access_hash=fallback.access_hash)
        return message_ids, fallback

    async def _confirm_deleted(self, peer: Any, failed: StepFailed) -> StepFailed:
        """USER_DEACTIVATED (documented for the calling account): the client's deleted account only if
        Telegram shows it deleted, else an outage (the bot's own account, say)."""
        kind = "gone" if await self._account_deleted(peer) else "outage"
        return StepFailed(SendFailure(kind, failed.failure.detail))

    async def _send_step(self, peer: Any, row: OutboxItem, step: Step, rids: list[int], lang: str) -> list[int]:
        if step.kind == "text":
            assert step.text is not None
            await self.pacer.wait_turn(row.chat)
            return await self._call(media.send_text(self.tg, peer, step.text, rids[0],
                                                    reply_markup=media.inline_markup(step.buttons),
                                                    reply_to=step.reply_to))
        async with self._file_slots:
            return await self._send_file_step(peer, row, step, rids, lang)

    async def _send_file_step(self, peer: Any, row: OutboxItem, step: Step, rids: list[int], lang: str) -> list[int]:
        work = Path(tempfile.mkdtemp(prefix=f"out{row.id}-", dir=self.tmp_dir))
        try:
            ready: list[tuple[int, Path, FileRef]] = []
            notes: list[tuple[int, FormattedText]] = []
            for i, planned in enumerate(step.files):
                problem, ref = await self._download(row, planned, work / str(i))
                if problem is None:
                    # Named by its extension for Telethon, which reads it (a video's attributes, say).
                    path = (work / str(i)).rename(work / f"{i}{Path(ref.file_name).suffix[:16]}")
                    ready.append((i, path, ref))
                elif problem == PRIVATE:
                    continue  # not the client's to see, nor to hear of
                else:
                    # That one file is gone or too big: the client learns of it in words, under the
                    # file's own random_id, and the other files still go as planned.
                    notes.append((i, FormattedText(t(lang, problem, name=ref.file_name,
                                                     size=human_size(ref.size, lang)))))
            # Paced when the files are in hand: a long download must not spend the chat's turn.
            await self.pacer.wait_turn(row.chat, step.message_count)
            message_ids = await self._send_files(peer, ready, rids) if ready else []
            for i, note in notes:
                message_ids += await self._call(media.send_text(self.tg, peer, note, rids[i]))
            return message_ids
        finally:
            shutil.rmtree(work, ignore_errors=True)

    async def _send_files(self, peer: Any, ready: list[tuple[int, Path, FileRef]], rids: list[int]) -> list[int]:
        """One file alone, or an album; an image Telegram refuses as a photo goes as a document on its own."""
        if len(ready) == 1:
            i, path, ref = ready[0]
            return await self._send_single(peer, path, ref, rids[i])
        prepared: list[tuple[Any, int]] = []
        refused: list[tuple[int, Path, FileRef]] = []
        for i, path, ref in ready:
            try:
                prepared.append((await self._call(media.prepare_album_item(self.tg, peer, path, ref.file_name,
                                                                           ref.send_as)), rids[i]))
            except StepFailed as failed:
                # Albums cannot mix documents with photos: the refused image leaves the album.
                if failed.failure.kind != "photo_refused" or ref.send_as != "photo":
                    raise
                refused.append((i, path, ref))
        message_ids: list[int] = []
        if len(prepared) == 1:
            message_ids += await self._call(media.send_prepared(self.tg, peer, *prepared[0]))
        elif prepared:
            message_ids += await self._send_album(peer, prepared)
        for i, path, ref in refused:
            message_ids += await self._call(media.send_single(self.tg, peer, path, ref.file_name, "document", rids[i]))
        return message_ids

    async def _send_single(self, peer: Any, path: Path, ref: FileRef, rid: int) -> list[int]:
        try:
            return await self._call(media.send_single(self.tg, peer, path, ref.file_name, ref.send_as, rid))
        except StepFailed as failed:
            # Telegram would not take the image as a photo: the same item, same random_id, as a document.
            if failed.failure.kind != "photo_refused" or ref.send_as != "photo":
                raise
            return await self._call(media.send_single(self.tg, peer, path, ref.file_name, "document", rid))

    async def _send_album(self, peer: Any, prepared: list[tuple[Any, int]]) -> list[int]:
        try:
            return await media.send_album(self.tg, peer, prepared)
        except Exception as exc:  # sorted below, as in _call
            failure = classify(exc)
            if failure.kind != "duplicate":
                raise StepFailed(failure) from None
        # An album whose random_ids were only partly used (an earlier try split it differently: a file
        # was unavailable then) is undocumented; Telegram may refuse it whole. Each item alone settles
        # it: those Telegram has are answered with their earlier message, the rest are sent now; an item
        # still in flight leaves the step unconfirmed, to be asked again.
        log.info("random_id_duplicate_in_album_resolving_items", items=len(prepared))
        try:
            outcomes = await media.send_each(self.tg, peer, prepared)
        except Exception as exc:
            raise StepFailed(classify(exc)) from None
        message_ids: list[int] = []
        unconfirmed: SendFailure | None = None
        for ids, error in outcomes:
            item_failure = classify(error) if error is not None else None
            if item_failure is None:
                message_ids += ids
            elif item_failure.kind == "duplicate":
                unconfirmed = item_failure
            else:
                raise StepFailed(item_failure)
        if unconfirmed is not None:
            raise StepFailed(unconfirmed)
        return message_ids

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except Exception as exc:  # every Telegram failure is sorted below; nothing escapes unclassified
            raise StepFailed(classify(exc)) from None

    def _in_flight_too_long(self, since: datetime | None) -> bool:
        return since is not None and (utcnow() - since).total_seconds() >= self.in_flight_window

    async def _download(self, row: OutboxItem, ref: FileRef, path: Path) -> tuple[str | None, FileRef]:
        """(What went wrong, or None; the file as the attachment's own answer names it.)"""
        named: list[str] = []
        issue_id = row.issue

        def as_named() -> FileRef:  # the name the comment's list of files lacked, once Okdesk said it
            if ref.file_name == UNNAMED_FILE and named and named[-1] != UNNAMED_FILE:
                return replace(ref, file_name=named[-1])
            return ref

        try:
            # public_only: a comment's list of files may not carry their flags or names (its shape is
            # undocumented); the attachment's own answer does, and a private file never reaches a client.
            await asyncio.to_thread(self.okdesk.download_attachment, issue_id, ref.attachment_id, path,
                                    max_bytes=self.max_file_bytes, public_only=True,
                                    on_link=lambda link: named.append(link.file_name))
        except OkdeskTooLarge:
            if self.max_file_bytes is not None:
                await off_loop(self.notices.file_too_large, row, ref.attachment_id, as_named().file_name, ref.size,
                               self.max_file_bytes)
            return "file_too_large", as_named()
        except OkdeskNotFound:
            return "file_unavailable", as_named()
        except OkdeskPrivateFile:
            log.info("private_file_not_sent", attachment_id=ref.attachment_id)
            return PRIVATE, ref
        except OkdeskUnavailable as exc:
            raise StepFailed(SendFailure("outage", f"Okdesk: {exc}"), service="okdesk") from None
        except OkdeskError as exc:
            raise StepFailed(SendFailure("item", f"Okdesk: {exc}"), service="okdesk") from None
        self.health.mark("okdesk")
        return None, as_named()

    # ------------------------------------------------------------ failures

    def _fail(self, row: OutboxItem, failed: StepFailed, bound: Any, unconfirmed_since: datetime | None = None) -> None:
        failure, now = failed.failure, utcnow()
        if failure.kind == "duplicate":
            # The first send of this step may still be in flight: not a failure of the item (no attempt,
            # no budget). Asked again with the same random_ids, a little later each time.
            since = unconfirmed_since or now
            waited = (now - since).total_seconds()
            delay = min(self.policy.cap, max(self.policy.base, waited), max(0.0, self.in_flight_window - waited))
            self.store.record_unconfirmed(row.id, since=since, error=failure.detail,
                                          next_try_at=now + timedelta(seconds=delay))
            bound.info("telegram_send_in_flight", retry_in=round(delay, 2), unconfirmed_for=round(waited, 1))
            return
        if failure.kind == "flood":
            self.pacer.pause(failure.wait)
            self.store.record_failure(row.id, error=failure.detail, next_try_at=now + timedelta(seconds=failure.wait),
                                      budget_spent=row.budget_spent, parked=False, count_attempt=False)
            bound.warning("telegram_flood_wait", seconds=failure.wait)
            return
        if failure.kind == "gone":
            self._forget_deleted_account(row, failure, bound)
            return
        if failure.kind in ("blocked", "peer_invalid"):
            # Unreachable until they write again (their message brings a fresh access_hash, or unblocks us).
            # An episode already running keeps its start: the notices of it are keyed by that.
            since = self.store.set_blocked(row.chat, now) or now
            self.notices.unreachable(row, failure.kind, since)
            bound.warning("client_blocked_bot" if failure.kind == "blocked" else "client_unreachable",
                          error=failure.detail)
            return
        outcome = self.executor.outbox_failed(row, service=failed.service, error=failure.detail,
                                              outage=failure.kind == "outage")
        if outcome.parked:
            # The error stays in the log and `syncd status`; staff read its kind in their own words.
            bound.error("delivery_parked", error=failure.detail, attempts=row.attempts + 1)
            self.notices.given_up(row, failed.service, failure.kind == "outage")
        else:
            bound.warning("delivery_failed", error=failure.detail, kind=failure.kind, retry_in=round(outcome.delay, 2),
                          budget_spent=round(outcome.budget_spent, 1))


    async def _account_deleted(self, peer: Any) -> bool:
        """Whether Telegram shows this client's account deleted (False when it cannot say: the bot's
        own session refused, say)."""
        user = types.InputUser(user_id=peer.user_id, access_hash=peer.access_hash)
        try:
            found = await self.tg(functions.users.GetUsersRequest(id=[user]))
        except Exception as exc:  # noqa: BLE001 - no confirmation, whatever the reason
            log.warning("account_deleted_not_confirmed", tg_user_id=peer.user_id, error=type(exc).__name__)
            return False
        return any(getattr(u, "id", None) == peer.user_id and getattr(u, "deleted", False) for u in found)

    def _forget_deleted_account(self, row: OutboxItem, failure: SendFailure, bound: Any) -> None:
        """A deleted account never writes again: park every delivery waiting for it at once, tell staff
        on each issue concerned, and forget the client as an unlink does."""
        link = self.store.link_by_chat(row.chat)
        forgotten = (self.store.forget_deleted_account(link.tg_user_id, f"{failure.detail}: {ACCOUNT_DELETED}")
                     if link is not None else None)
        self.notices.account_deleted(row, link, forgotten.okdesk_issue_ids if forgotten else ())
        # Their messages still waiting for Okdesk go with them (as at an unlink): counted, for the log.
        bound.warning("client_account_deleted", error=failure.detail,
                      deliveries_parked=forgotten.deliveries if forgotten else 0,
                      messages_not_posted=forgotten.jobs_refused if forgotten else 0)


def _random_id_offsets(steps: tuple[Step, ...]) -> list[int]:
    offsets, total = [], 0
    for step in steps:
        offsets.append(total)
        total += step.message_count
    return offsets
