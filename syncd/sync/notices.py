"""The words of a private notice to staff: pure, no I/O.

Staff never heard of the bot, so every notice has the same three parts: what happened (naming the bot
as the support desk's Telegram channel, and the client by the name of their Okdesk contact), what the
client missed and since when (in the account's time zone, as Okdesk shows dates: dd.mm.yyyy hh:mm),
and what to do now. Reasons are told in Russian words chosen here; Telegram's and Okdesk's own error
texts are for the log only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from syncd.texts import TEXTS, t

# Why the client missed it (the first line's key), and what staff should do about it.
BLOCKED, UNREACHABLE, ACCOUNT_DELETED = "blocked", "unreachable", "account_deleted"
PARKED, TOO_LARGE, REACHABLE_AGAIN = "parked", "too_large", "reachable_again"
_TODO = {
    BLOCKED: "staff_todo_contact_until_back",
    UNREACHABLE: "staff_todo_contact_until_back",
    ACCOUNT_DELETED: "staff_todo_account_deleted",
    PARKED: "staff_todo_contact",
    TOO_LARGE: "staff_todo_file",
    REACHABLE_AGAIN: "staff_todo_nothing",
}
# An episode's "since" is when it began (the first message missed); a given-up delivery is one message.
_MISSED = {BLOCKED: "staff_missed_since", UNREACHABLE: "staff_missed_since", ACCOUNT_DELETED: "staff_missed_since",
           PARKED: "staff_missed_at"}
REASONS = frozenset(_TODO)

# Why a delivery was given up (staff_parked), from the failed step's service and whether it was an outage.
CAUSES = ("telegram_refused", "telegram_down", "okdesk_file", "okdesk_down", "other")


def okdesk_time(when: datetime, tz: tzinfo) -> str:
    """A moment as Okdesk shows dates to its staff, in the account's time zone: 08.12.2026 09:30."""
    return when.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def client_words(names: Iterable[str]) -> str:
    """The clients a notice is about, by their contacts' names (a company's colleagues may share an issue)."""
    named = [" ".join(n.split()) for n in names]
    return ", ".join(n for n in named if n) or t("ru", "staff_unnamed_client")


def what_words(what: str | None) -> str:
    """A delivery's kind (comment, status, files, confirmation...) in staff's words; never the code itself."""
    key = f"staff_what_{what}"
    return t("ru", key) if what and key in TEXTS["ru"] else t("ru", "staff_what_message")


def parked_cause(service: str, outage: bool) -> str:
    """Why a delivery was given up, as one of CAUSES."""
    if service == "telegram":
        return "telegram_down" if outage else "telegram_refused"
    if service == "okdesk":
        return "okdesk_down" if outage else "okdesk_file"
    return "other"


def staff_notice(reason: str, *, client: str, tz: tzinfo, what: str | None = None, since: datetime | None = None,
                 cause: str | None = None, **details: object) -> str:
    """The notice's text: what happened to ``client`` (``reason``, one of REASONS), what they missed
    (``what``, a delivery's kind) since when (``since``), and what staff should do.

    ``cause``: a PARKED delivery's, one of CAUSES. ``details``: TOO_LARGE's ``name``, ``size``, ``limit``.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown notice reason {reason!r}")
    when = okdesk_time(since, tz) if since is not None else None
    if reason == REACHABLE_AGAIN and when is None:
        raise ValueError("a client reachable again is told with the moment they became unreachable")
    head_key = f"staff_{reason}"
    if reason == TOO_LARGE and when is None:
        head_key = "staff_too_large_undated"
    cause_words = t("ru", f"staff_cause_{cause if cause in CAUSES else 'other'}") if reason == PARKED else ""
    lines = [t("ru", head_key, client=client, since=when or "", cause=cause_words, **details)]
    missed = _MISSED.get(reason)
    if missed is not None and what is not None:
        words = what_words(what)
        lines.append(t("ru", missed, what=words, since=when) if when is not None
                     else t("ru", "staff_missed", what=words))
    lines.append(t("ru", _TODO[reason]))
    return "\n".join(lines)


def reopen_note(template: str, client: str) -> str:
    """``okdesk.reopen_comment`` with the client's name put in (``{client}``); any other brace stays as
    written: the setting is the administrator's text, not a format string."""
    return template.replace("{client}", client)
