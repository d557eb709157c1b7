"""Helpers of the Telegram test server tests: a Telethon client on a session file, run in a
fresh event loop per test."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telethon import TelegramClient


def client_for(session: Path, **kwargs: Any) -> TelegramClient:
    kwargs.setdefault("receive_updates", True)
    return TelegramClient(str(session), api_id=1, api_hash="x", **kwargs)


def run(body: Callable[[], Awaitable[Any]], timeout: float = 30) -> Any:
    """Each test drives Telethon in a fresh event loop of its own."""
    try:
        return asyncio.run(asyncio.wait_for(body(), timeout))
    finally:
        # Finalize Telethon's leftovers (futures holding errors) now: CPython 3.11.7 fails
        # an unrelated later ast.parse ("AST constructor recursion depth mismatch") when
        # such finalizers happen to run inside it, e.g. in pytest's assertion rewriting.
        gc.collect()


async def connected(session: Path, **kwargs: Any) -> TelegramClient:
    client = client_for(session, **kwargs)
    await client.connect()
    return client


def get_me_through(session: Path, **options: Any) -> Any:
    """One bot login and GetMe with these connection options (a proxy, say), without updates."""
    async def body() -> Any:
        client = client_for(session, receive_updates=False, connection_retries=0, timeout=5, **options)
        try:
            await client.connect()
            return await client.get_me()
        finally:
            await client.disconnect()

    return run(body)
