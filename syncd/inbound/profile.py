"""The client's profile: who they are linked as, and the way out (unlink) or to another number (relink).

The phone is shown masked, never in full: a chat is read over shoulders and kept on devices.
Unlinking asks once more, then forgets the client in one transaction (syncd.store.privacy_repo)
and shows the linking step again. Relinking is linking again: Telegram's contact button shares
the account's current number, and a new link replaces the old one.
"""

from __future__ import annotations

from typing import Any

from telethon import Button, TelegramClient

from syncd.inbound.intake import peer_of
from syncd.inbound.routing import Callback, encode
from syncd.logs import get_logger
from syncd.phones import mask_phone
from syncd.store import Store
from syncd.texts import t

log = get_logger(__name__)
VERBS = ("unlink", "unlink_yes", "relink")


def share_phone_keyboard(lang: str) -> list[list[Any]]:
    return [[Button.request_phone(t(lang, "share_phone_button"), resize=True, single_use=True)]]


class Profile:
    def __init__(self, *, tg: TelegramClient, store: Store) -> None:
        self.tg, self.store = tg, store

    async def show(self, link: Any, lang: str) -> None:
        # The name is the one the contact had when linked: Okdesk's API has no cheap read of one
        # contact by id in every version, and the profile must open when Okdesk is down too.
        phone = mask_phone(link.phone) if link.phone else t(lang, "profile_no_phone")
        text = t(lang, "profile", name=link.contact_name, company="", phone=phone)
        buttons = [[Button.inline(t(lang, "unlink_button"), encode(Callback("unlink"))),
                    Button.inline(t(lang, "relink_button"), encode(Callback("relink")))]]
        # Plain text: Telethon would read the mask's asterisks (and a name's underscores) as markdown.
        await self.tg.send_message(peer_of(link), text, buttons=buttons, parse_mode=None)

    async def on_callback(self, event: Any, cb: Callback, link: Any, lang: str) -> None:
        await event.answer()
        if cb.verb == "unlink":
            buttons = [[Button.inline(t(lang, "unlink_yes_button"), encode(Callback("unlink_yes"))),
                        Button.inline(t(lang, "cancel_button"), encode(Callback("cancel")))]]
            await self.tg.send_message(peer_of(link), t(lang, "unlink_ask"), buttons=buttons)
        elif cb.verb == "unlink_yes":
            forgotten = self.store.unlink(link.tg_user_id)
            if forgotten is not None:
                log.info("client_unlinked", tg_user_id=link.tg_user_id, contact_id=link.okdesk_contact_id,
                         messages_blanked=forgotten.messages, jobs_refused=forgotten.jobs_refused,
                         deliveries_cancelled=forgotten.deliveries_cancelled)
            try:
                await event.edit(buttons=None)
            except Exception as exc:  # noqa: BLE001 - cosmetic; the unlink itself is done
                log.info("unlink_buttons_not_removed", tg_user_id=link.tg_user_id, error=type(exc).__name__)
            await self.tg.send_message(peer_of(link), t(lang, "unlinked"), buttons=share_phone_keyboard(lang))
        elif cb.verb == "relink":
            await self.tg.send_message(peer_of(link), t(lang, "relink_ask"), buttons=share_phone_keyboard(lang))
