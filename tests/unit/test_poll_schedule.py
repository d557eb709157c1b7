"""What polling costs and delivers, per what is known of the account: a simulation on a simulated clock
(no sleeping) of the poller's timing decisions (Poller.tick: a poll due an interval per page after the
last one started, the filter's check paid for as a page, the sweep between polls), with the real
RequestBudget, ReconcileBucket and poll_schedule. CI guards the figures the benchmark (tests/bench/bench_latency.py) measures live:

* comments bump updated_at: every comment seen within a poll interval (median <= 2 s, worst <= 5 s),
  and polls and the safety-net sweep together at most 40 requests in any 60 s, a third of the default
  budget, whatever the number of followed issues;
* they do not (or it is not known): every comment still seen, within the sweep's period, and the busiest
  60 s never above okdesk.max_requests_per_minute.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.okdesk.budget import RequestBudget
from syncd.relay.issue_sync import REQUESTS_PER_ISSUE
from syncd.relay.poller import ReconcileBucket
from syncd.sync.account import NO, POLL_TICK, UNKNOWN, YES, poll_schedule, worst_comment_delay
from tests.minute_window import busiest_minute

BUDGET = 120.0  # okdesk.max_requests_per_minute, the default
CALM_CAP = 40  # a third of it


@dataclass
class Sim:
    verdict: str
    followed: int
    now: float = 0.0
    requests: list[tuple[float, str]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.schedule = poll_schedule(self.verdict, max_requests_per_minute=BUDGET, poll_share=1 / 3,
                                      reconcile_share=0.5, requests_per_issue=REQUESTS_PER_ISSUE,
                                      fixed_interval=None)
        self.budget = RequestBudget(BUDGET, clock=lambda: self.now)
        rpm = self.schedule.sweep_per_minute
        self.bucket = ReconcileBucket(rpm, rpm / 60.0 * max(self.schedule.poll_interval, 1.0) * 2,
                                      clock=lambda: self.now)
        self.pending: dict[int, float] = {}  # issue -> when its unseen comment was written
        self.last_poll: float | None = None
        self.pages = 1
        self.check_due = 0.0  # sync.updated_since_check: the filter trusted, the newest issue asked
        self.sweep_next = 0

    def poll_due(self) -> float:
        """Poller._poll_due: an interval per page after the last poll started."""
        return 0.0 if self.last_poll is None else self.last_poll + self.schedule.poll_interval * self.pages

    def request(self, kind: str, background: bool = False) -> bool:
        if not self.budget.try_acquire(background):
            return False
        self.requests.append((self.now, kind))
        return True

    def fetch(self, issue: int) -> None:
        """GET the issue and its comments: what was written is seen now."""
        self.request("fetch", background=True)
        self.request("fetch", background=True)
        written = self.pending.pop(issue, None)
        if written is not None:
            self.delays.append(self.now - written)

    def cycle(self) -> None:
        """Poller.run_cycle: the filter's check now and then, the poll, the issues it shows changed."""
        checked = self.now >= self.check_due
        if checked:
            self.check_due = self.now + 60.0
            if not self.request("poll"):
                return
        if not self.request("poll"):
            return  # the budget is spent: the next tick tries again
        self.pages = 1 + checked
        if self.verdict == YES:  # the list shows issues whose comments bumped them
            for issue in list(self.pending):
                self.fetch(issue)

    def sweep(self) -> None:
        """Poller._reconcile: visits while the sweep's bucket and the budget's background part allow."""
        while (self.budget.has_room(REQUESTS_PER_ISSUE, background=True)
               and self.bucket.take(REQUESTS_PER_ISSUE)):
            issue, self.sweep_next = self.sweep_next, (self.sweep_next + 1) % self.followed
            self.fetch(issue)
            self.requests[-1] = (self.now, "sweep")
            self.requests[-2] = (self.now, "sweep")

    def run(self, seconds: float, comment_every: float, rng: random.Random) -> None:
        next_comment = comment_every
        while self.now < seconds:
            while next_comment <= self.now:
                self.pending.setdefault(rng.randrange(self.followed), next_comment)
                next_comment += comment_every
            if self.now >= self.poll_due():  # Poller.tick, then syncd.app.daemon.keep_polling's sleep
                self.last_poll = self.now
                self.cycle()
            self.sweep()
            self.now += min(POLL_TICK, max(0.01, self.poll_due() - self.now))

    def busiest(self, kinds: set[str]) -> int:
        return busiest_minute(t for t, kind in self.requests if kind in kinds)


