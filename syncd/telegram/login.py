"""The bot's login, followed to the data centre Telegram names.

A first login may be answered ``USER_MIGRATE_X`` (or ``PHONE_``/``NETWORK_MIGRATE_X``): the account
lives in data centre X. Telethon moves the session there itself (a new authorization key with that
data centre) but, built with ``request_retries=0`` as the daemon is, then raises the error instead of
asking again. Asking again there is ours: a bounded number of moves, then the error stands.
"""

from __future__ import annotations

from typing import Any

from telethon import TelegramClient, errors

from syncd.logs import get_logger

log = get_logger(__name__)
MAX_MOVES = 3  # Telegram names the account's own data centre at once; more moves would be a loop
_MOVED = (errors.UserMigrateError, errors.PhoneMigrateError, errors.NetworkMigrateError)


async def start_bot(tg: TelegramClient, bot_token: str) -> Any:
    """``tg.start(bot_token=...)``, again in the data centre a migrate error names."""
    for move in range(MAX_MOVES + 1):
        try:
            return await tg.start(bot_token=bot_token)
        except _MOVED as exc:
            if move == MAX_MOVES:
                raise
            log.info("telegram_login_moved", dc=exc.new_dc, move=move + 1)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
