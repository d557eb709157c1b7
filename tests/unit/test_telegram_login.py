"""The bot's first login answered USER_MIGRATE_X: followed to that data centre, not an exit.

A unit test, not an end-to-end one: following a migration makes Telethon create a new authorization
key with the other data centre (a Diffie-Hellman exchange signed with Telegram's RSA keys), which the
test server does not implement. The stand-in below does what Telethon 1.45 does with request_retries=0
(telethon/client/users.py, _call): it moves the session to the named data centre, then raises the
error instead of asking again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telethon import errors

from syncd.telegram.login import MAX_MOVES, start_bot


class TelethonAsTheDaemonBuildsIt:
    """Telegram's answers to ImportBotAuthorization, one per data centre the session is in."""

    def __init__(self, home_dc: int, moves_reported: int = 1) -> None:
        self.dc, self.home_dc, self.moves_reported = 2, home_dc, moves_reported
        self.logins: list[tuple[int, str]] = []

    async def start(self, *, bot_token: str) -> Any:
        self.logins.append((self.dc, bot_token))
        if self.dc != self.home_dc or len(self.logins) <= self.moves_reported - 1:
            error = errors.UserMigrateError(request=None, capture=self.home_dc)
            self.dc = error.new_dc  # Telethon switched the session (_switch_dc) before raising
            raise error
        return self


def test_a_login_answered_user_migrate_is_repeated_in_the_named_data_centre() -> None:
    tg = TelethonAsTheDaemonBuildsIt(home_dc=4)
    assert asyncio.run(start_bot(tg, "123:token")) is tg  # type: ignore[arg-type]
    assert tg.logins == [(2, "123:token"), (4, "123:token")]


def test_moves_are_bounded() -> None:
    tg = TelethonAsTheDaemonBuildsIt(home_dc=4, moves_reported=MAX_MOVES + 5)
    tg.home_dc = 99  # every answer names another data centre: a loop
    tg.start = _always_moved(tg)  # type: ignore[method-assign]
    with pytest.raises(errors.UserMigrateError):
        asyncio.run(start_bot(tg, "123:token"))  # type: ignore[arg-type]
    assert len(tg.logins) == MAX_MOVES + 1


def _always_moved(tg: TelethonAsTheDaemonBuildsIt) -> Any:
    async def start(*, bot_token: str) -> Any:
        tg.logins.append((tg.dc, bot_token))
        tg.dc += 1
        raise errors.UserMigrateError(request=None, capture=tg.dc)

    return start


def test_other_login_errors_are_not_retried() -> None:
    tg = TelethonAsTheDaemonBuildsIt(home_dc=2)

    async def refused(*, bot_token: str) -> Any:
        tg.logins.append((tg.dc, bot_token))
        raise errors.AccessTokenInvalidError(request=None)

    tg.start = refused  # type: ignore[method-assign]
    with pytest.raises(errors.AccessTokenInvalidError):
        asyncio.run(start_bot(tg, "123:token"))  # type: ignore[arg-type]
    assert len(tg.logins) == 1
