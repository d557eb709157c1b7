"""Questions that wait for the client: how long one waits for their message, and the cancel button
under every question (syncd.bot.cancel acts on them).

Two kinds, by what the question waits for: the client's next message ("write your comment", "describe
the problem", "your remark", "what went wrong?"), kept as the client's dialog until
``sync.question_ttl`` (or the older ``sync.comment_window``); or a choice about a message already sent
(where to put it, reopen or not), whose job the button names.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telethon import Button

from syncd.clock import utcnow
from syncd.config import Settings
from syncd.logs import get_logger
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.rows import InboundJob, Link
from syncd.sync.routing import AWAITING_COMMENT, Callback, encode
from syncd.telegram.presses import Press
from syncd.texts import t

log = get_logger(__name__)


async def await_message(store: Store, settings: Settings, tg_user_id: int, state: str, **data: Any) -> None:
    """The client's next message answers the question just asked (``state``: syncd.sync.routing's)."""
    until = utcnow() + timedelta(seconds=settings.sync.message_wait)
    await off_loop(store.set_dialog, tg_user_id, state, {**data, "until": until.isoformat()})


async def await_remark(store: Store, settings: Settings, tg_user_id: int, issue_id: int) -> None:
    """A remark on a rated issue: a public comment on it as it is, never a reason to reopen it."""
    await await_message(store, settings, tg_user_id, AWAITING_COMMENT, issue_id=issue_id, remark=True)


def cancel_prompt_row(lang: str) -> list[Any]:
    """Under a question waiting for the client's message: nothing more is waited for."""
    return [Button.inline(t(lang, "cancel_button"), encode(Callback("cancel")))]


def cancel_job_row(lang: str, job_id: int) -> list[Any]:
    """Under a question about a message: cancel it, the message is not sent."""
    return [Button.inline(t(lang, "cancel_button"), encode(Callback("drop", job_id=job_id)))]


async def clients_job(store: Store, press: Press, cb: Callback, link: Link, lang: str) -> InboundJob | None:
    """The job a question's button names, when it is the pressing client's; else the press is refused."""
    job = await off_loop(store.get_job, int(cb.job_id or 0))
    if job is None or job.tg_user_id != link.tg_user_id:
        log.warning("callback_refused_foreign_job", tg_user_id=link.tg_user_id, job_id=cb.job_id)
        await press.tell(t(lang, "not_yours"))
        return None
    return job
