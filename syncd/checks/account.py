"""``syncd check``: what the daemon has learned of the Okdesk account (syncd.sync.account), read from its
database: whether ``updated_since`` is honoured, and whether comments bump ``updated_at``, with the
evidence. Nothing is asked of Okdesk here; the daemon learns it from the account's own data."""

from __future__ import annotations

from syncd.checks import Result, ok, skip, warn
from syncd.checks.database import DatabaseUnavailable, read_value
from syncd.config import Settings
from syncd.store.states import OKDESK_COMMENT_BUMP_KEY, OKDESK_UPDATED_SINCE_KEY
from syncd.sync.account import (
    IGNORED,
    MISREAD,
    NO,
    UNKNOWN,
    BumpVerdict,
    UpdatedSince,
    bump_words,
    updated_since_words,
)

NAME = "Okdesk account"
NOT_YET = "not known yet: the running daemon learns it from the account's own data"


def check_account(settings: Settings) -> list[Result]:
    try:
        since_raw, has_db = read_value(settings, OKDESK_UPDATED_SINCE_KEY)
        bump_raw, _ = read_value(settings, OKDESK_COMMENT_BUMP_KEY)
    except DatabaseUnavailable:
        has_db, since_raw, bump_raw = False, None, None
    since, bump = UpdatedSince.from_json(since_raw), BumpVerdict.from_json(bump_raw)
    # Neither is a failure: the daemon adapts. A filter ignored or misread says the account is not
    # what the docs suggest, and no bumps mean comments are found only by the sweep: worth knowing.
    if has_db and since.mode != UNKNOWN:
        since_result = (warn if since.mode in (IGNORED, MISREAD) else ok)(f"{NAME} updated_since", updated_since_words(since))
    else:
        since_result = skip(f"{NAME} updated_since", NOT_YET)
    if has_db and bump.verdict != UNKNOWN:
        bump_result = (warn if bump.verdict == NO else ok)(f"{NAME} comments bump updated_at", bump_words(bump))
    else:
        words = bump_words(bump) if has_db and bump.supported_by else "not known yet"
        bump_result = skip(f"{NAME} comments bump updated_at", f"{words}: the running daemon learns it "
                                                               "from the account's own data")
    return [since_result, bump_result]
