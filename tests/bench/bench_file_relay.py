"""A 200 MB attachment relayed from Okdesk to Telegram: the daemon's peak memory and the time it takes.

Run: ``python tests/bench/bench_file_relay.py [--mb 200]`` (about 15 s). Exits 1 when the
daemon's peak RSS (VmHWM) reaches 150 MB, or when the file Telegram received is not the
file staff attached (sha256), or it never arrives.

The file is generated in a temporary directory and deleted afterwards. The daemon's RSS is
sampled from /proc/<pid>/status while it relays, and VmHWM read right after delivery.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import datetime
from typing import Any

from _common import Bench, rss_verdict, table

from tests.e2e.helpers import random_file
from tests.okdesk_emulator import Upload

TARGET_MB = 150.0
POLL_INTERVAL = 1.0
FILE_NAME = "Выгрузка базы 1С.zip"


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM / ... of a live process, in kB."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Vm"):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    return out


class RssSampler(threading.Thread):
    """VmRSS every 50 ms, so the report shows whether memory grows with the file or stays flat."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.samples.append((time.monotonic(), proc_status(self.pid)["VmRSS"]))
            except (OSError, KeyError):
                return
            self.stop_event.wait(0.05)


def epoch(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(event["timestamp"]).replace("Z", "+00:00")).timestamp()


def mb(kilobytes: float) -> float:
    return kilobytes / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="size of the attachment in MiB (default 200)")
    args = parser.parse_args()

    failures: list[str] = []
    with Bench("filerelay") as b:
        # The relay is measured here, not how the comment is discovered: let it bump updated_at
        # so the next poll finds it.
        b.emu.options.comments_bump_updated_at = True
        source = b.root / "attachment.bin"
        started = time.monotonic()
        sha = random_file(source, args.mb)
        print(f"generated {args.mb} MiB in {time.monotonic() - started:.1f} s (sha256 {sha[:16]}...)", flush=True)

        user, _contact_id, issue_id = b.client_with_issue("Нужна выгрузка базы", POLL_INTERVAL)
        proc = b.daemon.proc
        assert proc is not None
        idle = proc_status(proc.pid)

        sampler = RssSampler(proc.pid)
        sampler.start()
        b.emu.add_comment(issue_id, "<p>Выгрузка во вложении.</p>", author=("employee", b.employee),
                          attachments=[Upload(FILE_NAME, path=source)])
        commented = time.time()

        def delivered() -> list:  # type: ignore[type-arg]
            return [m for m in b.tg.sent_to(user) if m.file_name == FILE_NAME]

        got = b.tg.wait_for(delivered, timeout=600)
        after = proc_status(proc.pid)
        sampler.stop_event.set()
        sampler.join()

        if not got:
            failures.append("the file never reached Telegram")
            relay = float("nan")
            sent = None
        else:
            sent = got[0]
            relay = sent.at - commented
            if sent.sha256 != sha:
                failures.append(f"Telegram received sha256 {sent.sha256}, staff attached {sha}")
            if len(got) != 1:
                failures.append(f"the file arrived {len(got)} times")

        # Where the time went: finding the comment (the poll) vs downloading and uploading it.
        planned = b.daemon.find("deliveries_planned", issue_id=issue_id)
        planned_at = epoch(planned[-1]) if planned else None
        peak = mb(after["VmHWM"])
        sampled = mb(max((kb for _, kb in sampler.samples), default=0))
        errors = b.daemon.errors()

    rows = [
        ["attachment", f"{args.mb} MiB"],
        ["relay time (comment added -> Telegram stored the message)", f"{relay:.1f} s"],
        ["  of which: until the poll planned the delivery", f"{planned_at - commented:.1f} s" if planned_at else "-"],
        ["  of which: download from Okdesk + upload to Telegram",
         f"{sent.at - planned_at:.1f} s ({args.mb / (sent.at - planned_at):.0f} MiB/s)" if planned_at and sent else "-"],
        ["daemon RSS before the relay (VmRSS)", f"{mb(idle['VmRSS']):.1f} MB"],
        ["daemon RSS, highest sample while relaying (every 50 ms)", f"{sampled:.1f} MB"],
        ["daemon peak RSS since start (VmHWM, right after delivery)", f"{peak:.1f} MB"],
        ["sha256 at the Telegram test server", "matches" if sent and sent.sha256 == sha else "MISMATCH"],
        ["media kind / file name", f"{sent.media_kind} / {sent.file_name}" if sent else "-"],
    ]
    print()
    print(table(["file relay Okdesk -> Telegram", "value"], rows))
    print(f"target: peak RSS < {TARGET_MB:g} MB (poll_interval {POLL_INTERVAL:g} s)")
    return rss_verdict(peak, TARGET_MB, errors, failures)


if __name__ == "__main__":
    sys.exit(main())
