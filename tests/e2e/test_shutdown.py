"""SIGTERM: sends in flight get sync.shutdown_grace seconds, then the daemon exits 0, and a
restart neither loses nor repeats anything (a send cut off goes again under its random_id)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Daemon
from tests.e2e.helpers import outbox, random_file, start_with_issue, texts_to, wait_text
from tests.okdesk_emulator import Fault, Upload

pytestmark = pytest.mark.e2e

def items(daemon: Daemon) -> list[dict[str, Any]]:
    return [r for r in outbox(daemon) if r["kind"] == "telegram"]


def calls_since(tg: Any, start: int, method: str) -> list[str | None]:
    return [r.error for r in tg.rpc_log[start:] if r.method == method]


def count(tg: Any, user: Any, needle: str) -> int:
    return sum(needle in t for t in texts_to(tg, user))


def sigterm(daemon: Daemon) -> float:
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGTERM)
    return time.monotonic()


def exit_code(daemon: Daemon, timeout: float) -> int:
    assert daemon.proc is not None
    return daemon.proc.wait(timeout=timeout)


def test_a_send_in_flight_finishes_within_the_grace_and_is_not_sent_again(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Остановка", sync={"shutdown_grace": 10})
    hold = tg.hold("SendMessage")
    emu.add_comment(issue_id, "<p>успеть до остановки</p>", author=("employee", employee))
    assert hold.reached.wait(15)
    began = sigterm(daemon)
    assert daemon.wait_event("stopping", run=1)["in_flight"] == 1
    time.sleep(1.0)
    assert daemon.proc.poll() is None  # still waiting for the send: not cut off at once
    hold.release()
    assert exit_code(daemon, timeout=10) == 0
    assert time.monotonic() - began < 10
    assert hold.delivered.is_set()
    daemon.wait_event("stopped", run=1, exit_code=0)
    (row,) = items(daemon)
    assert row["state"] == "done"  # recorded before the exit

    begin = len(tg.rpc_log)
    daemon.start()
    daemon.wait_cycles(3)
    assert calls_since(tg, begin, "SendMessage") == []  # nothing to resend
    assert count(tg, user, "успеть до остановки") == 1


def test_a_send_cut_off_by_the_grace_is_sent_once_after_the_restart(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Остановка", sync={"shutdown_grace": 1})
    hold = tg.hold("SendMessage")  # never released: Telegram stores the message, its answer never comes
    emu.add_comment(issue_id, "<p>оборвано остановкой</p>", author=("employee", employee))
    assert hold.reached.wait(15)
    began = sigterm(daemon)
    assert exit_code(daemon, timeout=10) == 0
    assert 1.0 <= time.monotonic() - began < 4.0  # the grace, then no longer
    assert not hold.delivered.is_set()
    (row,) = items(daemon)
    assert (row["state"], row["progress"]) == ("pending", 0)  # cut off before it was recorded
    (msg,) = wait_text(tg, user, "оборвано остановкой")
    assert msg.random_id == row["random_ids"][0]

    begin = len(tg.rpc_log)
    daemon.start()
    daemon.wait_event("delivered", outbox_id=row["id"], run=2, timeout=20)
    # The resend carried the same random_id: Telegram answered with the message it had, sent nothing new.
    assert calls_since(tg, begin, "SendMessage") == [None] and [r.message_ids for r in tg.replays] == [[msg.id]]
    daemon.wait_cycles(3)
    assert count(tg, user, "оборвано остановкой") == 1


def test_an_upload_in_flight_completes_within_the_grace(make_daemon, emu, tg, employee, tmp_path: Path) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Остановка", sync={"shutdown_grace": 20})
    big = tmp_path / "dump.bin"
    sha = random_file(big, 12)
    parts_before = len(tg.rpc_calls("SaveBigFilePart"))
    emu.add_comment(issue_id, "<p>дамп</p>", author=("employee", employee),
                    attachments=[Upload("dump.bin", path=big)])
    tg.wait_for(lambda: len(tg.rpc_calls("SaveBigFilePart")) >= parts_before + 5, timeout=30)
    sigterm(daemon)
    parts = len(tg.rpc_calls("SaveBigFilePart")) - parts_before
    assert parts < 96 and not tg.rpc_calls("SendMedia")  # 12 MB is 96 parts: mid-upload
    assert exit_code(daemon, timeout=25) == 0
    (doc,) = [s for s in tg.sent_to(user) if s.media_kind]
    assert (doc.file_name, doc.size, doc.sha256) == ("dump.bin", 12 * 1024 * 1024, sha)
    assert [r["state"] for r in items(daemon)] == ["done"]

    begin = len(tg.rpc_log)
    daemon.start()
    daemon.wait_cycles(3)
    assert calls_since(tg, begin, "SendMedia") == [] and calls_since(tg, begin, "SaveBigFilePart") == []
    assert len([s for s in tg.sent_to(user) if s.media_kind]) == 1


def test_a_poll_stuck_on_okdesk_does_not_stretch_the_stop_past_the_grace(make_daemon, emu, tg, employee) -> None:
    """The grace is one for everything: a poll waiting on a slow Okdesk and a send in flight share
    it, and the exit does not wait for Okdesk's answer."""
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Остановка",
                                              sync={"shutdown_grace": 2.5}, okdesk={"timeout": 30})
    hold = tg.hold("SendMessage")
    emu.add_comment(issue_id, "<p>между опросами</p>", author=("employee", employee))
    assert hold.reached.wait(15)
    emu.add_fault(Fault(kind="slow", delay=10.0, path=r"/issues/list", times=None))
    time.sleep(1.0)  # the next poll (every 0.3 s) is now waiting for the slow answer
    began = sigterm(daemon)
    assert exit_code(daemon, timeout=15) == 0
    took = time.monotonic() - began
    assert 2.5 <= took < 2.5 + 1.5, f"stopped in {took:.1f}s"  # one grace, not one after another
    # The window: the poll was still waiting for Okdesk when the grace ran out.
    daemon.wait_event("stopped", run=1, exit_code=0)  # (every line of the run read)
    assert daemon.find("job_still_running_at_stop", run=1, job="Poller")
    (row,) = items(daemon)
    assert row["state"] == "pending"
    emu.clear_faults()
    begin = len(tg.rpc_log)
    daemon.start()
    daemon.wait_event("delivered", outbox_id=row["id"], run=2, timeout=20)
    assert calls_since(tg, begin, "SendMessage") == [None] and len(tg.replays) == 1
    assert count(tg, user, "между опросами") == 1
