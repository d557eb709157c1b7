"""The card's "Open in portal" button: a one-time login link to Okdesk's client portal, minted per press.

The link logs whoever opens it in as the client, so it is treated as a password while it lives:
minted only when pressed (after the ownership check), short-lived and single-use, registered with
the log redaction before anything could print it, never stored, and sent only behind a URL button.
In message text Telegram's link preview would fetch it and so use it up before the client taps it.
"""

from __future__ import annotations

import asyncio

from telethon import Button

from syncd.logs import forget_secret, get_logger, register_secret
from syncd.okdesk.errors import OkdeskError
from syncd.okdesk.port import Okdesk
from syncd.store.rows import Link
from syncd.telegram.peers import peer_of
from syncd.telegram.presses import Press
from syncd.telegram.replies import Replies
from syncd.texts import t

log = get_logger(__name__)
# Long enough to tap the button, short enough that a forwarded one is dead. Okdesk reads expire_after
# in minutes (the only source: 43200 = 30 days), so this is what is sent.
LINK_LIFETIME_MIN = 5
# Hidden from the log well past its death, then forgotten, so the redaction list does not grow with
# every press.
HIDDEN_FOR_S = LINK_LIFETIME_MIN * 60 + 3600


async def send_portal_link(*, replies: Replies, okdesk: Okdesk, press: Press, link: Link, lang: str,
                           issue_id: int) -> None:
    """Mint a link for the client's contact and send it as a new message with a URL button.

    The caller has checked that the issue is the client's (the link itself opens the whole portal),
    and has answered the press: Okdesk may take longer than Telegram waits for an answer.
    """
    try:
        url = await asyncio.to_thread(okdesk.create_login_link, link.okdesk_contact_id, LINK_LIFETIME_MIN, True)
    except OkdeskError as exc:
        # The error never holds the link: there was none, or Okdesk refused before making one.
        log.warning("portal_link_failed", tg_user_id=link.tg_user_id, issue_id=issue_id, error=str(exc))
        await press.tell(t(lang, "okdesk_unavailable"))
        return
    register_secret(url)
    asyncio.get_running_loop().call_later(HIDDEN_FOR_S, forget_secret, url)
    sent = await replies.send(peer_of(link), t(lang, "portal_link", minutes=LINK_LIFETIME_MIN),
                              buttons=[[Button.url(t(lang, "portal_link_open"), url)]], link_preview=False)
    if sent is not None:
        log.info("portal_link_sent", tg_user_id=link.tg_user_id, issue_id=issue_id)
