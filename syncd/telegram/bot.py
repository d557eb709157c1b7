"""Incoming Telegram updates: who wrote, in which language, and which handler takes it."""

from __future__ import annotations

from collections.abc import Callable

from telethon import TelegramClient, events
from telethon.tl import types

from syncd.config import Settings
from syncd.inbound.intake import Intake
from syncd.inbound.menu import Menu, menu_action
from syncd.logs import get_logger
from syncd.store import Store
from syncd.telegram.linking import AWAITING_NAME, Linking
from syncd.telegram.userlocks import UserLocks
from syncd.texts import language_for, t

log = get_logger(__name__)


class Bot:
    def __init__(self, *, tg: TelegramClient, store: Store, linking: Linking, settings: Settings,
                 on_unblocked: Callable[[], None], locks: UserLocks, intake: Intake, menu: Menu) -> None:
        self.tg, self.store, self.linking, self.settings = tg, store, linking, settings
        self.on_unblocked, self.locks, self.intake, self.menu = on_unblocked, locks, intake, menu

    def register(self) -> None:
        self.tg.add_event_handler(self.on_message, events.NewMessage(incoming=True))
        self.tg.add_event_handler(self.on_callback, events.CallbackQuery())

    async def on_message(self, event: events.NewMessage.Event) -> None:
        # Telethon runs handlers concurrently; one user's updates are taken one at a time, so a
        # double tap on a button cannot, say, create their Okdesk contact twice.
        try:
            async with self.locks.hold(event.sender_id or 0):
                await self._handle(event)
        except Exception:  # one bad update must not stop the handlers
            log.exception("message_handler_failed", tg_user_id=event.sender_id)

    async def on_callback(self, event: events.CallbackQuery.Event) -> None:
        try:
            async with self.locks.hold(event.sender_id or 0):
                link = self.store.get_link(event.sender_id)
                sender = await event.get_sender()
                lang = language_for(getattr(sender, "lang_code", None), self.settings.telegram.default_language)
                if link is None:
                    await event.answer(t(lang, "need_link"), alert=True)
                    return
                await self.menu.on_callback(event, link, lang)
        except Exception:
            log.exception("callback_handler_failed", tg_user_id=event.sender_id)

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
        link = self.store.get_link(event.sender_id)
        text = (event.raw_text or "").strip()
        media = event.message.media
        own_contact = isinstance(media, types.MessageMediaContact) and media.user_id == event.sender_id
        action = menu_action(text) if link is not None and not media else None
        is_start = text == "/start" or text.startswith(("/start ", "/start@"))
        for_okdesk = link is not None and not (own_contact or is_start or action)
        # Recorded first, whatever it is: a message Telegram hands over again is then recognised.
        if self.intake.record(event, lang, handled=not for_okdesk) is None:
            bound.info("message_seen_before", tg_message_id=event.message.id)
            return
        if self.store.touch_link(event.sender_id, access_hash=getattr(sender, "access_hash", None)):
            bound.info("client_unblocked_bot")
            self.on_unblocked()
        if isinstance(media, types.MessageMediaContact) and (link is None or own_contact):
            await self.linking.on_contact(event, sender, lang)
            return
        if is_start:
            await self.linking.on_start(event, lang)
            return
        if link is None:
            dialog = self.store.get_dialog(event.sender_id)
            if dialog is not None and dialog[0] == AWAITING_NAME:
                await self.linking.on_name(event, sender, lang, dialog[1])
                return
            await event.respond(t(lang, "need_link"))
            return
        if action is not None:
            await self.menu.on_action(action, link, lang)
            return
        await self.intake.on_message(event, link, lang)
