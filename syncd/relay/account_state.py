"""What the daemon has learned of its Okdesk account, remembered in the store (kv) with its evidence.

The decisions are pure (syncd.sync.account); this keeps their state, feeds them what the poll and
every fetched issue show, says when a verdict changes, and works out the poll schedule and the
sweep's period from them (and tells `syncd status`).
Called from the poll thread only.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, tzinfo
from typing import Any

from syncd.config import Settings
from syncd.logs import get_logger
from syncd.store import Store
from syncd.store.states import (
    OKDESK_COMMENT_BUMP_KEY,
    OKDESK_UPDATED_SINCE_KEY,
    RECONCILE_PERIOD_KEY,
)
from syncd.sync.account import (
    BUDGET_WINDOW,
    UNKNOWN,
    BumpVerdict,
    PreviousLook,
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
        self._said: dict[str, float] | None = None  # the sweep's period, as `syncd status` was last told

    # ------------------------------------------------------------ updated_since

    def poll_answered(self, since: datetime, tz: tzinfo, older: Any, listed_ids: Collection[int],
                      newest: Any = None) -> None:
        """One poll's list came back (``listed_ids``); ``older``: an issue updated before ``since``
        that came with it; ``newest``: the account's most recently updated issue, asked just before."""
        floor = since.replace(second=0, microsecond=0)
        day_start = since.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        witness = None
        if older is None and self.updated_since.mode == UNKNOWN:
            # An issue last seen updated earlier that day and not listed now: the filter kept it out.
            # One that was listed was updated again since the store saw it, and proves nothing.
            witness = next((seen for seen in self.store.followed_updated_between(day_start, floor)
                            if seen[0] not in listed_ids), None)
        missing = None
        if newest is not None and newest.updated_at is not None and newest.updated_at >= floor \
                and newest.id not in listed_ids:
            missing = (newest.id, newest.updated_at)  # updated later still, it would be listed all the more
        learned = updated_since_learned(self.updated_since, floor, day_start,
                                        (older.id, older.updated_at) if older is not None else None, witness,
                                        missing)
        if learned != self.updated_since:
            self.updated_since = learned
            self.store.set_value(OKDESK_UPDATED_SINCE_KEY, learned.to_json())
            level = log.info if learned.trusted else log.warning
            level("okdesk_updated_since_learned", mode=learned.mode, words=updated_since_words(learned))

    # ------------------------------------------------------------ do comments bump updated_at?

    def issue_seen(self, issue_id: int, created_at: datetime | None, updated_at: datetime | None,
                   comments_last_at: datetime | None, *, status_code: str | None = None,
                   comments_count: int | None = None, previous: PreviousLook | None = None,
                   now: datetime | None = None) -> None:
        """Any look at an issue with its comments' last time: a fetched issue (with what the daemon saw
        of it before, if it did), a list item."""
        before = self.bump
        self.bump = bump_observed(before, issue_id=issue_id, created_at=created_at, updated_at=updated_at,
                                  comments_last_at=comments_last_at, need=self.settings.sync.bump_evidence,
                                  status_code=status_code, comments_count=comments_count, previous=previous,
                                  now=now)
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

    def sweep_period(self, followed: int) -> float:
        """Seconds for a full sweep: the followed issues times their cost over the sweep's share.

        Said (log, `syncd status`) again when the period or the worst delay moves by a tenth, or the
        poll interval changes at all (a verdict learned): never a stale promise, never a log flood."""
        schedule = self.schedule()
        period = max(self.settings.sync.reconcile_min_period,
                     followed * self.requests_per_issue / schedule.sweep_per_minute * BUDGET_WINDOW)
        worst = self.worst_delay(followed)
        said = self._said
        if (said is None or _moved(period, said["seconds"]) or _moved(worst, said["worst_comment_delay"])
                or schedule.poll_interval != said["poll_interval"]):
            log.info("reconcile_period", seconds=round(period, 1), followed_issues=followed,
                     poll_interval=round(schedule.poll_interval, 2), worst_comment_delay=round(worst, 1),
                     comments_bump=self.bump.verdict)
            self._said = {"seconds": period, "followed_issues": followed, "poll_interval": schedule.poll_interval,
                          "worst_comment_delay": worst}
            self.store.set_value(RECONCILE_PERIOD_KEY, json.dumps(self._said))
        return period

    def worst_delay(self, followed: int) -> float:
        return worst_comment_delay(self.schedule(), self.bump.verdict, followed, self.requests_per_issue,
                                   self.settings.okdesk.max_requests_per_minute)


def _moved(now: float, before: float) -> bool:
    return abs(now - before) > 0.1 * before
