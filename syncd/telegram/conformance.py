"""mypy's proof that the daemon's Telegram client satisfies ``TelegramPort`` (syncd/telegram/port.py).

Nothing runs here: it is only type-checked (tests/static/test_static_checks.py runs mypy over syncd/).
Kept apart from the port so the port, which the client's module imports, imports no client back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.telegram.client import SyncdTelegramClient
    from syncd.telegram.port import DifferenceWatcher, TelegramPort

    def _the_daemon_client_is_a_port(client: SyncdTelegramClient) -> TelegramPort:
        """Checked by mypy. Telethon ships no types, so mypy takes SyncdTelegramClient's inherited
        members as Any and the Protocol as met by them; the members the class declares itself are
        checked one by one here. tests/unit/test_telegram_port.py checks Telethon's at run time."""
        watcher: DifferenceWatcher | None = client.difference_watcher
        call: Callable[[Any, bool, int | None], Awaitable[Any]] = client.__call__
        del watcher, call
        return client
