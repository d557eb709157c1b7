"""Linking a Telegram user to their Okdesk contact by the phone they share with Telegram's own button.

Only the contact button links: the shared contact must carry the sender's own user id (a typed
number let anyone link to anyone's contact in the predecessor). Exactly one Okdesk contact
with that number (as its phone or mobile phone: syncd.bot.contact_lookup) links; several
refer the client to support; none creates a contact (when ``okdesk.create_contacts``) after asking
the client's name, and, with ``okdesk.company_clients``, whether they represent a company first
(syncd.bot.company_linking). A contact is created only when the lookup saw every contact's
numbers: where it could not, the client is referred to support instead of getting a second contact.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import Button, events

from syncd.bot.company_linking import STEPS as COMPANY_STEPS
from syncd.bot.company_linking import CompanyLinking
from syncd.bot.contact_lookup import Lookup, find_contacts
from syncd.bot.menu import menu_keyboard
from syncd.bot.profile import share_phone_keyboard
from syncd.config import Settings
from syncd.logs import get_logger, register_phone
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.models import Contact
from syncd.okdesk.port import Okdesk
from syncd.phones import international
from syncd.relay.telling import support_suffix
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.sync.names import FullName, NameProblem, parse_full_name, telegram_label
from syncd.telegram.replies import Replies
from syncd.texts import t

log = get_logger(__name__)
AWAITING_NAME = "awaiting_name"


def _display_name(contact: Contact) -> str:
    return contact.name or " ".join(p for p in (contact.last_name, contact.first_name) if p) or f"#{contact.id}"


class Linking:
    def __init__(self, *, store: Store, okdesk: Okdesk, settings: Settings, replies: Replies) -> None:
        self.store, self.okdesk, self.settings, self.replies = store, okdesk, settings, replies
        self.company = CompanyLinking(self)

    def support(self, lang: str) -> str:
        return support_suffix(self.settings, lang)

    async def on_start(self, event: events.NewMessage.Event, lang: str) -> None:
        link = await off_loop(self.store.get_link, event.sender_id)
        if link is not None:
            # A relink given up halfway (a new number shared, then the INN or name never typed) ends here:
            # the client's next words are messages again.
            dialog = await off_loop(self.store.get_dialog, event.sender_id)
            if dialog is not None and dialog[0] in (AWAITING_NAME, *COMPANY_STEPS):
                await off_loop(self.store.clear_dialog, event.sender_id)
            await self.replies.respond(event, t(lang, "linked_as", name=link.contact_name),
                                       buttons=menu_keyboard(lang))
            return
        await off_loop(self.store.clear_dialog, event.sender_id)
        await self.replies.respond(event, t(lang, "greeting"), buttons=share_phone_keyboard(lang))

    async def on_contact(self, event: events.NewMessage.Event, sender: Any, lang: str) -> None:
        media = event.message.media
        if not media.user_id or media.user_id != event.sender_id:
            log.info("contact_refused_not_own", tg_user_id=event.sender_id)
            # The button again, at hand: it sends the client's own contact, nothing else.
            await self.replies.respond(event, t(lang, "not_own_contact"), buttons=share_phone_keyboard(lang),
                                       reply_to=event.message.id)
            return
        phone = media.phone_number or ""
        register_phone(phone)
        try:
            lookup = await asyncio.to_thread(find_contacts, self.okdesk, phone)
        except OkdeskError as exc:
            log.warning("contact_lookup_failed", tg_user_id=event.sender_id, error=str(exc))
            # To try again the client shares the number again: the button comes back with the words.
            await self.replies.respond(event, t(lang, "okdesk_unavailable"), buttons=share_phone_keyboard(lang))
            return
        contacts = lookup.contacts
        if len(contacts) > 1:
            log.info("contact_ambiguous", tg_user_id=event.sender_id, matches=len(contacts))
            await self.replies.respond(event, t(lang, "several_contacts", support=self.support(lang)),
                                       buttons=Button.clear())
            return
        if len(contacts) == 1:
            await self._link(event, sender, contacts[0], phone, lang)
            return
        if not self.settings.okdesk.create_contacts or self._unsure(event, lookup):
            await self.replies.respond(event, t(lang, "not_found_call", support=self.support(lang)),
                                       buttons=Button.clear())
            return
        # The Telegram name offered as a button, in the order the question asks for («Фамилия Имя»).
        tg_name = telegram_label(sender.first_name, sender.last_name) or ""
        data = {"phone": phone, "tg_name": tg_name, "seen_to": lookup.seen_to}
        if self.settings.okdesk.company_clients:
            await self.company.ask_company(event, lang, data)
            return
        await self.ask_name(event, lang, data, "ask_name")

    @staticmethod
    def _unsure(event: Any, lookup: Lookup) -> bool:
        """Nobody was found, but not every contact's numbers were seen: a contact created now may be a
        second one of a client staff entered (with a mobile number, say), so none is created."""
        if lookup.complete:
            return False
        log.warning("contact_lookup_incomplete", tg_user_id=event.sender_id, reason=lookup.reason)
        return True

    async def ask_name(self, event: Any, lang: str, data: dict[str, Any], text_key: str) -> None:
        """The name step; ``data`` carries the phone, the Telegram name and the company chosen, if any."""
        await off_loop(self.store.set_dialog, event.sender_id, AWAITING_NAME, data)
        await self._name_question(event, lang, data, t(lang, text_key))

    async def _name_question(self, event: Any, lang: str, data: dict[str, Any], text: str,
                             reply_to: int | None = None) -> None:
        """``text``, with the Telegram name as a button when there is one to offer (and only then a word
        about the button); ``reply_to``: the client's message it answers (a name asked again)."""
        tg_name = data.get("tg_name") or ""
        if not tg_name:
            await self.replies.respond(event, text, buttons=Button.clear(), reply_to=reply_to)
            return
        await self.replies.respond(event, f"{text} {t(lang, 'name_button_hint')}", reply_to=reply_to,
                                   buttons=[[Button.text(tg_name, resize=True, single_use=True)]])

    async def on_name(self, event: events.NewMessage.Event, sender: Any, lang: str, data: dict[str, Any]) -> None:
        text = (event.raw_text or "").strip()
        name: FullName | NameProblem
        if text and text == data.get("tg_name") and sender.first_name and sender.last_name:
            # The button: Telegram's own fields, which know where a two-word first name ends.
            name = FullName(last=sender.last_name, first=sender.first_name)
        else:
            name = parse_full_name(text)
        if isinstance(name, NameProblem):
            # Okdesk refuses a contact without a last name: asked again, never made up.
            log.info("name_refused", tg_user_id=event.sender_id, problem=name.value)
            key = "name_last_missing" if name is NameProblem.LAST_NAME_MISSING else "name_invalid"
            await self._name_question(event, lang, data, t(lang, key), reply_to=event.message.id)
            return
        first, last, patronymic = name.first, name.last, name.patronymic
        phone = data["phone"]
        company_id, entity_id = data.get("company_id"), data.get("entity_id")
        try:
            # Someone may have created the contact meanwhile: look again (the walk only over contacts
            # newer than the first look saw) before creating a second one.
            lookup = await asyncio.to_thread(find_contacts, self.okdesk, phone, seen_to=data.get("seen_to"))
            found = lookup.contacts
            if len(found) > 1 or (not found and self._unsure(event, lookup)):
                await off_loop(self.store.clear_dialog, event.sender_id)
                key = "several_contacts" if found else "not_found_call"
                await self.replies.respond(event, t(lang, key, support=self.support(lang)), buttons=Button.clear())
                return
            # Both fields: every production client searches `phone`, and a Telegram number is a mobile one.
            number = international(phone)
            contact = found[0] if found else await asyncio.to_thread(
                lambda: self.okdesk.create_contact(first_name=first, last_name=last, patronymic=patronymic,
                                                   phone=number, mobile_phone=number, company_id=company_id,
                                                   maintenance_entity_ids=[entity_id] if entity_id else ()))
        except OkdeskError as exc:
            log.warning("contact_create_failed", tg_user_id=event.sender_id, error=str(exc))
            await self.replies.respond(event, t(lang, "okdesk_unavailable"))
            return
        if found:  # made meanwhile (by staff, say): linked as Okdesk has it, with its own company
            await self._link(event, sender, contact, phone, lang)
            return
        log.info("contact_created", tg_user_id=event.sender_id, contact_id=contact.id, company_id=company_id,
                 maintenance_entity_id=entity_id)
        await self._link(event, sender, contact, phone, lang, company_id=company_id, entity_id=entity_id)

    async def _link(self, event: events.NewMessage.Event, sender: Any, contact: Contact, phone: str,
                    lang: str, *, company_id: int | None = None, entity_id: int | None = None) -> None:
        name = _display_name(contact)
        # The company and service object new issues will carry: the contact's own in Okdesk, else those
        # just chosen; a contact on exactly one service object is on that one.
        company = contact.company_id if contact.company_id is not None else company_id
        if entity_id is None and len(contact.maintenance_entity_ids) == 1:
            entity_id = contact.maintenance_entity_ids[0]
        await off_loop(self.store.save_link, tg_user_id=event.sender_id, tg_chat_id=event.chat_id,
                       tg_access_hash=getattr(sender, "access_hash", 0) or 0, okdesk_contact_id=contact.id,
                       contact_name=name, phone=international(phone), language=lang,
                       # Compared with Okdesk's own timestamps at baseline: its clock, not ours.
                       linked_at=self.okdesk.okdesk_now(), okdesk_company_id=company,
                       okdesk_maintenance_entity_id=entity_id)
        await off_loop(self.store.clear_dialog, event.sender_id)
        log.info("client_linked", tg_user_id=event.sender_id, contact_id=contact.id, company_id=company,
                 maintenance_entity_id=entity_id)
        await self.replies.respond(event, t(lang, "linked_now", name=name), buttons=menu_keyboard(lang))
