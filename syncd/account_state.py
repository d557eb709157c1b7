"""What the daemon has learned of its Okdesk account, remembered in the store (kv) with its evidence.

The decisions are pure (syncd.sync.account); this keeps their state, feeds them what the poll and
every fetched issue show, says when a verdict changes, and works out the poll schedule from them.
Called from the poll thread only.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from syncd.config import Settings
from syncd.logs import get_logger
from syncd.store import Store
from syncd.store.states import OKDESK_COMMENT_BUMP_KEY, OKDESK_UPDATED_SINCE_KEY
from syncd.sync.account import (
    BumpVerdict,
    Schedule,
    UpdatedSince,
    bump_observed,
    bump_words,
    poll_schedule,
    updated_since_learned,
    updated_since_words,
    worst_comment_delay,
)

log = get_logger(__name__)


class AccountState:
    def __init__(self, store: Store, settings: Settings, requests_per_issue: int) -> None:
        self.store, self.settings, self.requests_per_issue = store, settings, requests_per_issue
        self.updated_since = UpdatedSince.from_json(store.get_value(OKDESK_UPDATED_SINCE_KEY))
        self.bump = BumpVerdict.from_json(store.get_value(OKDESK_COMMENT_BUMP_KEY))

    # ------------------------------------------------------------ updated_since

    def poll_answered(self, since: datetime, tz: tzinfo, older: Any) -> None:
        """One poll's list came back; ``older``: an issue updated before ``since`` that came with it."""
        floor = since.replace(second=0, microsecond=0)
        day_start = since.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        witness = None
        if older is None and self.updated_since.trusted:
            witness = self.store.followed_updated_between(day_start, floor)
        learned = updated_since_learned(self.updated_since, floor, day_start,
                                        (older.id, older.updated_at) if older is not None else None, witness)
        if learned != self.updated_since:
            self.updated_since = learned
            self.store.set_value(OKDESK_UPDATED_SINCE_KEY, learned.to_json())
            level = log.info if learned.trusted else log.warning
            level("okdesk_updated_since_learned", mode=learned.mode, words=updated_since_words(learned))

    # ------------------------------------------------------------ do comments bump updated_at?

    def issue_seen(self, issue_id: int, created_at: datetime | None, updated_at: datetime | None,
                   comments_last_at: datetime | None) -> None:
        """Any look at an issue with its comments' last time: a fetched issue, a list item."""
        before = self.bump
        self.bump = bump_observed(before, issue_id=issue_id, created_at=created_at, updated_at=updated_at,
                                  comments_last_at=comments_last_at, need=self.settings.sync.bump_evidence)
        if self.bump == before:
            return
        self.store.set_value(OKDESK_COMMENT_BUMP_KEY, self.bump.to_json())
        if self.bump.verdict != before.verdict:
            log.info("okdesk_comment_bump_verdict", verdict=self.bump.verdict, words=bump_words(self.bump),
                     poll_interval=round(self.schedule().poll_interval, 2))

    # ------------------------------------------------------------ the schedule it buys

    def schedule(self) -> Schedule:
        sync, okdesk = self.settings.sync, self.settings.okdesk
        return poll_schedule(self.bump.verdict, max_requests_per_minute=okdesk.max_requests_per_minute,
                             poll_share=sync.poll_share, reconcile_share=sync.reconcile_share,
                             requests_per_issue=self.requests_per_issue, fixed_interval=sync.poll_interval)

    def worst_delay(self, followed: int) -> float:
        return worst_comment_delay(self.schedule(), self.bump.verdict, followed, self.requests_per_issue,
                                   self.settings.okdesk.max_requests_per_minute)
