"""Okdesk requests per poll cycle for 10 .. 10000 followed issues, and the reconcile sweep's share.

Run: ``python tests/bench/bench_poll_cost.py`` (about 5 minutes). Exits 1 when a target is missed:
  * an idle poll cycle averages at most 2 Okdesk requests (reconcile sweep excluded), at every size;
  * all Okdesk requests together stay within ``okdesk.max_requests_per_minute`` in every 60-s window.

One emulator, one Telegram test server, one daemon state that grows from 10 to 10000 followed
issues. For each size the daemon first runs with a high budget and a fast poll so it can follow
and follows the new issues quickly (no request per issue), then restarts (state kept) with the
production defaults and a budget of 120/min, and the emulator's request log is read cycle by
cycle, the cycles being cut at the daemon's ``poll_done`` events.

The seeded issues are backdated over the last 90 days: a real account's followed issues were
last touched over months, not all in the last minute, and only recent updates are in the
``updated_since`` window. What a burst of recent updates costs is measured alongside, on a
second daemon: right after the burst, and once it is older than the poll window (target as idle);
and a third daemon meets a mass change of 300 followed issues, far more than the budget allows,
which shows whether the budget holds every 60-s window.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from _common import PRODUCTION, Bench, human_seconds, merge, table, verdict

from syncd.config import SyncSettings
from tests.minute_window import busiest_minute

SIZES = (10, 100, 1000, 10000)
# New issues per size, one linked contact each: several contacts with many issues, few clients.
CONTACTS_PER_SIZE = {10: [10], 100: [90], 1000: [450, 450], 10000: [3000, 3000, 3000]}
BUDGET = 120.0
POLL_INTERVAL = 2.0
IDLE_CYCLES = 10
LONG_IDLE_SECONDS = 54.0
CHANGE_CYCLES = 2
CHANGED_PER_CYCLE = 5
BURST = 300  # issues of unlinked clients updated at once
BURST_CYCLES = 5
OVERLOAD = 300  # followed issues staff change at once
OVERLOAD_SECONDS = 125.0  # two whole minutes
TARGET_IDLE = 2.0

# Setup only: follow and baseline fast. The reconcile is kept out of the way (it would only
# re-fetch what was just baselined).
SETUP: dict[str, dict[str, Any]] = {
    "sync": {"poll_interval": 0.02, "reconcile_min_period": 3600.0},
    "okdesk": {"max_requests_per_minute": 60000.0},
    "log": {"level": "DEBUG"},
}
MEASURE = merge(PRODUCTION, {"sync": {"poll_interval": POLL_INTERVAL},
                             "okdesk": {"max_requests_per_minute": BUDGET}})



def sync_setting(key: str) -> Any:
    """A sync setting as measured: the benchmark's own, else the code's default (PRODUCTION holds only
    those the e2e settings shorten)."""
    return MEASURE["sync"].get(key, getattr(SyncSettings, key))


LIST = re.compile(r"/issues/list$")
ISSUE_GET = re.compile(r"/issues/(\d+)(/comments)?$")


@dataclass
class Cycle:
    list_requests: int = 0
    changed_fetches: int = 0  # GET issue / comments of an issue changed just before this cycle
    reconcile: int = 0  # GET issue / comments of any other followed issue
    other: int = 0  # statuses, contacts, ...

    @property
    def poll(self) -> int:
        return self.list_requests + self.changed_fetches + self.other


@dataclass
class Phase:
    size: int
    idle: list[Cycle] = field(default_factory=list)
    changed: list[Cycle] = field(default_factory=list)
    seconds: float = 0.0
    total: int = 0
    busiest_window: int = 0
    reconcile_total: int = 0
    period: float | None = None
    followed: int | None = None


def epoch(event: dict[str, Any]) -> float:
    stamp = str(event["timestamp"]).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()


def classify(records: list[Any], changed_ids: set[int]) -> Cycle:
    cycle = Cycle()
    for record in records:
        if LIST.search(record.path):
            cycle.list_requests += 1
        elif (match := ISSUE_GET.search(record.path)) and record.method == "GET":
            if int(match.group(1)) in changed_ids:
                cycle.changed_fetches += 1
            else:
                cycle.reconcile += 1
        else:
            cycle.other += 1
    return cycle


class Cycles:
    """Poll cycles of one daemon, cut at its ``poll_done`` events, and the requests of each."""

    def __init__(self, bench: Bench) -> None:
        self.b = bench

    def cycle_ends(self, run: int) -> list[float]:
        return [epoch(e) for e in self.b.daemon.find("poll_done", run=run)]

    def wait_cycles(self, run: int, count: int) -> None:
        target = len(self.b.daemon.find("poll_done", run=run)) + count
        self.b.wait(f"{count} poll cycles", lambda: len(self.b.daemon.find("poll_done", run=run)) >= target,
                    timeout=count * POLL_INTERVAL * 5 + 30, step=0.02)

    def records_between(self, low: float, high: float) -> list[Any]:
        return [r for r in self.b.emu.requests if low < r.started <= high]

    def cycle_records(self, run: int, first: int, count: int) -> list[list[Any]]:
        """The requests of cycles first .. first+count-1 (0-based poll_done numbers of the run)."""
        ends = self.cycle_ends(run)
        return [self.records_between(ends[i - 1], ends[i]) for i in range(first, first + count)]

    def next_cycles(self, run: int, count: int, seconds: float = 0.0) -> list[Cycle]:
        """The next ``count`` cycles, or more until ``seconds`` have passed."""
        first = len(self.cycle_ends(run))
        until = time.monotonic() + seconds
        self.wait_cycles(run, count)
        while time.monotonic() < until:
            self.wait_cycles(run, 1)
        done = len(self.cycle_ends(run)) - first
        return [classify(r, set()) for r in self.cycle_records(run, first, done)]


class PollCostBench(Cycles):
    def __init__(self, bench: Bench) -> None:
        super().__init__(bench)
        self.followed: list[int] = []  # issue ids of linked contacts
        self.status: dict[int, str] = {}
        self.history_start = datetime.now(timezone.utc) - timedelta(days=90)
        self.seeded = 0

    # ------------------------------------------------------------ setup

    def grow(self, size: int) -> None:
        b = self.b
        started = time.monotonic()
        new_contacts = []
        for count in CONTACTS_PER_SIZE[size]:
            contact_id, digits = b.new_contact(last=f"Клиент{len(self.followed)}")
            for _ in range(count):
                issue_id = b.emu.add_issue(f"Заявка {self.seeded}", contact_id=contact_id)
                # Spread over 90 days, older than anything the daemon has seen.
                b.emu.backdate_issue(issue_id, self.history_start + timedelta(minutes=self.seeded))
                self.seeded += 1
                self.followed.append(issue_id)
                self.status[issue_id] = "opened"
            new_contacts.append(digits)
        b.start(SETUP)
        for digits in new_contacts:
            b.link(digits)
        # Following costs no request per issue: what Okdesk dates before it counts as seen.
        b.wait(f"{size} issues followed", lambda: b.count("issue_followed") >= size, timeout=300)
        print(f"  setup {size:>5}: followed in {time.monotonic() - started:.0f} s", flush=True)

    # ------------------------------------------------------------ measurement

    def change_some(self, round_no: int) -> set[int]:
        """Status changes on issues spread over the followed set (a status change always bumps updated_at)."""
        step = max(1, len(self.followed) // CHANGED_PER_CYCLE)
        picked = {self.followed[(i * step + round_no) % len(self.followed)] for i in range(CHANGED_PER_CYCLE)}
        for issue_id in picked:
            new = "in_progress" if self.status[issue_id] == "opened" else "opened"
            self.b.emu.set_status(issue_id, new)
            self.status[issue_id] = new
        return picked

    def overdue_sweep(self) -> None:
        """Every followed issue due for its reconcile visit, as after a long run or a long outage.

        Just after the setup every issue was fetched seconds ago, so the sweep would have nothing
        to do for a whole period (hours at 10000); the benchmark wants it busy, at the pace its
        share of the budget allows. The daemon is stopped while its database is touched.
        """
        b = self.b
        if b.daemon.proc is not None and b.daemon.proc.poll() is None:
            b.daemon.stop(timeout=60)
        old = (datetime.now(timezone.utc) - timedelta(days=30)).replace(tzinfo=None)
        conn = sqlite3.connect(b.daemon.state_dir / "syncd.sqlite3")
        try:
            with conn:
                conn.execute("UPDATE followed_issues SET last_fetched_at = ?",
                             (old.strftime("%Y-%m-%d %H:%M:%S.%f"),))
        finally:
            conn.close()

    def measure(self, size: int) -> Phase:
        b = self.b
        self.overdue_sweep()
        b.emu.reset_requests()
        run = b.start(MEASURE)
        # The first cycles re-read the status names and settle; the measured span starts at
        # the end of a cycle, so every request in it belongs to a whole cycle.
        self.wait_cycles(run, 2)
        began = self.cycle_ends(run)[-1]
        phase = Phase(size)
        # The largest size runs longer, so that at least one whole 60-s window is measured.
        phase.idle = self.next_cycles(run, IDLE_CYCLES, LONG_IDLE_SECONDS if size == SIZES[-1] else 0.0)

        for round_no in range(CHANGE_CYCLES):
            self.wait_cycles(run, 1)  # right after a cycle ended: the next one sees all 5 changes
            boundary = len(self.cycle_ends(run))
            changed = self.change_some(round_no)
            self.wait_cycles(run, 1)
            ends = self.cycle_ends(run)
            cycle = classify(self.records_between(ends[boundary - 1], ends[boundary]), changed)
            if cycle.changed_fetches != 2 * CHANGED_PER_CYCLE:
                print(f"  note: change cycle fetched {cycle.changed_fetches} issue/comment pages, "
                      f"expected {2 * CHANGED_PER_CYCLE}")
            phase.changed.append(cycle)

        end = self.cycle_ends(run)[-1]
        records = self.records_between(began, end)
        phase.seconds = end - began
        phase.total = len(records)
        phase.busiest_window = busiest_minute([r.started for r in records])
        fetches = sum(1 for r in records if ISSUE_GET.search(r.path) and r.method == "GET")
        phase.reconcile_total = fetches - sum(c.changed_fetches for c in phase.changed)
        periods = b.daemon.find("reconcile_period")
        if periods:
            phase.period = float(periods[-1]["seconds"])
            phase.followed = int(periods[-1]["followed_issues"])
        return phase


class SideJob(Cycles):
    """A scenario on its own servers and daemon, run in a thread next to the main measurement."""

    def __init__(self, prefix: str) -> None:
        super().__init__(Bench(prefix))
        self.error: BaseException | None = None
        self.aborted = threading.Event()

    def run(self) -> None:
        try:
            with self.b:
                self.scenario()
        except BaseException as exc:  # reported by the main thread
            self.error = exc

    def scenario(self) -> None:
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:
        if self.aborted.wait(max(0.0, seconds)):
            raise SystemExit("aborted")

    def abort(self) -> None:
        """The main measurement failed: end this one soon, its daemon included."""
        self.aborted.set()
        proc = self.b.daemon.proc
        if proc is not None and proc.poll() is None:
            proc.kill()


class BurstBench(SideJob):
    """Issues of other, unlinked clients updated at once (an import, a mass status change).

    The ``updated_since`` list is account-wide, so such a burst is listed, page after page,
    while it is inside the poll window. Runs on its own daemon and servers, alongside the main
    measurement, because it has to wait until the burst is older than ``poll_overlap`` plus
    the minute Okdesk rounds ``updated_since`` to.
    """

    def __init__(self) -> None:
        super().__init__("pollburst")
        self.just_after: list[Cycle] = []
        self.later: list[Cycle] = []
        self.waited = 0.0

    def scenario(self) -> None:
        b = self.b
        contact_id, digits = b.new_contact()
        for n in range(10):
            b.emu.add_issue(f"Своя {n}", contact_id=contact_id)
        run = b.start(MEASURE)
        b.link(digits)
        b.wait("followed", lambda: b.count("issue_followed") >= 10, timeout=60)
        other, _ = b.new_contact(last="Чужой")
        self.wait_cycles(run, 1)
        burst_at = time.monotonic()
        for n in range(BURST):
            b.emu.add_issue(f"Массовая {n}", contact_id=other)
        self.wait_cycles(run, 1)  # this one lists the burst as news
        self.just_after = self.next_cycles(run, BURST_CYCLES)
        settle = sync_setting("poll_overlap") + 60.0 + 2 * POLL_INTERVAL
        self.sleep(burst_at + settle - time.monotonic())
        self.waited = time.monotonic() - burst_at
        self.later = self.next_cycles(run, BURST_CYCLES)


class OverloadBench(SideJob):
    """Staff change many followed issues at once after a quiet spell (a mass status change).

    The poll then wants far more than the budget; the daemon must still keep every 60-s window
    (as Okdesk sees it: the emulator's clock) within ``okdesk.max_requests_per_minute``.
    """

    def __init__(self) -> None:
        super().__init__("polloverload")
        self.busiest = 0
        self.first_10s = 0
        self.minutes: list[int] = []

    def scenario(self) -> None:
        b = self.b
        contact_id, digits = b.new_contact()
        ids = [b.emu.add_issue(f"Заявка {n}", contact_id=contact_id) for n in range(OVERLOAD)]
        b.start(SETUP)
        b.link(digits)
        b.wait("followed", lambda: b.count("issue_followed") >= OVERLOAD, timeout=120)
        run = b.start(MEASURE)  # a fresh budget, as after any quiet minute
        self.wait_cycles(run, 3)
        b.emu.reset_requests()
        began = time.time()
        for issue_id in ids:
            b.emu.set_status(issue_id, "in_progress")
        self.sleep(OVERLOAD_SECONDS)
        starts = [r.started for r in b.emu.requests]
        self.busiest = busiest_minute(starts)
        self.first_10s = sum(1 for t in starts if t < began + 10)
        self.minutes = [sum(1 for t in starts if began + 60 * k <= t < began + 60 * (k + 1))
                        for k in range(int(OVERLOAD_SECONDS // 60))]


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def measure_all(sizes: list[int]) -> tuple[list[Phase], list[dict[str, Any]]]:
    phases: list[Phase] = []
    with Bench("pollcost") as b:
        bench = PollCostBench(b)
        for size in SIZES:
            if size > max(sizes):
                break
            bench.grow(size)
            if size in sizes:
                phases.append(bench.measure(size))
                print(f"  measured {size:>5}: {phases[-1].seconds:.0f} s", flush=True)
        return phases, b.daemon.errors()


def report(phases: list[Phase], errors: list[dict[str, Any]], burst: BurstBench, overload: OverloadBench) -> list[str]:
    """Print the tables; returns the targets missed."""
    failures: list[str] = []
    rows = []
    for p in phases:
        idle_poll = mean([c.poll for c in p.idle])
        rows.append([p.size, idle_poll, max(c.poll for c in p.idle), mean([c.reconcile for c in p.idle]),
                     mean([c.poll for c in p.changed]), mean([c.reconcile for c in p.changed]),
                     p.reconcile_total / p.seconds * 60, p.busiest_window, f"{p.seconds:.0f} s"])
        if idle_poll > TARGET_IDLE:
            failures.append(f"{p.size} followed issues: an idle cycle costs {idle_poll:.2f} requests (> {TARGET_IDLE:g})")
        if p.busiest_window > BUDGET:
            failures.append(f"{p.size} followed issues: {p.busiest_window} requests in one 60-s window "
                            f"(> max_requests_per_minute {BUDGET:g})")
    print()
    print("Requests per poll cycle (poll = /issues/list + fetches of changed issues + other; reconcile apart)")
    print(table(["followed", "idle: poll", "idle: max", "idle: reconcile", "5 changed: poll",
                 "5 changed: reconcile", "reconcile/min", "busiest 60 s", "measured"], rows))
    print(f"targets: idle poll <= {TARGET_IDLE:g} per cycle at every size; busiest 60-s window <= {BUDGET:g} "
          f"(windows are cut to the measured span when it is shorter); the reconcile's own share is "
          f"{BUDGET * sync_setting('reconcile_share'):g}/min")

    print()
    print("Reconcile sweep as the daemon logged it (comments that do not bump updated_at wait for it)")
    rows = []
    for p in phases:
        if p.period is None:
            rows.append([p.size, "-", "-", "-"])
        else:
            rows.append([p.size, p.followed, human_seconds(p.period), human_seconds(p.period + POLL_INTERVAL)])
    print(table(["followed", "logged followed_issues", "reconcile period", "worst comment delay"], rows))
    print("worst comment delay = reconcile period + one poll interval (plus the paced send), "
          "when a new comment does not bump the issue's updated_at")

    print()
    print(f"Idle poll cycles after {BURST} issues of unlinked clients were updated at once "
          f"(poll_overlap {sync_setting('poll_overlap'):g} s; /issues/list pages of 50)")
    rows = [["just after", mean([c.poll for c in burst.just_after]), ", ".join(str(c.poll) for c in burst.just_after)],
            [f"{burst.waited:.0f} s later", mean([c.poll for c in burst.later]),
             ", ".join(str(c.poll) for c in burst.later)]]
    print(table(["when", "poll requests per cycle", "cycles"], rows))
    later = mean([c.poll for c in burst.later])
    if later > TARGET_IDLE:
        failures.append(f"{burst.waited:.0f} s after a burst of {BURST} updates an idle cycle still costs "
                        f"{later:.2f} requests (> {TARGET_IDLE:g}): the poll window does not move on")

    print()
    print(f"{OVERLOAD} followed issues changed at once after a quiet spell (demand ~{2 * OVERLOAD} requests), "
          f"requests as Okdesk received them")
    print(table(["first 10 s", *[f"minute {k + 1}" for k in range(len(overload.minutes))],
                 "busiest 60-s window", "max_requests_per_minute"],
                [[overload.first_10s, *overload.minutes, overload.busiest, f"{BUDGET:g}"]]))
    if overload.busiest > BUDGET:
        failures.append(f"a mass change of {OVERLOAD} issues: {overload.busiest} requests in one 60-s window "
                        f"(> max_requests_per_minute {BUDGET:g})")
    for error in errors:  # not a cost target, but worth a look
        print(f"note: daemon logged {error.get('level')} {error.get('event')!r} "
              f"(run {error.get('_run')}): {str(error.get('exception', ''))[-120:]!r}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated followed-issue counts, a subset of the default")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(s not in CONTACTS_PER_SIZE for s in sizes):
        parser.error(f"sizes must be among {SIZES}")

    wall = time.monotonic()
    print(f"Okdesk poll cost: poll_interval {POLL_INTERVAL:g} s, max_requests_per_minute {BUDGET:g}, "
          f"reconcile_share {sync_setting('reconcile_share')}, poll_overlap {sync_setting('poll_overlap'):g} s",
          flush=True)
    # The side scenarios mostly wait, so they run on their own daemons next to the main one.
    burst, overload = BurstBench(), OverloadBench()
    side = [threading.Thread(target=job.run) for job in (burst, overload)]
    for thread in side:
        thread.start()
    try:
        phases, errors = measure_all(sizes)
    except BaseException:
        for job in (burst, overload):
            job.abort()
        raise
    finally:
        for thread in side:
            thread.join()
    for job in (burst, overload):
        if job.error is not None:
            raise job.error
    failures = report(phases, errors, burst, overload)
    print(f"\nwall time {time.monotonic() - wall:.0f} s")
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
