"""Linking a company's client: "from a company?", the INN, the service object, then the name.

Reached when no Okdesk contact has the shared phone and ``okdesk.company_clients`` is on. The INN's
check digits are verified before Okdesk is asked anything; the company is then found with ONE
filtered request (``custom_parameters[<okdesk.company_inn_parameter>]``), never by walking all
companies. Its service objects are offered as buttons; the name step (syncd.bot.linking)
creates the contact with the company and the chosen object. A client who does not know the INN
goes on as a private person, by a button at the INN question, after a wrong or unknown INN, and
when Okdesk could not be asked.

Every step lives in the store's dialog row, so a restart continues where the client was. A
pressed button is checked against that row: a choice that was not offered (forged, or from an
older question) is refused and creates nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from telethon import Button

from syncd.inn import parse_inn
from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskError
from syncd.store.offloop import off_loop
from syncd.sync.routing import Callback, encode
from syncd.telegram.presses import Press
from syncd.telegram.userlocks import UserLocks
from syncd.texts import t

if TYPE_CHECKING:
    from syncd.config import Settings
    from syncd.okdesk.port import Okdesk
    from syncd.store import Store
    from syncd.telegram.replies import Replies

log = get_logger(__name__)
AWAITING_COMPANY = "awaiting_company"  # "from a company?" asked, buttons shown
AWAITING_INN = "awaiting_inn"
AWAITING_ENTITY = "awaiting_entity"  # the service objects offered, buttons shown
STEPS = (AWAITING_COMPANY, AWAITING_INN, AWAITING_ENTITY)
VERBS = ("company_yes", "company_no", "entity")
ENTITY_BUTTONS = 40  # Telegram allows 100; past 40 the list is a wall, and "not sure" covers the rest
ENTITY_LABEL = 60


def _person(data: dict[str, Any]) -> dict[str, Any]:
    """What the dialog keeps from the contact step: the phone, the Telegram name, and how far the
    contact lookup walked (so the look before creating walks only contacts created since)."""
    return {"phone": data["phone"], "tg_name": data.get("tg_name") or "", "seen_to": data.get("seen_to")}


class LinkingHost(Protocol):
    """What the company steps take from the linking they are part of (syncd.bot.linking.Linking),
    named here so that this module needs nothing of that one: the arrow runs one way."""

    store: Store
    okdesk: Okdesk
    settings: Settings
    replies: Replies

    def support(self, lang: str) -> str: ...

    async def ask_name(self, event: Any, lang: str, data: dict[str, Any], text_key: str) -> None: ...


class CompanyLinking:
    def __init__(self, linking: LinkingHost) -> None:
        self.linking = linking
        self.store, self.okdesk, self.settings = linking.store, linking.okdesk, linking.settings
        self.replies = linking.replies

    # ------------------------------------------------------------ questions

    async def ask_company(self, event: Any, lang: str, data: dict[str, Any]) -> None:
        await off_loop(self.store.set_dialog, event.sender_id, AWAITING_COMPANY, _person(data))
        await self.replies.respond(event, t(lang, "company_ask"), buttons=self._company_buttons(lang))

    @staticmethod
    def _company_buttons(lang: str) -> list[list[Any]]:
        return [[Button.inline(t(lang, "company_yes_button"), encode(Callback("company_yes")))],
                [Button.inline(t(lang, "company_no_button"), encode(Callback("company_no")))]]

    @staticmethod
    def _no_inn_buttons(lang: str) -> list[list[Any]]:
        """A way on for a client who does not know the INN: the private person's (the name step)."""
        return [[Button.inline(t(lang, "inn_unknown_button"), encode(Callback("company_no")))]]

    @staticmethod
    def _entity_buttons(lang: str, entities: list[list[Any]]) -> list[list[Any]]:
        rows = [[Button.inline(str(name)[:ENTITY_LABEL], encode(Callback("entity", entity_id=int(eid))))]
                for eid, name in entities]
        return rows + [[Button.inline(t(lang, "entity_unknown_button"), encode(Callback("entity", entity_id=0)))]]

    # ------------------------------------------------------------ typed steps

    async def on_text(self, event: Any, lang: str, dialog: tuple[str, dict[str, Any]]) -> None:
        state, data = dialog
        if state == AWAITING_INN:
            await self._on_inn(event, lang, data)
        elif state == AWAITING_ENTITY:
            # A question with buttons: asked again, the buttons at hand.
            await self.replies.respond(event, t(lang, "company_choose_above"),
                                       buttons=self._entity_buttons(lang, data.get("entities") or []))
        else:
            await self.replies.respond(event, t(lang, "company_choose_above"), buttons=self._company_buttons(lang))

    async def _on_inn(self, event: Any, lang: str, data: dict[str, Any]) -> None:
        bound = log.bind(tg_user_id=event.sender_id)
        inn = parse_inn(event.raw_text or "")
        if inn is None:
            # Checked here, before Okdesk: a typo never costs a request.
            bound.info("company_inn_invalid")
            await self.replies.respond(event, t(lang, "inn_invalid"), buttons=self._no_inn_buttons(lang),
                                       reply_to=event.message.id)
            return
        code = self.settings.okdesk.company_inn_parameter
        try:
            companies = await asyncio.to_thread(self.okdesk.find_companies_by_parameter, code, inn)
            companies = [c for c in companies if c.active]
            entities = (await asyncio.to_thread(self.okdesk.list_maintenance_entities, companies[0].id)
                        if len(companies) == 1 else [])
        except OkdeskError as exc:
            bound.warning("company_lookup_failed", error=str(exc))
            # The step stays: the INN may be sent again later, or the client goes on without it.
            await self.replies.respond(event, t(lang, "okdesk_unavailable"), buttons=self._no_inn_buttons(lang))
            return
        support = self.linking.support(lang)
        if not companies:
            bound.info("company_not_found")
            # The step stays: the client may type the INN again, or go on as a private person.
            await self.replies.respond(event, t(lang, "company_not_found", inn=inn, support=support),
                                       buttons=[[Button.inline(t(lang, "company_private_button"),
                                                               encode(Callback("company_no")))]])
            return
        if len(companies) > 1:
            bound.info("company_ambiguous", matches=len(companies))
            await off_loop(self.store.clear_dialog, event.sender_id)
            await self.replies.respond(event, t(lang, "company_several", support=support), buttons=Button.clear())
            return
        company = companies[0]
        chosen = {**_person(data), "company_id": company.id, "company_name": company.name}
        bound.info("company_found", company_id=company.id, maintenance_entities=len(entities))
        if not entities:
            await self.replies.respond(event, t(lang, "company_found", company=company.name))
            await self.linking.ask_name(event, lang, chosen, "company_name_ask")
            return
        offered = [[e.id, e.name] for e in sorted(entities, key=lambda e: (e.name.casefold(), e.id))[:ENTITY_BUTTONS]]
        await off_loop(self.store.set_dialog, event.sender_id, AWAITING_ENTITY, {**chosen, "entities": offered})
        await self.replies.respond(event, t(lang, "entity_ask", company=company.name),
                                   buttons=self._entity_buttons(lang, offered))

    # ------------------------------------------------------------ buttons

    async def on_callback(self, press: Press, cb: Callback, lang: str, locks: UserLocks) -> None:
        """A company verb, pressed by anyone (the client is not linked yet, or relinks).

        Judged by the dialog row alone, so a stale press is refused in its answer at once; a valid
        one is answered, then judged again under the client's lock (a double tap: the second finds
        the question answered and does nothing)."""
        if not await off_loop(self._accepts, press, cb):
            await press.tell(t(lang, "company_choice_stale"))
            return
        await press.answer()
        async with locks.hold(press.sender_id):
            if not await off_loop(self._accepts, press, cb, quiet=True):
                return
            await self._chosen(press, cb, lang)

    def _accepts(self, press: Press, cb: Callback, *, quiet: bool = False) -> bool:
        """The press answers the question being asked (not an older one, nor data the bot never sent)."""
        dialog = self.store.get_dialog(press.sender_id)
        state, data = dialog if dialog is not None else ("", {})
        ok = ((cb.verb == "company_yes" and state == AWAITING_COMPANY)
              or (cb.verb == "company_no" and state in (AWAITING_COMPANY, AWAITING_INN))
              or (cb.verb == "entity" and state == AWAITING_ENTITY and self._offered(cb.entity_id, data)))
        if not ok:
            # Under the lock only a double tap gets here: the first press took the question.
            (log.info if quiet else log.warning)("company_choice_refused", tg_user_id=press.sender_id,
                                                 verb=cb.verb, state=state or None)
        return ok

    async def _chosen(self, press: Press, cb: Callback, lang: str) -> None:
        event = press.event
        dialog = await off_loop(self.store.get_dialog, press.sender_id)
        _, data = dialog or ("", {})
        await self._done_with_buttons(press)
        if cb.verb == "company_yes":
            await off_loop(self.store.set_dialog, event.sender_id, AWAITING_INN, _person(data))
            await self.replies.respond(event, t(lang, "inn_ask"), buttons=self._no_inn_buttons(lang))
        elif cb.verb == "company_no":
            await self.linking.ask_name(event, lang, _person(data), "company_name_ask")
        else:
            chosen = {**_person(data), "company_id": data["company_id"], "company_name": data.get("company_name"),
                      "entity_id": cb.entity_id or None}
            await self.linking.ask_name(event, lang, chosen, "company_name_ask")

    @staticmethod
    def _offered(entity_id: int | None, data: dict[str, Any]) -> bool:
        return entity_id == 0 or any(int(eid) == entity_id for eid, _ in data.get("entities") or [])

    @staticmethod
    async def _done_with_buttons(press: Press) -> None:
        # Cosmetic: the choice is recorded whether or not the buttons go (Replies.edit logs a failure).
        await press.edit(buttons=None)
