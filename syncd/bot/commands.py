"""The bot's commands, registered with Telegram so that its Menu button lists them.

``bots.setBotCommands`` for the default scope, once per language: Russian, English, and the empty
language code (clients whose Telegram language is neither) in ``telegram.default_language``. What
Telegram already holds is read first (``bots.getBotCommands``), so a start that finds the list
current writes nothing. A failure never stops the daemon: it is logged and tried again, with the
backoff of a failed delivery (``sync.retry_base``, ``sync.retry_cap``), until Telegram has the list.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import errors
from telethon.tl import functions, types

from syncd.config import Settings
from syncd.logs import get_logger
from syncd.sync.retry import RetryPolicy, backoff
from syncd.telegram.errors import error_name
from syncd.telegram.port import TelegramPort
from syncd.texts import t

log = get_logger(__name__)
# Command -> the key of its description, in the order the menu lists them.
COMMANDS = (("new", "cmd_new"), ("issues", "cmd_issues"), ("profile", "cmd_profile"), ("help", "cmd_help"),
            ("cancel", "cmd_cancel"))
LANG_CODES = ("ru", "en", "")  # "": every other language, in telegram.default_language


def wanted(lang: str) -> list[tuple[str, str]]:
    """(command, description) pairs, in the order the menu lists them."""
    return [(command, t(lang, key)) for command, key in COMMANDS]


async def register_once(tg: TelegramPort, default_language: str) -> int:
    """Make Telegram hold the commands in every language; how many lists had to be written."""
    written = 0
    scope = types.BotCommandScopeDefault()
    for code in LANG_CODES:
        commands = wanted(code or default_language)
        held = await tg(functions.bots.GetBotCommandsRequest(scope=scope, lang_code=code))
        if [(c.command, c.description) for c in held or []] == commands:
            continue
        await tg(functions.bots.SetBotCommandsRequest(
            scope=scope, lang_code=code, commands=[types.BotCommand(command=c, description=d) for c, d in commands]))
        written += 1
    return written


async def keep_registering(tg: TelegramPort, settings: Settings) -> None:
    """Register the commands, trying again after each failure until Telegram has them."""
    policy = RetryPolicy(base=settings.sync.retry_base, cap=settings.sync.retry_cap)
    attempts = 0
    while True:
        attempts += 1
        try:
            written = await register_once(tg, settings.telegram.default_language)
        except Exception as exc:  # noqa: BLE001 - the menu is a convenience: nothing else may stop for it
            delay = backoff(attempts, policy)
            if isinstance(exc, errors.FloodWaitError):
                delay = max(delay, float(exc.seconds or 0))
            log.warning("bot_commands_not_registered", error=_name(exc), attempt=attempts, retry_in=round(delay, 1))
            await asyncio.sleep(delay)
            continue
        log.info("bot_commands_registered" if written else "bot_commands_current", languages_written=written)
        return


def _name(exc: Any) -> str:
    return error_name(exc) if isinstance(exc, errors.RPCError) else type(exc).__name__
