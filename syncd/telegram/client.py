"""Telethon's client, as the daemon builds it: it lets us watch the update loop's catch-up.

Telethon 1.45 fetches missed updates with ``updates.getDifference`` from its update loop, through
the same ``__call__`` as any request (telethon/client/updates.py, ``_update_loop``: ``await
self(get_diff)``), and handles what comes back itself. Two of its outcomes need us: a transient
error ends its catch-up until the next update arrives, and ``updates.differenceTooLong`` makes it
skip the gap silently. Overriding the public ``__call__`` shows us both without touching a private
name; tests/e2e/test_catch_up.py fails if Telethon ever stops going through it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import TelegramClient
from telethon.tl import functions

from syncd.telegram.port import DifferenceWatcher

__all__ = ["DAEMON_OPTIONS", "DifferenceWatcher", "SyncdTelegramClient"]  # DifferenceWatcher: the port's

# How the daemon's client behaves (syncd.app.parts.make_telegram_client); the in-memory fake of the tests
# (tests/fakes/telegram.py) is built with the same, so both answer alike.
DAEMON_OPTIONS: dict[str, Any] = dict(
    # FloodWaits are ours to honour (the pacer pauses every send), not Telethon's to sleep through.
    flood_sleep_threshold=0,
    # Our outbox retries with backoff and a budget; RANDOM_ID_DUPLICATE must reach us at once,
    # not after Telethon's own retries of what it takes for a server error.
    request_retries=0, raise_last_call_error=True,
    connection_retries=-1, retry_delay=1, auto_reconnect=True,
    # Messages sent while the daemon was down arrive through updates.getDifference (watched:
    # syncd.telegram.catchup retries a failed one and reads back a gap Telegram skipped).
    catch_up=True,
)


class SyncdTelegramClient(TelegramClient):
    difference_watcher: DifferenceWatcher | None = None

    async def __call__(self, request: Any, ordered: bool = False, flood_sleep_threshold: int | None = None) -> Any:
        watched = isinstance(request, functions.updates.GetDifferenceRequest) and self.difference_watcher
        try:
            result = await super().__call__(request, ordered=ordered, flood_sleep_threshold=flood_sleep_threshold)
        except asyncio.CancelledError:
            raise  # the client is stopping: nothing to catch up on
        except Exception as exc:
            if watched and self.difference_watcher is not None:
                self.difference_watcher(request, None, exc)
            raise
        if watched and self.difference_watcher is not None:
            self.difference_watcher(request, result, None)
        return result
