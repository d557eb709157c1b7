"""Store calls from the event loop, run on the store's own thread.

The repository is synchronous (short transactions, SQLite or PostgreSQL). Called on the event loop,
a slow disk or a busy PostgreSQL would stall every Telegram update, the outbox and the watchdog's
heartbeat with it. ``await off_loop(store.get_job, job_id)`` runs the call on a thread of its
own: not asyncio's default executor, where Okdesk requests can hold every thread for their whole
timeout and a store call would queue behind them.

The caller's context variables (the structlog context: ``tg_user_id``, ``issue_id``) go with the
call, so its log lines still name the client.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# One thread: calls run in the order they were made. The handlers rely on it: each message is
# recorded as its handler starts, in Telegram's order, so a message that follows an album finds the
# whole album recorded when it closes it. Store calls are short, and SQLite takes one writer at a time.
STORE_THREADS = 1
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:  # made on first use: `syncd check` and the tests that never await one pay nothing
        _pool = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="syncd-store")
    return _pool


async def off_loop(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)
