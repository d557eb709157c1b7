"""The daemon's record of its last Telegram contact, for ``syncd check`` while the daemon runs.

One session file serves one process, so a check cannot log in while the daemon is up; it reads
this record instead: kv ``telegram_last_ok``, an ISO time, written whenever Telegram answered.
"""

from __future__ import annotations

import asyncio
from typing import Any

from syncd.clock import utcnow
from syncd.logs import get_logger
from syncd.store.offloop import off_loop
from syncd.store.states import TELEGRAM_LAST_OK_KEY

KEY = TELEGRAM_LAST_OK_KEY  # its home: syncd.store.states
EVERY = 60.0  # seconds between two calls that prove Telegram answers
STALE_AFTER = 3 * EVERY  # a record older than three missed beats means trouble

log = get_logger(__name__)


class TelegramHeartbeat:
    def __init__(self, tg: Any, store: Any, timeout: float = 30.0) -> None:
        self.tg, self.store, self.timeout = tg, store, timeout

    def record(self) -> None:
        self.store.set_value(KEY, utcnow().isoformat())

    async def beat(self) -> None:
        """Ask Telegram who we are (cheap, changes nothing); note the time if it answered."""
        try:
            me = await asyncio.wait_for(self.tg.get_me(), self.timeout)
        except Exception as exc:  # noqa: BLE001 - an outage is the sender's to report; here it only means no record
            log.debug("telegram_heartbeat_missed", error=type(exc).__name__)
            return
        if me is not None:
            await off_loop(self.record)
