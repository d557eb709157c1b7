"""Catch-up after downtime: messages clients sent while the daemon was away are not lost.

Telethon catches up by itself with ``updates.getDifference`` (syncd.telegram.client lets us watch
it). Two outcomes are ours to mend:

* a transient error (a timeout, a 500, the network): Telethon gives up its catch-up until the next
  update arrives, which may be hours. It is asked to catch up again, with backoff, until it worked.
* ``updates.differenceTooLong``: Telegram keeps a bounded backlog, and beyond it Telethon moves its
  state past the gap and skips it. In private chats message ids are one sequence per account
  (core.telegram.org/api/updates), so the gap is read back by id with ``messages.getMessages``,
  from the highest id the daemon knew before the gap, forward until three batches in a row come back
  empty. Every client message found (not a service message, such as a pin) goes through the bot, one
  at a time in id order, as if it had just arrived (the inbox recognises what it has seen). What could not be read back (more than ``telegram.recover_max_messages`` ids) is logged as
  an error with its size and kept for ``syncd status --json`` (``telegram_catch_up``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telethon.tl import types

from syncd.clock import utcnow
from syncd.logs import get_logger
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.states import TELEGRAM_CATCH_UP_KEY as CATCH_UP_KEY
from syncd.sync.retry import RetryPolicy, backoff
from syncd.telegram.port import TelegramPort

log = get_logger(__name__)
BATCH = 100  # ids per messages.getMessages (Telethon asks in chunks of 100 too)
# Batches in a row without a single message before the read stops: the end of the bot's messages (a
# client who deleted a whole stretch of the chat "for both" leaves a hole of missing ids, too).
EMPTY_BATCHES_AT_END = 3
# A message dated this much before the state the gap starts from still counts as the gap's (clocks).
DATE_SLACK = timedelta(minutes=5)


class RecoveredEvent:
    """A message read back after a gap, shaped like the NewMessage event the bot's handler takes:
    ``event.message`` is the message, and everything else is read off it (as NewMessage.Event does)."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __getattr__(self, name: str) -> Any:
        return getattr(self.message, name)


class CatchUp:
    def __init__(self, *, tg: TelegramPort, store: Store, policy: RetryPolicy, max_messages: int,
                 on_message: Callable[[Any], Awaitable[None]]) -> None:
        self.tg, self.store, self.policy, self.max_messages = tg, store, policy, max_messages
        self.on_message = on_message  # the bot's handler of a new message
        self._failures = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._recovering: asyncio.Task[None] | None = None
        self._retry: asyncio.Task[None] | None = None
        self._pending: list[tuple[Any, Any]] = []  # gaps waiting for the recovery in progress

    # ------------------------------------------------------------ what Telethon's catch-up got

    def watch(self, request: Any, result: Any, error: BaseException | None) -> None:
        """Called with every updates.getDifference Telethon makes (syncd.telegram.client)."""
        if error is not None:
            self._failures += 1
            delay = backoff(self._failures, self.policy)
            log.warning("telegram_catch_up_failed", error=type(error).__name__, retry_in=round(delay, 2),
                        failures=self._failures)
            if self._retry is None or self._retry.done():  # one retry at a time, whoever failed
                self._retry = self._spawn(self._again(delay))
            return
        self._failures = 0
        if isinstance(result, types.updates.DifferenceTooLong):
            skipped = max(0, result.pts - request.pts)
            log.warning("telegram_difference_too_long", skipped_updates=skipped)
            self._pending.append((request, result))
            if self._recovering is None or self._recovering.done():
                self._recovering = self._spawn(self._recover_all())

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)  # held until done: the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
        return task

    async def _again(self, delay: float) -> None:
        await asyncio.sleep(delay)
        if self.tg.is_connected():
            await self.tg.catch_up()  # Telethon asks for the difference again from where it stopped

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------ reading a skipped gap back

    async def _recover_all(self) -> None:
        while self._pending:
            request, result = self._pending.pop(0)
            try:
                await self._recover(request, result)
            except Exception:  # noqa: BLE001 - one gap must not stop the daemon; it is reported
                log.exception("telegram_gap_recovery_failed")
                await off_loop(self._report, request, result, recovered=0, scanned=None,
                               complete=False)

    async def _recover(self, request: Any, result: Any) -> None:
        # From the state the gap starts at: what the daemon recorded before it (not what it recorded
        # since the reconnect, which lies past the gap), and messages dated after it.
        since = request.date - DATE_SLACK if request.date else None
        known = await off_loop(self.store.highest_message_id, request.date or utcnow())
        first = (known or 0) + 1
        next_id, recovered, empty_batches, complete = first, 0, 0, False
        while next_id - first < self.max_messages:
            ids = list(range(next_id, next_id + min(BATCH, first + self.max_messages - next_id)))
            found = await self._fetch(ids)
            next_id = ids[-1] + 1
            if not any(m is not None for m in found):
                empty_batches += 1
                if empty_batches >= EMPTY_BATCHES_AT_END:
                    complete = True  # past the end of the account's messages
                    break
                continue
            empty_batches = 0
            for message in found:
                if self._is_clients(message, since):
                    recovered += 1
                    # One at a time, in id order, as they were written; the inbox recognises one the
                    # live updates brought meanwhile.
                    await self.on_message(RecoveredEvent(message))
        await off_loop(self._report, request, result, recovered=recovered,
                       scanned=(first, next_id - 1), complete=complete)

    async def _fetch(self, ids: list[int]) -> list[Any]:
        """The messages with these ids (None where there is none), retried like any Telegram call."""
        for attempt in range(1, 6):
            try:
                return list(await self.tg.get_messages(None, ids=ids))
            except Exception as exc:  # noqa: BLE001 - the network, a flood wait: try again, then report
                wait = getattr(exc, "seconds", None) or backoff(attempt, self.policy)
                log.info("telegram_gap_fetch_retry", error=type(exc).__name__, retry_in=round(wait, 2))
                await asyncio.sleep(wait)
        return list(await self.tg.get_messages(None, ids=ids))

    @staticmethod
    def _is_clients(message: Any, since: Any) -> bool:
        """A message a client sent the bot in a private chat within the gap (a service message, such
        as a pin, is not one: Telethon's NewMessage never hands those over either)."""
        if not isinstance(message, types.Message) or message.out or not message.is_private:
            return False
        return since is None or message.date is None or message.date >= since

    def _report(self, request: Any, result: Any, *, recovered: int, scanned: tuple[int, int] | None,
                complete: bool) -> None:
        skipped = max(0, result.pts - request.pts)
        gap = {"at": utcnow().isoformat(), "skipped_updates": skipped, "recovered_messages": recovered,
               "scanned_ids": list(scanned) if scanned else None, "complete": complete}
        if complete:
            log.info("telegram_gap_recovered", **gap)
        else:
            # Beyond what was read back there may be client messages nobody will see: say so loudly.
            log.error("telegram_gap_not_recovered", **gap, max_messages=self.max_messages)
        before = self.store.get_value(CATCH_UP_KEY)
        previous = json.loads(before) if before else {}
        report = {"gaps": int(previous.get("gaps", 0)) + 1,
                  "incomplete_gaps": int(previous.get("incomplete_gaps", 0)) + (0 if complete else 1),
                  "last_gap": gap}
        self.store.set_value(CATCH_UP_KEY, json.dumps(report))
