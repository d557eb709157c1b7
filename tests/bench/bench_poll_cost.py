"""Okdesk requests per poll cycle for 10 .. 10000 followed issues, and the reconcile sweep's share.

Run: ``python tests/bench/bench_poll_cost.py`` (about 5 minutes). Exits 1 when a target is missed:
  * an idle poll cycle averages at most 2 Okdesk requests (reconcile sweep excluded), at every size;
  * all Okdesk requests together stay within ``okdesk.max_requests_per_minute`` in every 60-s window.

One emulator, one Telegram test server, one daemon state that grows from 10 to 10000 followed
issues. For each size the daemon first runs with a high budget and a fast poll so it can follow
and baseline the new issues quickly (2 requests each), then restarts (state kept) with the
production defaults and a budget of 120/min, and the emulator's request log is read cycle by
cycle, the cycles being cut at the daemon's ``poll_done`` events.

The seeded issues are backdated over the last 90 days: a real account's followed issues were
last touched over months, not all in the last minute, and only recent updates are in the
``updated_since`` window. What a burst of recent updates costs is measured separately at the end.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from _common import PRODUCTION, Bench, human_seconds, merge, table

SIZES = (10, 100, 1000, 10000)
# New issues per size, one linked contact each: several contacts with many issues, few clients.
CONTACTS_PER_SIZE = {10: [10], 100: [90], 1000: [450, 450], 10000: [3000, 3000, 3000]}
BUDGET = 120.0
POLL_INTERVAL = 2.0
IDLE_CYCLES = 10
CHANGE_CYCLES = 3
CHANGED_PER_CYCLE = 5
BURST = 300  # issues of unlinked clients updated at once
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


def busiest_minute(starts: list[float]) -> int:
    """Most requests in any 60-s window (the whole span when it is shorter)."""
    starts = sorted(starts)
    best, low = 0, 0
    for high, moment in enumerate(starts):
        while moment - starts[low] >= 60.0:
            low += 1
        best = max(best, high - low + 1)
    return best


class PollCostBench:
    def __init__(self, bench: Bench) -> None:
        self.b = bench
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
        b.wait(f"baseline of {size} issues", lambda: b.count("baseline_seen") >= size, timeout=300)
        print(f"  setup {size:>5}: followed and baselined in {time.monotonic() - started:.0f} s", flush=True)

    # ------------------------------------------------------------ measurement

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

    def change_some(self, round_no: int) -> set[int]:
        """Status changes on issues spread over the followed set (a status change always bumps updated_at)."""
        step = max(1, len(self.followed) // CHANGED_PER_CYCLE)
        picked = {self.followed[(i * step + round_no) % len(self.followed)] for i in range(CHANGED_PER_CYCLE)}
        for issue_id in picked:
            new = "in_progress" if self.status[issue_id] == "opened" else "opened"
            self.b.emu.set_status(issue_id, new)
            self.status[issue_id] = new
        return picked

    def measure(self, size: int) -> Phase:
        b = self.b
        b.emu.reset_requests()
        run = b.start(MEASURE)
        # The first cycles re-read the status names and settle; the measured span starts at
        # the end of a cycle, so every request in it belongs to a whole cycle.
        self.wait_cycles(run, 2)
        ends = self.cycle_ends(run)
        began, first = ends[-1], len(ends)
        phase = Phase(size)

        self.wait_cycles(run, IDLE_CYCLES)
        phase.idle = [classify(r, set()) for r in self.cycle_records(run, first, IDLE_CYCLES)]

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

    def burst(self) -> list[Cycle]:
        """Issues of other, unlinked clients updated at once (an import, a mass status change):
        the account-wide ``updated_since`` list carries them while they are in its window."""
        b = self.b
        run = b.daemon.runs
        contact_id, _ = b.new_contact(last="Чужой")
        self.wait_cycles(run, 1)
        for n in range(BURST):
            b.emu.add_issue(f"Массовая {n}", contact_id=contact_id)
        self.wait_cycles(run, 2)  # the first one lists the burst as news
        b.emu.reset_requests()
        first = len(self.cycle_ends(run))
        self.wait_cycles(run, 5)
        return [classify(r, set()) for r in self.cycle_records(run, first, 5)]


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated followed-issue counts, a subset of the default")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(s not in CONTACTS_PER_SIZE for s in sizes):
        parser.error(f"sizes must be among {SIZES}")

    wall = time.monotonic()
    phases: list[Phase] = []
    with Bench("pollcost") as b:
        bench = PollCostBench(b)
        print(f"Okdesk poll cost: poll_interval {POLL_INTERVAL:g} s, max_requests_per_minute {BUDGET:g}, "
              f"reconcile_share {MEASURE['sync']['reconcile_share']}, poll_overlap {MEASURE['sync']['poll_overlap']:g} s",
              flush=True)
        for size in SIZES:
            bench.grow(size)
            if size in sizes:
                phases.append(bench.measure(size))
                print(f"  measured {size:>5}: {phases[-1].seconds:.0f} s", flush=True)
        burst = bench.burst()
        errors = b.daemon.errors()
    # ------------------------------------------------------------ report
    failures: list[str] = []
    rows = []
    for p in phases:
        idle_poll = mean([c.poll for c in p.idle])
        idle_rec = mean([c.reconcile for c in p.idle])
        changed_poll = mean([c.poll for c in p.changed])
        changed_rec = mean([c.reconcile for c in p.changed])
        rate = p.reconcile_total / p.seconds * 60
        rows.append([p.size, idle_poll, max(c.poll for c in p.idle), idle_rec, changed_poll, changed_rec,
                     rate, p.busiest_window, f"{p.seconds:.0f} s"])
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
          f"{BUDGET * MEASURE['sync']['reconcile_share']:g}/min")

    print()
    print("Reconcile sweep as the daemon logged it (comments that do not bump updated_at wait for it)")
    rows = []
    for p in phases:
        if p.period is None:
            rows.append([p.size, "-", "-", "-"])
            continue
        worst = p.period + POLL_INTERVAL
        rows.append([p.size, p.followed, human_seconds(p.period), human_seconds(worst)])
    print(table(["followed", "logged followed_issues", "reconcile period", "worst comment delay"], rows))
    print("worst comment delay = reconcile period + one poll interval (plus the paced send), "
          "when a new comment does not bump the issue's updated_at")

    print()
    burst_poll = mean([c.poll for c in burst])
    print(f"Idle cycles right after {BURST} issues of unlinked clients were updated at once "
          f"(10000 followed): {burst_poll:.2f} requests per cycle "
          f"({', '.join(str(c.poll) for c in burst)}); pages of 50 of the updated_since window")
    if errors:
        failures.append(f"{len(errors)} error lines in the daemon log, first: {errors[0]}")
    print(f"\nwall time {time.monotonic() - wall:.0f} s")
    if failures:
        print("\nTARGET MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
