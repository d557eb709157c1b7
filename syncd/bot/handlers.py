"""Incoming Telegram updates: who wrote, in which language, and which handler takes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from telethon import events
from telethon.tl import types

from syncd.bot import company_linking
from syncd.bot.intake import Intake
from syncd.bot.linking import AWAITING_NAME, Linking
from syncd.bot.menu import Menu, menu_action
from syncd.bot.profile import share_phone_keyboard
from syncd.config import Settings
from syncd.logs import get_logger, with_log_context
from syncd.relay.staff_notices import NoticeQueue
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.rows import Link
from syncd.sync.routing import decode
from syncd.telegram.port import TelegramPort
from syncd.telegram.presses import Press
from syncd.telegram.replies import Replies
from syncd.telegram.userlocks import UserLocks
from syncd.texts import language_for, t

log = get_logger(__name__)
TYPED_STEPS = (AWAITING_NAME, company_linking.AWAITING_INN)


class Bot:
    def __init__(self, *, tg: TelegramPort, store: Store, linking: Linking, settings: Settings,
                 on_unblocked: Callable[[], None], locks: UserLocks, intake: Intake, menu: Menu,
                 replies: Replies, notices: NoticeQueue) -> None:
        self.tg, self.store, self.linking, self.settings = tg, store, linking, settings
        self.on_unblocked, self.locks, self.intake, self.menu = on_unblocked, locks, intake, menu
        self.replies, self.notices = replies, notices

    def register(self) -> None:
        self.tg.add_event_handler(self.on_message, events.NewMessage(incoming=True))
        self.tg.add_event_handler(self.on_callback, events.CallbackQuery())

    # Every line of an update's handling, the libraries' too, names the client.
    async def on_message(self, event: events.NewMessage.Event) -> None:
        await with_log_context(self._on_message(event), tg_user_id=event.sender_id)

    async def on_callback(self, event: events.CallbackQuery.Event) -> None:
        await with_log_context(self._on_callback(event), tg_user_id=event.sender_id)

    async def _on_message(self, event: events.NewMessage.Event) -> None:
        try:
            # Recorded at once, before waiting for the client's lock: Telethon saves how far it has
            # read Telegram's updates once a minute, and a message it has read must be in the
            # database by then, or a crash would lose it. A message handed over again is recognised.
            kind = _Kind.of(event)
            row_id = await off_loop(self._record, event, kind)
            if row_id is None:
                log.info("message_seen_before", tg_user_id=event.sender_id, tg_message_id=event.message.id)
                return
            # Telethon runs handlers concurrently; one user's updates are taken one at a time, so a
            # double tap on a button cannot, say, create their Okdesk contact twice.
            async with self.locks.hold(event.sender_id or 0):
                await self._handle(event, row_id, kind)
        except Exception:  # one bad update must not stop the handlers
            log.exception("message_handler_failed", tg_user_id=event.sender_id)

    def _record(self, event: events.NewMessage.Event, kind: _Kind) -> int | None:
        """The message's inbox row (0 for a group message, which is never kept); None if seen before."""
        if not event.is_private:
            return 0
        link = self.store.get_link(event.sender_id)
        lang = link.language if link is not None else self.settings.telegram.default_language
        # Commands, menu buttons and the linking contact are never an Okdesk job, whoever sends them.
        return self.intake.record(event, lang, handled=kind.command)

    async def _on_callback(self, event: events.CallbackQuery.Event) -> None:
        # Answered before the client's lock and before Okdesk (syncd.telegram.presses): a press waits
        # at most for the database, and the handlers take the lock themselves after answering.
        press = Press(self.replies, event)
        try:
            async with press.answered_in_time():
                link = await off_loop(self.store.get_link, event.sender_id)
                sender = await event.get_sender()
                lang = language_for(getattr(sender, "lang_code", None), self.settings.telegram.default_language)
                cb = decode(event.data or b"")
                if cb is not None and cb.verb in company_linking.VERBS:
                    # Linking steps: pressed before the client is linked (or while relinking).
                    await self.linking.company.on_callback(press, cb, lang, self.locks)
                    return
                if link is None:
                    # A message rather than an alert: it carries the button that links (an alert cannot).
                    await press.answer()
                    await press.respond(t(lang, "need_link"), buttons=share_phone_keyboard(lang))
                    return
                if link.blocked_at is not None:
                    # A press under an old message after unblocking the bot: they are back as much as
                    # by writing (Telegram delivers to them again).
                    await self._back(link, getattr(sender, "access_hash", None))
                await self.menu.on_callback(press, cb, link, lang)
        except Exception:
            log.exception("callback_handler_failed", tg_user_id=event.sender_id)

    async def _back(self, link: Link, access_hash: int | None) -> None:
        """A client the daemon could not reach (they blocked the bot, or Telegram refused their stored
        address) is heard from again: staff are told first, then the mark is cleared (a crash between the
        two tells them at the client's next update, once: the same key), and what waited for them goes.
        ``link`` as read when their update came: the sender may have marked them since, and the mark
        touch_link clears is what counts."""
        if link.blocked_at is not None:
            await off_loop(self.notices.reachable_again, link)
        cleared = await off_loop(self.store.touch_link, link.tg_user_id, access_hash=access_hash)
        if cleared is None:
            return
        if cleared != link.blocked_at:
            # Marked after the link was read: that episode's follow-ups go now, after the mark is gone
            # (a crash in between loses them; the mark is not set again for a client who just wrote).
            await off_loop(self.notices.reachable_again, replace(link, blocked_at=cleared))
        log.info("client_unblocked_bot", tg_user_id=link.tg_user_id)
        self.on_unblocked()

    async def _handle(self, event: events.NewMessage.Event, row_id: int, kind: _Kind) -> None:
        if not event.is_private:
            # Groups are not a place for a client's issues: say so once per message, do nothing else.
            await self.replies.respond(event, t(self.settings.telegram.default_language, "private_only"))
            return
        sender = await event.get_sender()
        if sender is None or getattr(sender, "bot", False):
            await off_loop(self.store.mark_handled, row_id)
            return
        lang = language_for(getattr(sender, "lang_code", None), self.settings.telegram.default_language)
        link = await off_loop(self.store.get_link, event.sender_id)
        media, own_contact, action, start = event.message.media, kind.own_contact, kind.action, kind.start
        if link is not None:
            await self._back(link, getattr(sender, "access_hash", None))
        dialog = await off_loop(self.store.get_dialog, event.sender_id)
        # A typed step of linking (the name, the INN): a client relinking to a new number is linked meanwhile.
        # Text under a question with buttons asks it again, unless the client is linked: theirs is a message.
        naming = (dialog is not None and not media and action is None
                  and (dialog[0] in TYPED_STEPS or (dialog[0] in company_linking.STEPS and link is None)))
        if link is None or naming:
            # Not for Okdesk: a step of linking (a command or a menu button was recorded as handled).
            await off_loop(self.store.mark_handled, row_id)
        if isinstance(media, types.MessageMediaContact) and (link is None or own_contact):
            await self.linking.on_contact(event, sender, lang)
            return
        if start:
            await self.linking.on_start(event, lang)
            return
        if naming:
            assert dialog is not None
            if dialog[0] == AWAITING_NAME:
                await self.linking.on_name(event, sender, lang, dialog[1])
            else:
                await self.linking.company.on_text(event, lang, dialog)
            return
        if link is None:
            # A reply to the message: it shows which words were not passed on.
            await self.replies.respond(event, t(lang, "need_link"), buttons=share_phone_keyboard(lang),
                                       reply_to=event.message.id)
            return
        if action is not None:
            await self.menu.on_action(action, link, lang)
            return
        await self.intake.on_message(event, row_id, link, lang)


def _is_start(text: str) -> bool:
    return text == "/start" or text.startswith(("/start ", "/start@"))


@dataclass(frozen=True)
class _Kind:
    """What a message is, decided once: when it is recorded, and again when it is handled."""

    own_contact: bool  # the sender's own contact, from Telegram's button: a linking step
    start: bool
    action: str | None  # a command or a menu button (text only)

    @classmethod
    def of(cls, event: events.NewMessage.Event) -> _Kind:
        text = (event.raw_text or "").strip()
        media = event.message.media
        return cls(own_contact=isinstance(media, types.MessageMediaContact) and media.user_id == event.sender_id,
                   start=_is_start(text), action=menu_action(text) if not media else None)

    @property
    def command(self) -> bool:
        return self.own_contact or self.start or self.action is not None