@pytest.mark.parametrize("followed", [10, 1000, 10000])
def test_when_comments_bump_updated_at_a_comment_arrives_in_seconds_for_a_third_of_the_budget(followed) -> None:
    sim = Sim(YES, followed)
    sim.run(seconds=900, comment_every=13, rng=random.Random(followed))
    assert len(sim.delays) >= 60
    assert statistics.median(sim.delays) <= 2.0 and max(sim.delays) <= 5.0
    assert sim.busiest({"poll", "sweep"}) <= CALM_CAP  # whatever the number of followed issues
    assert sim.busiest({"poll", "sweep", "fetch"}) <= BUDGET
    assert sim.schedule.poll_interval == pytest.approx(61 / 36)


@pytest.mark.parametrize("verdict", [NO, UNKNOWN])
@pytest.mark.parametrize("followed", [10, 1000, 10000])
def test_when_comments_may_not_bump_every_comment_arrives_within_the_sweep(verdict, followed) -> None:
    sim = Sim(verdict, followed)
    worst = worst_comment_delay(sim.schedule, verdict, followed, REQUESTS_PER_ISSUE, BUDGET)
    sim.run(seconds=worst * 2 + 120, comment_every=17, rng=random.Random(followed))
    assert sim.delays and max(sim.delays) <= worst + sim.schedule.poll_interval + POLL_TICK
    assert not sim.pending or max(sim.now - t for t in sim.pending.values()) <= worst + sim.schedule.poll_interval
    assert sim.busiest({"poll", "sweep", "fetch"}) <= BUDGET
    # The sweep is what finds them: it keeps half the budget, as before.
    assert sim.schedule.sweep_per_minute == BUDGET / 2 and sim.schedule.poll_interval == 15.0


def test_a_fixed_interval_is_kept_and_the_sweep_follows_the_verdict() -> None:
    for verdict in (YES, NO, UNKNOWN):
        schedule = poll_schedule(verdict, max_requests_per_minute=BUDGET, poll_share=1 / 3, reconcile_share=0.5,
                                 requests_per_issue=REQUESTS_PER_ISSUE, fixed_interval=7.0)
        assert schedule.poll_interval == 7.0 and not schedule.adaptive
        assert schedule.sweep_per_minute == (4.0 if verdict == YES else 60.0)


@settings(max_examples=200, deadline=None)
@given(rpm=st.floats(6, 6000), share=st.floats(0.01, 1.0))
def test_the_calm_load_never_passes_its_share(rpm: float, share: float) -> None:
    schedule = poll_schedule(YES, max_requests_per_minute=rpm, poll_share=share, reconcile_share=0.5,
                             requests_per_issue=REQUESTS_PER_ISSUE, fixed_interval=None)
    polls = 60.0 / schedule.poll_interval
    # At most the share (or one poll a minute and the smallest sweep when the share is tiny).
    assert polls + schedule.sweep_per_minute <= max(rpm * share, 1.0 + REQUESTS_PER_ISSUE) + 1e-6
    assert 1.0 <= schedule.poll_interval <= 60.0


def test_an_interval_the_operator_did_not_fix_is_adaptive() -> None:
    for verdict in (YES, NO, UNKNOWN):
        adaptive = poll_schedule(verdict, max_requests_per_minute=BUDGET, poll_share=1 / 3, reconcile_share=0.5,
                                 requests_per_issue=REQUESTS_PER_ISSUE, fixed_interval=None)
        fixed = poll_schedule(verdict, max_requests_per_minute=BUDGET, poll_share=1 / 3, reconcile_share=0.5,
                              requests_per_issue=REQUESTS_PER_ISSUE, fixed_interval=7.0)
        assert adaptive.adaptive is True and fixed.adaptive is False


def test_the_sweep_goes_at_what_the_background_part_leaves_beside_the_polls() -> None:
    """Defaults, comments not known to bump: the sweep's 60 a minute would pass the background part (half
    the budget, over its 61-s window, less the 4 polls a minute), so the promise is what that part allows."""
    schedule = poll_schedule(NO, max_requests_per_minute=BUDGET, poll_share=1 / 3, reconcile_share=0.5,
                             requests_per_issue=REQUESTS_PER_ISSUE, fixed_interval=None)
    room = BUDGET / 2 * 60 / 61 - 60 / 15  # 55.02 a minute
    worst = worst_comment_delay(schedule, NO, 1000, REQUESTS_PER_ISSUE, BUDGET)
    assert worst == pytest.approx(1000 * REQUESTS_PER_ISSUE / room * 61, rel=1e-12)
    assert round(worst, 1) == 2217.5  # as `syncd status` and the log say it


def test_polls_that_leave_the_sweep_no_room_promise_no_delay_at_all() -> None:
    # A fixed poll every second is 60 a minute: all of the background part, nothing left to sweep with.
    schedule = poll_schedule(NO, max_requests_per_minute=BUDGET, poll_share=1 / 3, reconcile_share=0.5,
                             requests_per_issue=REQUESTS_PER_ISSUE, fixed_interval=1.0)
    assert worst_comment_delay(schedule, NO, 10, REQUESTS_PER_ISSUE, BUDGET) > 100 * 365 * 86400
