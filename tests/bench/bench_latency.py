"""Time from a staff comment in Okdesk to its arrival at the Telegram test server.

Run: ``python tests/bench/bench_latency.py [--poll-interval 15] [--comments 30]`` (about 3
minutes at the defaults). Prints the median and worst latency for both emulator variants:
  * comments bump the issue's updated_at: the next poll finds them (promise: one poll
    interval plus the paced sends);
  * they do not: only the reconcile sweep finds them (promise: one reconcile period plus a
    poll interval plus the sends).
Latency is not a deterministic figure, so no timing target decides the exit code; the script
exits 1 only when a comment never arrives or arrives twice.

Production defaults otherwise (budget 120/min, one message a second per chat); comments are
added about a second apart, round-robin over the issues of several linked clients.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime

from _common import PRODUCTION, Bench, human_seconds, merge, table

CLIENTS = 4
ISSUES_PER_CLIENT = 2
GAP = 1.0  # seconds between two staff comments


@dataclass
class Result:
    bump: bool
    latencies: list[float]
    missing: int
    duplicates: int
    period: float | None


def run_variant(bump: bool, poll_interval: float, comments: int) -> Result:
    with Bench("latency") as b:
        b.emu.options.comments_bump_updated_at = bump
        issues: list[tuple[int, str]] = []
        digits_list = []
        for n in range(CLIENTS):
            contact_id, digits = b.new_contact(last=f"Клиент{n}")
            digits_list.append(digits)
            issues += [(b.emu.add_issue(f"Заявка {n}.{k}", contact_id=contact_id), digits)
                       for k in range(ISSUES_PER_CLIENT)]
        # Linking and baselining with the e2e test pace, then the measured run on the same state.
        b.start({"log": {"level": "DEBUG"}})
        users = {digits: b.link(digits) for digits in digits_list}
        b.wait("baselines", lambda: b.count("baseline_seen") >= len(issues), timeout=60)
        b.start(merge(PRODUCTION, {"sync": {"poll_interval": poll_interval}}))

        posted: dict[str, tuple[float, int]] = {}  # marker -> (published, tg user id)
        for n in range(comments):
            issue_id, digits = issues[n % len(issues)]
            marker = f"ответ-{n:03d}"
            comment_id = b.emu.add_comment(issue_id, f"<p>Проверьте, пожалуйста ({marker}).</p>",
                                           author=("employee", b.employee))
            published = next(c["published_at"] for c in b.emu.get_comments(issue_id) if c["id"] == comment_id)
            posted[marker] = (datetime.fromisoformat(published).timestamp(), users[digits].id)
            time.sleep(GAP)

        def arrivals() -> dict[str, list[float]]:
            seen: dict[str, list[float]] = {}
            for marker, (_, user_id) in posted.items():
                seen[marker] = [m.at for m in b.tg.sent if m.peer_user_id == user_id and marker in (m.text or "")]
            return seen

        periods = b.daemon.find("reconcile_period")
        period = float(periods[-1]["seconds"]) if periods else 60.0
        # Generous: the promise plus the paced sends of every comment, twice over.
        timeout = (poll_interval if bump else period + poll_interval) + comments * 2 + 60
        b.wait("every comment in Telegram", lambda: all(arrivals().values()), timeout=timeout, step=0.5)
        b.daemon.wait_cycles(2, timeout=poll_interval * 4 + 10)  # two more cycles: nothing twice
        seen = arrivals()
        latencies = [min(times) - posted[m][0] for m, times in seen.items() if times]
        return Result(bump, latencies, sum(1 for t in seen.values() if not t),
                      sum(1 for t in seen.values() if len(t) > 1), float(periods[-1]["seconds"]) if periods else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--poll-interval", type=float, default=15.0,
                        help="sync.poll_interval in seconds (default 15, the production default)")
    parser.add_argument("--comments", type=int, default=30, help="staff comments per variant (default 30)")
    args = parser.parse_args()

    print(f"latency, staff comment -> Telegram: poll_interval {args.poll_interval:g} s, "
          f"{args.comments} comments {GAP:g} s apart on {CLIENTS * ISSUES_PER_CLIENT} issues of {CLIENTS} clients, "
          f"budget {PRODUCTION['okdesk']['max_requests_per_minute']:g}/min, "
          f"reconcile_min_period {PRODUCTION['sync']['reconcile_min_period']:g} s", flush=True)
    results = []
    for bump in (True, False):
        started = time.monotonic()
        results.append(run_variant(bump, args.poll_interval, args.comments))
        print(f"  comments_bump_updated_at={bump}: done in {time.monotonic() - started:.0f} s", flush=True)

    rows = []
    failures = []
    for r in results:
        promise = args.poll_interval if r.bump else (r.period or 0) + args.poll_interval
        rows.append([str(r.bump), len(r.latencies), f"{statistics.median(r.latencies):.1f} s",
                     f"{max(r.latencies):.1f} s", human_seconds(r.period) if r.period else "-",
                     f"{human_seconds(promise)} + sends"])
        if r.missing:
            failures.append(f"comments_bump_updated_at={r.bump}: {r.missing} comments never arrived")
        if r.duplicates:
            failures.append(f"comments_bump_updated_at={r.bump}: {r.duplicates} comments arrived twice")
    print()
    print(table(["comments_bump_updated_at", "delivered", "median", "worst", "reconcile period",
                 "promise"], rows))
    print("promise: one poll interval when comments bump updated_at, else one reconcile period plus a "
          "poll interval; both plus the paced sends (1 message/s per chat)")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
