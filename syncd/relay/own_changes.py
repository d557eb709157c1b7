"""Status changes the daemon makes for the client (a reopening), remembered so the poll that sees them
does not tell the client what they were just told in their own words (syncd.sync.planner decides).

Recorded before each request, with the moment it was made: a poll that runs while the request is in
flight must already know it. A definite refusal forgets it at once; an answer never received leaves it
to the planner's window (``sync.own_change_window``).
"""

from __future__ import annotations

import json
from datetime import datetime

from syncd.clock import utcnow
from syncd.store import Store
from syncd.store.states import OWN_STATUS_CHANGE_KEY
from syncd.sync.planner import OwnStatusChange


def key(issue_id: int) -> str:
    return OWN_STATUS_CHANGE_KEY.format(issue_id=issue_id)


def record(store: Store, issue_id: int, from_code: str | None, to_code: str) -> None:
    if not from_code:
        return  # nothing to match a transition against
    store.set_value(key(issue_id), json.dumps({"from": from_code, "to": to_code, "at": utcnow().isoformat()}))


def forget(store: Store, issue_id: int) -> None:
    store.delete_value(key(issue_id))


def recorded(store: Store, issue_id: int) -> OwnStatusChange | None:
    return parse(store.get_value(key(issue_id)))


def parse(raw: str | None) -> OwnStatusChange | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return OwnStatusChange(str(data["from"]), str(data["to"]), datetime.fromisoformat(data["at"]))
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: announcing a change is the safe side
