"""A 200 MB video a client sends as a comment on their issue: the daemon's peak memory and the time it takes.

Run: ``python tests/bench/bench_inbound_relay.py [--mb 200]`` (about 15 s). Exits 1 when the
daemon's peak RSS (VmHWM) reaches 150 MB, or when the comment in Okdesk does not carry the file
the client sent (sha256), or it never arrives, or arrives more than once.

The file is generated on disk and handed to the Telegram test server by path (copied there in
chunks, never held in memory). The client opens the issue's card from "My issues" and replies
to it with the video: a reply to a card is a comment, with no confirmation step. The daemon
downloads the file from Telegram to its temporary directory and uploads it to Okdesk as a
streamed multipart body. Its RSS is sampled from /proc/<pid>/status while it relays, and VmHWM
read right after the comment exists.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from _common import Bench, rss_verdict, table
from bench_file_relay import RssSampler, epoch, mb, proc_status

from tests.e2e.helpers import random_file

TARGET_MB = 150.0
POLL_INTERVAL = 5.0  # the poll plays no part here: a reply to a card is handled as it arrives
FILE_NAME = "Запись с камеры 204.mp4"
CAPTION = "Видео с камеры: принтер зажёвывает бумагу"


def open_card(b: Bench, user: Any, issue_id: int) -> Any:
    """My issues -> the issue's card: a bot message about the issue, so a reply to it is a comment."""
    before = len(b.tg.sent_to(user))
    b.tg.send_text(user, "📋 Мои заявки")
    listing = b.tg.wait_for(lambda: next((m for m in b.tg.sent_to(user)[before:]
                                          if (m.text or "").startswith("Ваши заявки")), None), timeout=30)
    b.tg.press_button(user, listing.id, f"v:{issue_id}".encode())
    return b.tg.wait_for(lambda: next((m for m in b.tg.sent_to(user)[before:]
                                       if (m.text or "").startswith(f"Заявка #{issue_id} ")), None), timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="size of the video in MiB (default 200)")
    args = parser.parse_args()

    failures: list[str] = []
    with Bench("inboundrelay") as b:
        source = b.root / "video.mp4"
        started = time.monotonic()
        sha = random_file(source, args.mb)
        print(f"generated {args.mb} MiB in {time.monotonic() - started:.1f} s (sha256 {sha[:16]}...)", flush=True)

        user, contact_id, issue_id = b.client_with_issue("Принтер зажёвывает бумагу", POLL_INTERVAL)
        card = open_card(b, user, issue_id)
        proc = b.daemon.proc
        assert proc is not None
        idle = proc_status(proc.pid)

        sampler = RssSampler(proc.pid)
        sampler.start()
        handing = time.monotonic()
        b.tg.send_media(user, "video", path=source, file_name=FILE_NAME, mime_type="video/mp4", caption=CAPTION,
                        reply_to=card.id)
        sent = time.time()  # the message is in the bot's updates from here
        handed = time.monotonic() - handing

        def commented() -> list[dict[str, Any]]:
            return [c for c in b.emu.comments_by(issue_id, author=("contact", contact_id))
                    if any(a["attachment_file_name"] == FILE_NAME for a in c["attachments"])]

        found = b.wait("the comment with the video in Okdesk", commented, timeout=600, step=0.05)
        seen = time.time()
        after = proc_status(proc.pid)
        sampler.stop_event.set()
        sampler.join()
        confirmed = b.tg.wait_for(lambda: [m for m in b.tg.sent_to(user)
                                           if (m.text or "").startswith(f"✅ Комментарий добавлен в заявку #{issue_id}")],
                                  timeout=60)

        attachment = next(a for a in found[0]["attachments"] if a["attachment_file_name"] == FILE_NAME)
        if attachment["sha256"] != sha:
            failures.append(f"Okdesk stored sha256 {attachment['sha256']}, the client sent {sha}")
        if len(found) != 1 or len(found[0]["attachments"]) != 1:
            failures.append(f"{len(found)} comments with the video, {len(found[0]['attachments'])} attachments")
        if CAPTION not in found[0]["content"]:
            failures.append("the caption is not in the comment")
        if not confirmed:
            failures.append("the client was not told the comment was added")

        # Where the time went: the message taken in, the download from Telegram, the upload to Okdesk.
        queued = b.daemon.find("inbound_comment_queued", issue_id=issue_id)
        queued_at = epoch(queued[-1]) if queued else None
        posts = [r for r in b.emu.requests if r.method == "POST" and r.path.endswith(f"/issues/{issue_id}/comments")]
        post = posts[-1] if posts else None
        if len(posts) != 1:
            failures.append(f"{len(posts)} comment POSTs (one expected)")
        peak = mb(after["VmHWM"])
        sampled = mb(max((kb for _, kb in sampler.samples), default=0))
        errors = b.daemon.errors()

    def span(a: float | None, z: float | None) -> str:
        return f"{z - a:.1f} s" if a is not None and z is not None else "-"

    rows = [
        ["video", f"{args.mb} MiB"],
        ["relay time (message sent -> the comment with the file in Okdesk)", f"{seen - sent:.1f} s"],
        ["  of which: until the job was queued", span(sent, queued_at)],
        ["  of which: download from Telegram (until the POST began)",
         span(queued_at, post.started if post else None)
         + (f" ({args.mb / (post.started - queued_at):.0f} MiB/s)" if post and queued_at else "")],
        ["  of which: streamed upload to Okdesk (the POST)",
         span(post.started if post else None, post.finished if post else None)
         + (f" ({args.mb / (post.finished - post.started):.0f} MiB/s)" if post else "")],
        ["daemon RSS before the relay (VmRSS)", f"{mb(idle['VmRSS']):.1f} MB"],
        ["daemon RSS, highest sample while relaying (every 50 ms)", f"{sampled:.1f} MB"],
        ["daemon peak RSS since start (VmHWM, right after the comment)", f"{peak:.1f} MB"],
        ["sha256 of the attachment in Okdesk", "matches" if attachment["sha256"] == sha else "MISMATCH"],
        ["comment POSTs / comments with the video", f"{len(posts)} / {len(found)}"],
    ]
    print()
    print(table(["inbound relay Telegram -> Okdesk", "value"], rows))
    print(f"target: peak RSS < {TARGET_MB:g} MB (poll_interval {POLL_INTERVAL:g} s; handing the file to the "
          f"test server took {handed:.1f} s, not counted)")
    return rss_verdict(peak, TARGET_MB, errors, failures)


if __name__ == "__main__":
    sys.exit(main())
