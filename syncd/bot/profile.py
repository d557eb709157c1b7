"""The client's profile: who they are linked as, and the way out (unlink) or to another number (relink).

The phone is shown masked, never in full: a chat is read over shoulders and kept on devices.
Unlinking asks once more, then forgets the client in one transaction (syncd.store.privacy_repo)
and shows the linking step again. Relinking is linking again: Telegram's contact button shares
the account's current number, and a new link replaces the old one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import Button

from syncd.logs import get_logger
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.port import Okdesk
from syncd.phones import mask_phone
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.rows import Link
from syncd.sync.routing import Callback, encode
from syncd.telegram.peers import peer_of
from syncd.telegram.presses import Press
from syncd.telegram.replies import Replies
from syncd.texts import t

log = get_logger(__name__)
VERBS = ("unlink", "unlink_yes", "unlink_no", "relink")
COMPANY_WAIT_S = 5.0  # the profile opens without the company line rather than wait out Okdesk's retries


def share_phone_keyboard(lang: str) -> list[list[Any]]:
    return [[Button.request_phone(t(lang, "share_phone_button"), resize=True, single_use=True)]]


class Profile:
    def __init__(self, *, store: Store, okdesk: Okdesk, replies: Replies) -> None:
        self.store, self.okdesk, self.replies = store, okdesk, replies

    async def show(self, link: Link, lang: str) -> None:
        # The name is the one the contact had when linked: the profile must open when Okdesk is down
        # too. The company's name is asked of Okdesk (briefly), and left out when it does not answer.
        phone = mask_phone(link.phone) if link.phone else t(lang, "profile_no_phone")
        company = await self._company_name(link)
        company_line = t(lang, "profile_company", company=company) if company else ""
        text = t(lang, "profile", name=link.contact_name, company=company_line, phone=phone)
        buttons = [[Button.inline(t(lang, "unlink_button"), encode(Callback("unlink"))),
                    Button.inline(t(lang, "relink_button"), encode(Callback("relink")))]]
        # Plain text: Telethon would read the mask's asterisks (and a name's underscores) as markdown.
        await self.replies.send(peer_of(link), text, buttons=buttons, parse_mode=None)

    async def _company_name(self, link: Link) -> str | None:
        """The linked company's name as Okdesk has it now; None without a company or an answer."""
        company_id = getattr(link, "okdesk_company_id", None)
        if company_id is None:
            return None
        try:
            company = await asyncio.wait_for(asyncio.to_thread(self.okdesk.get_company, int(company_id)),
                                             COMPANY_WAIT_S)
        except (OkdeskError, asyncio.TimeoutError, TimeoutError) as exc:  # two classes before 3.11
            log.info("profile_company_unavailable", tg_user_id=link.tg_user_id, company_id=company_id,
                     error=type(exc).__name__)
            return None
        return company.name

    async def on_callback(self, press: Press, cb: Callback, link: Link, lang: str) -> None:
        """Called with the press answered and the client's lock held."""
        peer = peer_of(link)
        if cb.verb == "unlink":
            buttons = [[Button.inline(t(lang, "unlink_yes_button"), encode(Callback("unlink_yes"))),
                        Button.inline(t(lang, "cancel_button"), encode(Callback("unlink_no")))]]
            await self.replies.send(peer, t(lang, "unlink_ask"), buttons=buttons)
        elif cb.verb == "unlink_yes":
            forgotten = await off_loop(self.store.unlink, link.tg_user_id)
            if forgotten is not None:
                log.info("client_unlinked", tg_user_id=link.tg_user_id, contact_id=link.okdesk_contact_id,
                         messages_blanked=forgotten.messages, jobs_refused=forgotten.jobs_refused,
                         deliveries_cancelled=forgotten.deliveries)
            await press.edit(buttons=None)  # cosmetic; the unlink itself is done
            await self.replies.send(peer, t(lang, "unlinked"), buttons=share_phone_keyboard(lang))
        elif cb.verb == "unlink_no":  # its own verb: the cancel of a question would cancel another one
            await press.edit(t(lang, "unlink_kept"), buttons=None)
        elif cb.verb == "relink":
            await self.replies.send(peer, t(lang, "relink_ask"), buttons=share_phone_keyboard(lang))
