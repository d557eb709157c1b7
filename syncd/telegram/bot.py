"""Incoming Telegram updates: who wrote, in which language, and which handler takes it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from telethon import TelegramClient, events
from telethon.tl import types

from syncd.config import Settings
from syncd.logs import get_logger
from syncd.store import Store
from syncd.telegram.linking import AWAITING_NAME, Linking
from syncd.texts import language_for, t

log = get_logger(__name__)


class Bot:
    def __init__(self, *, tg: TelegramClient, store: Store, linking: Linking, settings: Settings,
                 on_unblocked: Callable[[], None]) -> None:
        self.tg, self.store, self.linking, self.settings = tg, store, linking, settings
        self.on_unblocked = on_unblocked
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    def register(self) -> None:
        self.tg.add_event_handler(self.on_message, events.NewMessage(incoming=True))

    async def on_message(self, event: events.NewMessage.Event) -> None:
        # Telethon runs handlers concurrently; one user's messages are taken one at a time, so a
        # double tap on a button cannot, say, create their Okdesk contact twice.
        try:
            async with self._one_at_a_time(event.sender_id or 0):
                await self._handle(event)
        except Exception:  # one bad update must not stop the handlers
            log.exception("message_handler_failed", tg_user_id=event.sender_id)

    @asynccontextmanager
    async def _one_at_a_time(self, tg_user_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(tg_user_id, asyncio.Lock())
        self._waiting[tg_user_id] = self._waiting.get(tg_user_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[tg_user_id] -= 1
            if not self._waiting[tg_user_id]:  # nobody else queued: forget the user's lock
                del self._waiting[tg_user_id], self._locks[tg_user_id]

    async def _handle(self, event: events.NewMessage.Event) -> None:
        if not event.is_private:
            # Groups are not a place for a client's issues: say so once per message, do nothing else.
            await event.respond(t(self.settings.telegram.default_language, "private_only"))
            return
        sender = await event.get_sender()
        if sender is None or getattr(sender, "bot", False):
            return
        lang = language_for(getattr(sender, "lang_code", None), self.settings.telegram.default_language)
        bound = log.bind(tg_user_id=event.sender_id)
        if self.store.touch_link(event.sender_id, access_hash=getattr(sender, "access_hash", None)):
            bound.info("client_unblocked_bot")
            self.on_unblocked()
        text = (event.raw_text or "").strip()
        if isinstance(event.message.media, types.MessageMediaContact):
            await self.linking.on_contact(event, sender, lang)
            return
        if text == "/start" or text.startswith(("/start ", "/start@")):
            await self.linking.on_start(event, lang)
            return
        dialog = self.store.get_dialog(event.sender_id)
        if dialog is not None and dialog[0] == AWAITING_NAME:
            await self.linking.on_name(event, sender, lang, dialog[1])
            return
        if self.store.get_link(event.sender_id) is None:
            await event.respond(t(lang, "need_link"))
            return
        bound.info("message_from_linked_client_not_handled_yet")
