"""Telegram: the bot logs in with the daemon's session, or, while the daemon runs, its own record.

The session file is never opened for writing: its key is copied into a session in memory, so
the update state the daemon resumes from (messages sent while it was down) stays where it was.
While the daemon holds the state directory's lock the session is not used at all (one session
serves one process); the daemon's record of its last Telegram contact is read instead.
"""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from telethon import TelegramClient, errors
from telethon.crypto import AuthKey
from telethon.sessions import MemorySession

from syncd.checks import Result, fail, ok
from syncd.checks.database import DatabaseUnavailable, read_value
from syncd.clock import utcnow
from syncd.config import Settings
from syncd.durations import ago
from syncd.telegram.errors import error_name
from syncd.telegram.heartbeat import KEY as HEARTBEAT_KEY
from syncd.telegram.heartbeat import STALE_AFTER
from syncd.telegram.proxy import ProxyUnavailable, telethon_proxy_options

NAME = "Telegram"
TIMEOUT = 30.0  # the whole login; each connection attempt has its own 10 s


@dataclass(frozen=True)
class SessionKey:
    dc_id: int
    address: str
    port: int
    auth_key: bytes


class Unreadable(Exception):
    """A file of the state directory this user may not read."""


def daemon_running(state_dir: Path) -> bool:
    """Is the state directory's lock held (syncd.app.daemon.take_lock)? Tried, never waited for, never created."""
    path = state_dir / "syncd.lock"
    try:
        fh = open(path)  # noqa: SIM115 - closed below; "r" so that a check never creates it
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise Unreadable(f"cannot open {path} ({exc.strerror}): run syncd check as the service's user") from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        # Released at once: holding it would make a daemon starting meanwhile exit.
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def read_session(path: Path) -> SessionKey | None:
    """The DC and key of a Telethon session file, read-only; None when there is none yet."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise Unreadable(f"cannot read {path} ({exc}): run syncd check as the service's user") from None
    try:
        row = conn.execute("SELECT dc_id, server_address, port, auth_key FROM sessions").fetchone()
    except sqlite3.Error as exc:
        raise Unreadable(f"cannot read {path} ({exc})") from None
    finally:
        conn.close()
    if row is None or not row[3]:
        return None
    return SessionKey(int(row[0]), str(row[1]), int(row[2]), bytes(row[3]))


def from_daemon_record(settings: Settings) -> Result:
    try:
        value, has_schema = read_value(settings, HEARTBEAT_KEY)
    except DatabaseUnavailable as exc:
        return fail(NAME, f"the daemon is running, but its record of Telegram cannot be read: {exc}")
    if value is None:
        return fail(NAME, "the daemon is running but has not reached Telegram yet"
                    + ("" if has_schema else " (its database has no tables yet)"))
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return fail(NAME, f"the daemon's record of Telegram is unreadable ({value[:40]!r})")
    age = (utcnow() - at).total_seconds()
    if age > STALE_AFTER:
        return fail(NAME, f"the running daemon last reached Telegram {ago(age)} "
                          "(see its log: network, proxy, or a revoked bot token?)")
    return ok(NAME, f"the running daemon last reached it {ago(age)}")


def check_telegram(settings: Settings) -> Result:
    try:
        if daemon_running(settings.state_dir):
            return from_daemon_record(settings)
        key = read_session(settings.session_path)
    except Unreadable as exc:
        return fail(NAME, str(exc))
    try:
        return asyncio.run(asyncio.wait_for(_login(settings, key), TIMEOUT))
    except ProxyUnavailable as exc:
        return fail(NAME, str(exc))
    except (asyncio.TimeoutError, TimeoutError):
        return fail(NAME, f"no answer from Telegram within {TIMEOUT:g} s")


def _client(settings: Settings, key: SessionKey | None) -> TelegramClient:
    session = MemorySession()
    if key is not None:
        session.set_dc(key.dc_id, key.address, key.port)
        session.auth_key = AuthKey(key.auth_key)
    # Like syncd.app.daemon.make_telegram_client (the same proxy), but bounded: a check answers
    # within seconds, and it takes no updates (they are the daemon's to receive).
    return TelegramClient(
        session, settings.telegram.api_id, settings.telegram.api_hash,
        connection_retries=1, retry_delay=1, request_retries=1, timeout=10, flood_sleep_threshold=0,
        receive_updates=False, catch_up=False, **telethon_proxy_options(settings.telegram.proxy),
    )


async def _login(settings: Settings, key: SessionKey | None) -> Result:
    session_path = settings.session_path
    client = _client(settings, key)
    where = f"{client.session.server_address}:{client.session.port}" if key else "Telegram"
    signed_in = False
    try:
        await client.connect()
        me = await client.get_me()
        if me is None:  # no session yet, or Telegram logged it out: the bot token logs in
            await client.sign_in(bot_token=settings.telegram.bot_token)
            signed_in = True
            me = await client.get_me()
        if me is None or not me.bot:
            return fail(NAME, f"the session {session_path} is not logged in as a bot")
        token_bot_id, colon, _ = settings.telegram.bot_token.partition(":")
        if not (colon and token_bot_id.isdigit()):  # never echoed: without the colon it is all secret
            return fail(NAME, "telegram.bot_token does not look like a bot token (digits, a colon, then letters)")
        if token_bot_id != str(me.id):
            return fail(NAME, f"the session {session_path} is logged in as @{me.username} (id {me.id}), but "
                              f"telegram.bot_token is the token of bot id {token_bot_id}: stop the daemon, "
                              "delete the session file and start the daemon to log in with the token")
        how = "with the bot token" if signed_in else f"with the session {session_path}"
        return ok(NAME, f"logged in as @{me.username} {how}")
    except errors.AuthKeyNotFound:
        return fail(NAME, f"Telegram no longer knows the session {session_path} (it was logged out or "
                          "revoked): stop the daemon, delete that file and start the daemon to log in "
                          "again with the bot token")
    except errors.AccessTokenInvalidError:
        return fail(NAME, "the bot token (telegram.bot_token) was refused by Telegram (ACCESS_TOKEN_INVALID)")
    except errors.AccessTokenExpiredError:
        return fail(NAME, "the bot token (telegram.bot_token) was revoked (ACCESS_TOKEN_EXPIRED): "
                          "get the new one from @BotFather")
    except errors.ApiIdInvalidError:
        return fail(NAME, "telegram.api_id and api_hash were refused by Telegram (API_ID_INVALID)")
    except errors.RPCError as exc:
        # Telegram's own error name (exc.message is only the generic class text for errors Telethon knows).
        return fail(NAME, f"Telegram refused the login ({type(exc).__name__}, {exc.code} {error_name(exc)})")
    except (ConnectionError, OSError) as exc:
        via = " through telegram.proxy" if settings.telegram.proxy else ""
        return fail(NAME, f"cannot connect to Telegram at {where}{via} ({type(exc).__name__}: {exc})")
    finally:
        if signed_in and key is None:
            # A throw-away login (the daemon makes its own at its first start): leave nothing behind.
            with suppress(Exception):  # the result is known already
                await client.log_out()
        await client.disconnect()
