"""What a client's message is for: pure decisions, no I/O.

A reply to a bot message about an issue is a comment on it; the message after "Comment" (within
the window) is too; the message after "New issue" becomes one; anything else is asked about.
Callback data of the bot's buttons is encoded and decoded here too, in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

AWAITING_COMMENT = "awaiting_comment"
AWAITING_NEW_ISSUE = "awaiting_new_issue"
_ISSUE_NUMBER = re.compile(r"#(\d{1,10})\b")


@dataclass(frozen=True)
class Route:
    action: str  # comment | create | ask | thanks
    okdesk_issue_id: int | None = None
    # The dialog state this message used up (cleared once the job exists).
    used_dialog: bool = False
    # A remark after a rating: a comment as it is, even on a completed issue (no reopen question).
    as_is: bool = False
    # ask: the question this message was meant to answer had expired (AWAITING_COMMENT or
    # AWAITING_NEW_ISSUE), so the client is told why it is asked; and the issue it named.
    expired: str | None = None
    expired_issue_id: int | None = None


def dialog_live(dialog: tuple[str, dict[str, Any]], now: datetime) -> bool:
    until = dialog[1].get("until")
    return until is None or datetime.fromisoformat(until) >= now


def route(*, reply_issue_id: int | None, dialog: tuple[str, dict[str, Any]] | None, now: datetime,
          small_talk: bool = False) -> Route:
    """``small_talk``: the message is a short thanks (syncd.sync.dialog.is_small_talk): with no reply
    context and no question waiting for a message, it is acknowledged, never sent nor asked about."""
    state, data = dialog if dialog is not None else ("", {})
    live = dialog is not None and dialog_live(dialog, now)
    remark = state == AWAITING_COMMENT and live and bool(data.get("remark"))
    if reply_issue_id is not None:
        if remark and data.get("issue_id") == reply_issue_id:
            # The remark asked for, written as a reply to the rated issue's messages: still the remark.
            return Route("comment", reply_issue_id, used_dialog=True, as_is=True)
        return Route("comment", reply_issue_id)
    if dialog is not None:
        if state == AWAITING_COMMENT and live and data.get("issue_id"):
            return Route("comment", int(data["issue_id"]), used_dialog=True, as_is=bool(data.get("remark")))
        if state == AWAITING_NEW_ISSUE and live:
            return Route("create", used_dialog=True)
    waited = state in (AWAITING_COMMENT, AWAITING_NEW_ISSUE) and not live
    if small_talk:
        return Route("thanks", used_dialog=waited)
    if waited:
        issue = data.get("issue_id")
        return Route("ask", used_dialog=True, expired=state, expired_issue_id=int(issue) if issue else None)
    return Route("ask")


def issue_named_in(text: str | None) -> int | None:
    """The issue a bot message names by its number ("#123").

    Every bot message about an issue names it in its first line ("Заявка #123 «…»", "#123 «…»: a → b");
    a staff comment below may mention other numbers. Without a single number in the first line, the
    whole text must name exactly one.
    """
    lines = (text or "").splitlines()
    for scope in (lines[:1], lines):
        found = {int(m) for m in _ISSUE_NUMBER.findall("\n".join(scope))}
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            return None
    return None


# ---------------------------------------------------------------- callback data (at most 64 bytes)


# Okdesk's rating values, numbered for the callback data (which carries digits only).
RATES = ("bad", "normal", "good")


@dataclass(frozen=True)
class Callback:
    verb: str  # see _VERBS
    issue_id: int | None = None
    job_id: int | None = None
    page: int | None = None
    rate: str | None = None  # rate: one of RATES
    entity_id: int | None = None  # entity: a service object (0: none)


_VERBS = {"v": "view", "r": "refresh", "c": "comment", "p": "portal", "l": "list", "a": "add", "n": "new", "x": "cancel",
          # the profile: unlink (asks first), unlink confirmed, relink with another phone
          "u": "unlink", "uy": "unlink_yes", "un": "unlink_no", "rl": "relink",
          # a completed issue: its rating, and a remark after it
          "rt": "rate", "rm": "remark",
          # after a bad rating: reopen the issue (no message of the client's to carry)
          "ri": "reopen_issue",
          # a message on a finished issue: reopen it and comment, or comment without reopening
          "ro": "reopen", "ac": "as_comment",
          # a question about a message (where to, reopen or not) cancelled: the message is not sent
          "xj": "drop",
          # linking a company's client: yes / no, and the service object chosen
          "cy": "company_yes", "cn": "company_no", "me": "entity"}
_LETTERS = {v: k for k, v in _VERBS.items()}
_ISSUE_VERBS = ("view", "refresh", "comment", "portal", "remark", "reopen_issue")
_JOB_VERBS = ("new", "reopen", "as_comment", "drop")
# How many numbers follow each verb (the others carry none).
_SHAPE = {**dict.fromkeys((*_ISSUE_VERBS, *_JOB_VERBS, "list", "entity"), 1), "add": 2, "rate": 2}


def encode(cb: Callback) -> bytes:
    letter = _LETTERS[cb.verb]
    if cb.verb in _ISSUE_VERBS:
        return f"{letter}:{cb.issue_id}".encode()
    if cb.verb == "list":
        return f"{letter}:{cb.page or 0}".encode()
    if cb.verb == "add":
        return f"{letter}:{cb.job_id}:{cb.issue_id}".encode()
    if cb.verb in _JOB_VERBS:
        return f"{letter}:{cb.job_id}".encode()
    if cb.verb == "rate":
        return f"{letter}:{cb.issue_id}:{RATES.index(cb.rate or '') + 1}".encode()
    if cb.verb == "entity":
        return f"{letter}:{cb.entity_id or 0}".encode()
    return letter.encode()


def decode(data: bytes) -> Callback | None:
    """None for anything the bot never made (forged or from an older version)."""
    try:
        parts = data.decode("ascii").split(":")
        verb = _VERBS[parts[0]]
        # Digits as the bot writes them: int() would also take " 1", "+1", "1_0", "01".
        if any(not p.isdigit() or p != str(int(p)) for p in parts[1:]):
            return None
        numbers = [int(p) for p in parts[1:]]
    except (UnicodeDecodeError, KeyError, ValueError):
        return None
    if any(n < 0 or n > 2**53 for n in numbers):
        return None
    if len(numbers) != _SHAPE.get(verb, 0):
        return None
    if verb in _ISSUE_VERBS:
        return Callback(verb, issue_id=numbers[0])
    if verb == "list":
        return Callback(verb, page=numbers[0])
    if verb == "add":
        return Callback(verb, job_id=numbers[0], issue_id=numbers[1])
    if verb in _JOB_VERBS:
        return Callback(verb, job_id=numbers[0])
    if verb == "rate":
        if not 1 <= numbers[1] <= len(RATES):
            return None
        return Callback(verb, issue_id=numbers[0], rate=RATES[numbers[1] - 1])
    if verb == "entity":
        return Callback(verb, entity_id=numbers[0])
    return Callback(verb)
