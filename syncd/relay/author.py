"""Issue ``author``: Okdesk takes it only from a key of the Administrator role (okdesk-api.md §2.1).

The daemon sends the client as the author of the issues they create, so that Okdesk shows them as
such. A key of another role is refused, and how Okdesk words that is not documented: a 403 such as
"Доступ запрещен", or a 422 naming no field or only ``author``. Such an answer to a create that carried
``author`` is taken as a refusal of it: nothing was created, so the same issue is created again at once
without ``author`` (still the client's, by ``contact_id``). Only when that second create is taken is
the refusal remembered (else it was not about ``author``), and only for this run: the key's role may
change, so the first create of each run asks again. The record, kept in the database, also tells
``syncd check`` what Okdesk last said.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from syncd.okdesk.errors import OkdeskError, OkdeskForbidden, OkdeskValidationError
from syncd.store import Store
from syncd.store.states import OKDESK_ISSUE_AUTHOR_KEY

AUTHOR_KEY = OKDESK_ISSUE_AUTHOR_KEY  # its home: syncd.store.states
# This run of the daemon: a refusal learned by another run is asked again.
RUN_ID = secrets.token_hex(8)
# Fields of a 422 that still make it a refusal of the author: the author itself, or Rails' "base".
_NOT_ANOTHER_FIELD = {"author", "base"}


@dataclass(frozen=True)
class AuthorRecord:
    refused: bool
    at: datetime
    error: str  # Okdesk's words when refused
    run: str


def read_record(value: str | None) -> AuthorRecord | None:
    """The stored record; None when there is none or it cannot be read (an older syncd's)."""
    try:
        data = json.loads(value or "")
        return AuthorRecord(bool(data["refused"]), datetime.fromisoformat(data["at"]), str(data.get("error", "")),
                            str(data.get("run", "")))
    except (ValueError, TypeError, KeyError):
        return None


def refused_in_this_run(store: Store) -> bool:
    record = read_record(store.get_value(AUTHOR_KEY))
    return record is not None and record.refused and record.run == RUN_ID


def remember(store: Store, *, refused: bool, error: str = "") -> None:
    """What Okdesk said, for the rest of this run and for `syncd check`; written only when it changes."""
    record = read_record(store.get_value(AUTHOR_KEY))
    if not refused and record is not None and not record.refused and record.run == RUN_ID:
        return
    store.set_value(AUTHOR_KEY, json.dumps({"refused": refused, "at": datetime.now(timezone.utc).isoformat(),
                                            "error": error[:300], "run": RUN_ID}, ensure_ascii=False))


def describe(exc: OkdeskError) -> str:
    """The refusal in short, for the record: its status and Okdesk's own words."""
    errors = exc.errors
    if isinstance(errors, list):
        errors = "; ".join(str(e) for e in errors)
    elif isinstance(errors, Mapping):
        errors = json.dumps(errors, ensure_ascii=False)
    words = " ".join(str(errors or "").split())[:150]
    return f'{exc.status}, "{words}"' if words else str(exc.status)


def refuses_author(exc: OkdeskError) -> bool:
    """A 403, or a 422 naming no field but ``author``, to a create that carried ``author``.

    A 401 is not one (the token as a whole is refused, nothing was judged); nor is a 422 that names
    another field (the title, the files: the data is at fault, and the caller handles it)."""
    if isinstance(exc, OkdeskForbidden):
        return True
    if not isinstance(exc, OkdeskValidationError) or exc.status != 422:
        return False
    if isinstance(exc.errors, Mapping):
        return {str(k) for k in exc.errors} <= _NOT_ANOTHER_FIELD
    return True  # a sentence or a list of them: no field named
