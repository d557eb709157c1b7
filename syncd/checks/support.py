"""Whether clients the bot sends to support are told how to reach it (``telegram.support_contact``).

Some sign-up paths end with "please contact support": those cannot be finished in Telegram. Without
the setting, those texts name no way to do it, so the check warns, naming the paths the settings let
clients reach.
"""

from __future__ import annotations

from syncd.checks import Result, ok, warn
from syncd.config import Settings

NAME = "support contact"


def reachable_paths(settings: Settings) -> list[str]:
    """The texts that send a client to support, as the settings let them be reached."""
    paths = ["a phone several Okdesk contacts share"]
    if settings.okdesk.create_contacts:
        paths.append("a phone no contact has, where Okdesk's lookups could not see every contact's number")
        if settings.okdesk.company_clients:
            paths.append("an INN several companies share, or one no company has (okdesk.company_clients)")
    else:
        paths.append("a phone no contact has (okdesk.create_contacts is off)")
    paths.append("and /help names no contact")
    return paths


def check_support_contact(settings: Settings) -> Result:
    if settings.telegram.support_contact.strip():
        return ok(NAME, "telegram.support_contact is shown to clients sent to support, and in /help")
    return warn(NAME, "telegram.support_contact is empty: clients sent to support are not told how to reach it: "
                      + "; ".join(reachable_paths(settings)))
