"""One button press: answered once and at once; what is known only later goes as a message or an edit.

Telegram refuses an answer that comes more than a few seconds after the press (QUERY_ID_INVALID; the
window is undocumented, Telethon issue #4073), and the client meanwhile sees a spinner. So a handler
answers what the database alone decides (not linked, not yours, already rated, a stale question) with
its alert straight away, and otherwise answers at once, before waiting for the client's lock or for
Okdesk, and reports the result of the slow work with :meth:`Press.tell` (a message then).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from syncd.logs import get_logger
from syncd.telegram.replies import Replies

log = get_logger(__name__)
# A press no handler answered by then is answered empty: the spinner stops whatever the work does.
ANSWER_BY = 1.0


class Press:
    def __init__(self, replies: Replies, event: Any) -> None:
        self.replies, self.event = replies, event
        self.answered = False

    @property
    def sender_id(self) -> int:
        return int(self.event.sender_id or 0)

    @property
    def msg_id(self) -> int:
        return int(self.event.message_id)

    async def answer(self, text: str | None = None, *, alert: bool = False) -> bool:
        """The press's one answer (later calls do nothing); never raises. True when this call's answer
        reached Telegram in time."""
        if self.answered:
            return False
        self.answered = True
        return await self.replies.answer(self.event, text, alert=alert)

    async def tell(self, text: str, *, alert: bool = True) -> None:
        """A result: the press's answer while it has none yet (an alert, or a toast with
        ``alert=False``); otherwise, or if Telegram no longer took the answer, a message in the chat."""
        if await self.answer(text, alert=alert):
            return
        await self.replies.respond(self.event, text)

    async def edit(self, text: str | None = None, **kwargs: Any) -> bool:
        """Edit the message whose button was pressed (Replies.edit: None keeps the text)."""
        return await self.replies.edit(await self.event.get_input_chat(), self.msg_id, text, **kwargs)

    async def edit_outcome(self, text: str | None = None, **kwargs: Any) -> str:
        """As :meth:`edit`, telling an edit that changed nothing apart (Replies.edit_outcome)."""
        return await self.replies.edit_outcome(await self.event.get_input_chat(), self.msg_id, text, **kwargs)

    async def respond(self, text: str, **kwargs: Any) -> Any:
        return await self.replies.respond(self.event, text, **kwargs)

    async def get_message(self) -> Any:
        return await self.event.get_message()

    @asynccontextmanager
    async def answered_in_time(self, seconds: float = ANSWER_BY) -> AsyncIterator[Press]:
        """The handler's scope: a press it left unanswered for ``seconds`` (or altogether) gets an
        empty answer; anything it tells afterwards goes as a message."""
        async def fallback() -> None:
            await asyncio.sleep(seconds)
            if not self.answered:
                log.warning("callback_answered_by_fallback", tg_user_id=self.sender_id)
                await self.answer()

        task = asyncio.create_task(fallback())
        try:
            yield self
        finally:
            task.cancel()
            if not self.answered:
                await self.answer()
