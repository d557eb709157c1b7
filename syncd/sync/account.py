"""What the daemon learns about its Okdesk account from the account's own data, pure.

Two things decide both the speed and the cost of polling, and nothing documents either:

* whether ``/issues/list`` honours ``updated_since`` (production clients use it; it may be ignored,
  or read as a date): told by what comes back, see :func:`updated_since_learned`;
* whether a new comment bumps its issue's ``updated_at`` (if so, one list request a poll sees every
  new comment; if not, only visiting each issue does): see :class:`BumpVerdict`.

Both are kept as JSON in the store with their evidence, and shown by ``syncd status`` and
``syncd check`` in the words of :func:`updated_since_words` and :func:`bump_words`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone

from syncd.okdesk.budget import BACKGROUND_RESERVE, WINDOW

# ---------------------------------------------------------------- updated_since

HONOURED, DATE_ONLY, IGNORED, MISREAD, UNKNOWN = "honoured", "date_only", "ignored", "misread", "unknown"


@dataclass(frozen=True)
class UpdatedSince:
    mode: str = UNKNOWN
    # The issue that showed it: one updated before `since` that came back (date_only, ignored), one
    # updated earlier that day that did not (honoured), or one updated after it that did not (misread:
    # read in another zone, say, the filter hides what it should show).
    issue_id: int | None = None
    issue_updated_at: str | None = None
    since: str | None = None

    @property
    def trusted(self) -> bool:
        """Walk oldest first and rely on the filter (still checked on every answer)."""
        return self.mode in (UNKNOWN, HONOURED)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | None) -> UpdatedSince:
        try:
            return cls(**json.loads(raw)) if raw else cls()
        except (TypeError, ValueError):
            return cls()


def updated_since_learned(known: UpdatedSince, since: datetime, day_start: datetime,
                          older: tuple[int, datetime] | None,
                          witness: tuple[int, datetime] | None,
                          missing: tuple[int, datetime] | None = None) -> UpdatedSince:
    """What a poll showed. ``older``: an issue updated before ``since`` (floored to the minute) that
    came back. ``witness``: an issue the store knows was updated that day, after ``day_start`` (the
    account's midnight) and before ``since``, which did not come back. ``missing``: the account's most
    recently updated issue, asked just before, updated after ``since``, which did not come back.
    ``ignored`` once an issue older than that day came back; ``date_only`` while those that came back
    are all of that day; ``misread`` for good once one that should have come back did not."""
    if older is not None:
        issue_id, updated_at = older
        mode = DATE_ONLY if updated_at >= day_start else IGNORED
        if known.mode in (IGNORED, MISREAD) or (known.mode == mode and known.issue_id is not None):
            return known  # the first evidence stands; "ignored" is never taken back for "date_only"
        return UpdatedSince(mode, issue_id, _utc(updated_at), _utc(since))
    if missing is not None and known.trusted:
        issue_id, updated_at = missing
        return UpdatedSince(MISREAD, issue_id, _utc(updated_at), _utc(since))
    if witness is not None and known.mode == UNKNOWN:
        issue_id, updated_at = witness
        return UpdatedSince(HONOURED, issue_id, _utc(updated_at), _utc(since))
    return known


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def updated_since_words(state: UpdatedSince) -> str:
    if state.mode == HONOURED:
        return (f"honoured (issue {state.issue_id}, updated at {state.issue_updated_at}, was not listed "
                f"for updated_since {state.since})")
    if state.mode == MISREAD:
        return (f"misread (issue {state.issue_id}, updated at {state.issue_updated_at}, was not listed for "
                f"updated_since {state.since}): each poll reads the list newest first and stops there")
    if state.mode in (DATE_ONLY, IGNORED):
        how = "read as a date only" if state.mode == DATE_ONLY else "ignored"
        return (f"{how} (issue {state.issue_id}, updated at {state.issue_updated_at}, was listed for "
                f"updated_since {state.since}): each poll reads the list newest first and stops there")
    return "not known yet"


# ---------------------------------------------------------------- do comments bump updated_at?

YES, NO = "yes", "no"
# Okdesk's timestamps are to the second; its own two clocks for one event may differ by that.
SAME_MOMENT = 1.0
# A comment within this of the issue's creation may have come with it (an e-mail's text, say).
AFTER_CREATION = 60.0
SUPPORT_KEPT = 50  # issue ids kept as evidence for "yes" (a count beyond it says enough)
FUTURE_SLACK = 60.0  # seconds a comment may be dated past Okdesk's now before its date is not believed


@dataclass(frozen=True)
class BumpVerdict:
    """"yes" once ``need`` issues showed their latest comment at the very moment of their last
    update, and nothing showed otherwise; "no" for good once one issue showed a comment newer than
    its ``updated_at``; "unknown" until then."""

    verdict: str = UNKNOWN
    support: tuple[int, ...] = field(default=())  # issues whose last update was their latest comment
    supported_by: int = 0  # how many such issues in all
    proof_issue_id: int | None = None  # "no": the issue with a comment newer than its updated_at
    proof_seconds: float | None = None  # by how much

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "support": list(self.support)})

    @classmethod
    def from_json(cls, raw: str | None) -> BumpVerdict:
        try:
            data = json.loads(raw) if raw else {}
            return cls(**{**data, "support": tuple(data.get("support", ()))})
        except (TypeError, ValueError):
            return cls()


@dataclass(frozen=True)
class PreviousLook:
    """What the daemon saw of an issue the last time it fetched it (its followed row)."""

    status_code: str | None
    comments_count: int | None
    comments_last_at: datetime | None


def bump_observed(known: BumpVerdict, *, issue_id: int, created_at: datetime | None,
                  updated_at: datetime | None, comments_last_at: datetime | None, need: int,
                  status_code: str | None = None, comments_count: int | None = None,
                  previous: PreviousLook | None = None, now: datetime | None = None) -> BumpVerdict:
    """What one look at an issue (``GET /issues/{id}``, or a list item carrying comments) shows.

    Any look may prove "no". Only a look at an issue the daemon saw before (``previous``), whose one
    change since is a new comment (same status, more comments), supports "yes": an update made with
    a comment (a status change that requires one, say) looks just like a bump, and the daemon cannot
    tell them apart on an issue it never saw. A comment dated past Okdesk's ``now`` (a clock gone
    wrong) says nothing either way.
    """
    if known.verdict == NO or updated_at is None or comments_last_at is None:
        return known
    if now is not None and (comments_last_at - now).total_seconds() > FUTURE_SLACK:
        return known
    gap = (comments_last_at - updated_at).total_seconds()
    if gap > SAME_MOMENT:
        return replace(known, verdict=NO, proof_issue_id=issue_id, proof_seconds=round(gap, 1))
    fresh = created_at is None or (comments_last_at - created_at).total_seconds() >= AFTER_CREATION
    if (abs(gap) > SAME_MOMENT or not fresh or issue_id in known.support
            or not _only_a_new_comment(previous, status_code, comments_count, comments_last_at)):
        return known
    support = (known.support + (issue_id,))[-SUPPORT_KEPT:]
    count = known.supported_by + 1
    return replace(known, support=support, supported_by=count, verdict=YES if count >= need else known.verdict)


def _only_a_new_comment(previous: PreviousLook | None, status_code: str | None, comments_count: int | None,
                        comments_last_at: datetime) -> bool:
    if previous is None or previous.status_code != status_code:
        return False
    if previous.comments_last_at is not None and comments_last_at <= previous.comments_last_at:
        return False
    return previous.comments_count is None or comments_count is None or comments_count > previous.comments_count


def bump_words(state: BumpVerdict) -> str:
    """Exactly what `syncd status` and `syncd check` say."""
    if state.verdict == NO:
        return (f"no: issue {state.proof_issue_id} has a comment {_duration(state.proof_seconds or 0)} "
                f"newer than its updated_at")
    if state.verdict == YES:
        return f"yes (seen on {state.supported_by} issues)"
    if state.supported_by:
        return f"not known yet (seen on {state.supported_by} issues so far)"
    return "not known yet"


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h"
    return f"{s // 86400} d"


# ---------------------------------------------------------------- how often to poll

# The share of the calm-time load the safety-net sweep keeps when comments bump updated_at.
SAFETY_NET_SHARE = 0.1
FASTEST_POLL = 1.0  # seconds: never more often, whatever the budget allows
SLOWEST_POLL = 60.0
DEFAULT_POLL = 15.0  # while comments may not bump updated_at: as before, the sweep finds them
# How often an adaptive poll is looked at (Poller.tick): a poll goes when its interval has passed.
POLL_TICK = 0.5


@dataclass(frozen=True)
class Schedule:
    poll_interval: float  # seconds between two polls
    sweep_per_minute: float  # requests a minute the reconcile sweep may spend
    adaptive: bool  # False: sync.poll_interval fixed by the operator


def poll_schedule(verdict: str, *, max_requests_per_minute: float, poll_share: float, reconcile_share: float,
                  requests_per_issue: int, fixed_interval: float | None) -> Schedule:
    """How often to poll and how fast to sweep, from what is known of the account.

    Comments bump updated_at ("yes"): one list request a poll sees every new comment, so the poll
    takes most of ``poll_share`` of the budget (about one poll every 1.7 s, 1.69, at the default 120 a
    minute and a third of it) and the sweep only the rest, a slow safety net, whatever the number
    of followed issues. Otherwise ("no", "unknown"): a comment is found only by visiting its issue,
    so the sweep keeps ``reconcile_share`` of the budget and the poll its old pace.
    """
    if verdict == YES:
        calm = max_requests_per_minute * poll_share
        sweep = max(calm * SAFETY_NET_SHARE, float(requests_per_issue))
        # Spread over the budget's 61-s window, not 60: polls exactly 60/36 s apart put 37 in some
        # 60-s windows (the first and the last at their edges), one more than the share.
        interval = min(SLOWEST_POLL, max(FASTEST_POLL, BUDGET_WINDOW / max(calm - sweep, 1.0)))
    else:
        sweep = max_requests_per_minute * reconcile_share
        interval = DEFAULT_POLL
    if fixed_interval is not None:
        return Schedule(fixed_interval, sweep, adaptive=False)
    return Schedule(interval, sweep, adaptive=True)


# The part of the budget background requests (the sweep) may use, and the budget's window: the
# daemon's RequestBudget is built with its defaults.
BACKGROUND_SHARE, BUDGET_WINDOW = 1.0 - BACKGROUND_RESERVE, WINDOW


def worst_comment_delay(schedule: Schedule, verdict: str, followed: int, requests_per_issue: int,
                        max_requests_per_minute: float) -> float:
    """Seconds a staff comment may wait before the daemon sees it: a poll interval when comments bump
    updated_at, else a whole sweep of the followed issues, at the pace the budget lets the sweep keep
    (its own share, or what the background part of the window leaves beside the polls)."""
    if verdict == YES:
        return schedule.poll_interval
    room = max_requests_per_minute * BACKGROUND_SHARE * 60.0 / BUDGET_WINDOW - 60.0 / schedule.poll_interval
    pace = max(min(schedule.sweep_per_minute, room), 1e-9)
    return max(schedule.poll_interval, followed * requests_per_issue / pace * BUDGET_WINDOW)
