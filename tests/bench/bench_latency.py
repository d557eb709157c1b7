"""Staff comment -> client, and what polling costs, at 10, 1000 and 10000 followed issues, both ways Okdesk
may treat a new comment (bumping its issue's updated_at, or not).

Run: ``python tests/bench/bench_latency.py [--sizes 10,1000,10000] [--comments 20]`` (about 15 minutes
at the defaults). Production defaults: budget 120 requests a minute, the poll interval adaptive (no
override), and the emulator answering every request 150 ms late so the figures are not a loopback
artefact. Per size and variant the daemon first learns the account's behaviour (a few comments on
issues last touched two days ago, once it has looked at them), then the figures are taken on the same
state after a restart:

* a quiet minute: the busiest 60 s of Okdesk requests (polls and the sweep);
* staff comments a few seconds apart: the time until each reaches Telegram.

Targets (exit 1 when one is missed): comments bumping updated_at -> median <= 2 s, worst <= 5 s, at most
40 requests in any quiet 60 s whatever the number of followed issues; not bumping -> every comment
arrives (checked at the smallest size; at the larger ones the sweep's measured pace gives the worst
delay, hours at 10000 issues), and no 60 s ever holds more than the budget.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import PRODUCTION, Bench, human_seconds, merge, table, verdict

from tests.minute_window import busiest_minute

CLIENTS = 4
LATENCY = 0.15  # seconds the emulator adds to every answer
GAP = 3.0  # seconds between two measured staff comments
QUIET = 60.0  # seconds of the quiet minute
LEARN = 5  # comments that teach the daemon the account's behaviour (sync.bump_evidence)
CALM_CAP = 40  # requests in any quiet 60 s, comments bumping updated_at
BUDGET = PRODUCTION["okdesk"]["max_requests_per_minute"]


@dataclass
class Result:
    size: int
    bump: bool
    verdict: str
    poll_interval: float | None
    latencies: list[float]
    missing: int
    duplicates: int
    quiet_busiest: int
    busiest: int
    sweep_per_minute: float
    implied_worst: float | None


def run(size: int, bump: bool, comments: int) -> Result:
    with Bench("latency") as b:
        emu = b.emu
        emu.options.comments_bump_updated_at = bump
        emu.options.updated_since_filter = "honoured"  # what production clients show; the others cost a page too
        two_days_ago = datetime.now(timezone.utc) - timedelta(days=2)
        issues: list[tuple[int, str]] = []
        contacts = []
        for n in range(CLIENTS):
            contact_id, digits = b.new_contact(last=f"Клиент{n}")
            contacts.append(digits)
            for k in range(size // CLIENTS + (1 if n < size % CLIENTS else 0)):
                issue_id = emu.add_issue(f"Заявка {n}.{k}", contact_id=contact_id)
                emu.backdate_issue(issue_id, two_days_ago - timedelta(minutes=k))
                issues.append((issue_id, digits))
        # Linking and learning at the e2e pace, then the measured runs on the same state.
        b.start({"log": {"level": "DEBUG"}, "sync": {"bump_evidence": LEARN}})
        users = {digits: b.link(digits) for digits in contacts}
        # "yes" is taken only from an issue the daemon saw before its new comment: the first issues the
        # sweep visits (never fetched ones, by id), once it has.
        learners = sorted(issue_id for issue_id, _ in issues)[:LEARN]
        b.wait("the first visits", lambda: all(b.count("baseline_seen", issue_id=i) for i in learners), timeout=300)
        for n, issue_id in enumerate(learners):
            emu.add_comment(issue_id, f"<p>обучение {n}</p>", author=("employee", b.employee))
        # "no" shows when the sweep comes back to a learner: after its first visit of every other issue
        # (never fetched ones go first), about 2 requests an issue at the e2e pace.
        b.wait("the verdict", lambda: b.count("okdesk_comment_bump_verdict", verdict="yes" if bump else "no"),
               timeout=120 + size / 25)
        emu.options.latency = LATENCY
        # The learning pass looked at every issue within seconds (the e2e pace): none would fall due to
        # the sweep for a whole period, and its pace would read 0 a minute. In steady state issues fall
        # due all the time; every look dated a period back puts the sweep at the pace it keeps then.
        b.daemon.stop(timeout=60)
        date_looks_back(b.daemon.state_dir / "syncd.sqlite3", two_days_ago)
        b.start(merge(PRODUCTION, {"sync": {"bump_evidence": LEARN}}), timeout=120)
        run_no = b.daemon.runs

        started = time.time()
        time.sleep(QUIET)
        quiet = [r.started for r in emu.requests if r.started >= started]
        gets = [r for r in emu.requests if r.started >= started and r.method == "GET" and "/list" not in r.path]
        sweep_per_minute = len(gets) / QUIET * 60.0

        posted: dict[str, tuple[float, int]] = {}
        measured = comments if bump or size == min(args_sizes) else 0
        for n in range(measured):
            issue_id, digits = random.Random(n).choice(issues)
            marker = f"ответ-{n:03d}"
            comment_id = emu.add_comment(issue_id, f"<p>Проверьте, пожалуйста ({marker}).</p>",
                                         author=("employee", b.employee))
            published = next(c["published_at"] for c in emu.get_comments(issue_id) if c["id"] == comment_id)
            posted[marker] = (datetime.fromisoformat(published).timestamp(), users[digits].id)
            time.sleep(GAP)

        def arrivals() -> dict[str, list[float]]:
            return {marker: [m.at for m in b.tg.sent if m.peer_user_id == user_id and marker in (m.text or "")]
                    for marker, (_, user_id) in posted.items()}

        periods = b.daemon.find("reconcile_period", run=run_no)
        implied = float(periods[-1]["worst_comment_delay"]) if periods and "worst_comment_delay" in periods[-1] else None
        if not bump and size != min(args_sizes):
            implied = size * 2 / max(sweep_per_minute, 1e-9) * 60.0  # as measured, not as planned
        timeout = 30 if bump else (implied or 600) + 60
        if posted:
            b.wait("every comment in Telegram", lambda: all(arrivals().values()), timeout=timeout, step=0.5)
            b.daemon.wait_cycles(2, timeout=60)  # two more cycles: nothing twice
        seen = arrivals()
        latencies = [min(times) - posted[m][0] for m, times in seen.items() if times]
        verdicts = b.daemon.find("okdesk_comment_bump_verdict")
        intervals = b.daemon.find("reconcile_period", run=run_no)
        return Result(
            size, bump, verdicts[-1]["verdict"] if verdicts else "unknown",
            float(intervals[-1]["poll_interval"]) if intervals else None, latencies,
            sum(1 for t in seen.values() if not t), sum(1 for t in seen.values() if len(t) > 1),
            busiest_minute(quiet), busiest_minute([r.started for r in emu.requests if r.started >= started]),
            sweep_per_minute, implied)


def date_looks_back(db: Path, when: datetime) -> None:
    """Every followed issue last looked at ``when`` (the daemon stopped)."""
    from sqlalchemy import update

    from syncd.store import make_engine
    from syncd.store.schema import followed_issues

    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(update(followed_issues).values(last_fetched_at=when))
    engine.dispose()


args_sizes: list[int] = []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,1000,10000", help="followed issues, comma-separated")
    parser.add_argument("--comments", type=int, default=20, help="measured staff comments per run (default 20)")
    args = parser.parse_args()
    args_sizes.extend(int(s) for s in args.sizes.split(","))
    print(f"staff comment -> Telegram, production defaults (budget {BUDGET:g}/min, adaptive poll interval), "
          f"Okdesk answering {LATENCY * 1000:.0f} ms late, {args.comments} comments {GAP:g} s apart", flush=True)
    results = []
    for size in args_sizes:
        for bump in (True, False):
            began = time.monotonic()
            results.append(run(size, bump, args.comments))
            print(f"  {size} issues, comments_bump_updated_at={bump}: done in {time.monotonic() - began:.0f} s",
                  flush=True)

    rows, failures = [], []
    for r in results:
        median = statistics.median(r.latencies) if r.latencies else None
        worst = max(r.latencies) if r.latencies else None
        rows.append([r.size, "yes" if r.bump else "no", r.verdict,
                     f"{r.poll_interval:.2f} s" if r.poll_interval else "-",
                     f"{median:.1f} s" if median is not None else "-", f"{worst:.1f} s" if worst is not None else "-",
                     human_seconds(r.implied_worst) if r.implied_worst else "-", r.quiet_busiest, r.busiest,
                     f"{r.sweep_per_minute:.0f}/min"])
        label = f"{r.size} issues, bump={r.bump}"
        if r.missing or r.duplicates:
            failures.append(f"{label}: {r.missing} comments never arrived, {r.duplicates} arrived twice")
        if r.bump and median is not None and worst is not None and (median > 2.0 or worst > 5.0):
            failures.append(f"{label}: median {median:.1f} s / worst {worst:.1f} s (targets 2 s / 5 s)")
        if r.bump and r.quiet_busiest > CALM_CAP:
            failures.append(f"{label}: {r.quiet_busiest} requests in a quiet 60 s (target <= {CALM_CAP})")
        if r.busiest > BUDGET:
            failures.append(f"{label}: {r.busiest} requests in 60 s (budget {BUDGET:g})")
    print()
    print(table(["followed", "bump", "verdict", "poll every", "median", "worst", "worst (sweep)",
                 "quiet 60 s", "busiest 60 s", "sweep pace"], rows))
    print("worst (sweep): when comments do not bump updated_at, a comment waits for the sweep to visit its "
          "issue: the followed issues over the sweep's measured pace")
    return verdict(failures)


if __name__ == "__main__":
    sys.exit(main())
