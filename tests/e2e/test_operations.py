"""What a sysadmin meets: one daemon per state, clean stops, private files, no secret in any log line."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from tests.e2e.conftest import assert_clean, syncd_env
from tests.e2e.helpers import client_with_issue, link_client, wait_baseline, wait_text

pytestmark = pytest.mark.e2e


def test_a_second_daemon_on_the_same_state_refuses_to_start(make_daemon) -> None:
    """The predecessor ran two processes on one SQLite file ("readonly database")."""
    first = make_daemon().start()
    second = make_daemon()
    second.state_dir = first.state_dir
    second.start(wait_ready=False)
    assert second.proc.wait(timeout=30) == 3
    event = second.wait_event("cannot_start")
    assert "already running" in event["error"]
    assert first.proc.poll() is None


def test_sigterm_stops_cleanly_and_the_state_is_private(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Права")
    emu.add_comment(issue_id, "<p>до остановки</p>", author=("employee", employee))
    wait_text(tg, user, "до остановки")
    assert daemon.stop() == 0
    daemon.wait_event("stopped")
    assert daemon.errors() == []  # a stop in the middle of a poll is not an error
    assert stat.S_IMODE(daemon.state_dir.stat().st_mode) == 0o700
    for path in daemon.state_dir.iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_bad_config_lists_every_problem_and_exits_non_zero(tmp_path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[okdesk]\nurl = "ftp://x"\n[sync]\npoll_interval = "often"\n')
    proc = subprocess.run([sys.executable, "-m", "syncd", "run", "--config", str(cfg)], capture_output=True,
                          text=True, env=syncd_env(), timeout=60)
    assert proc.returncode == 2
    for needle in ("okdesk.url must start with https://", "okdesk.api_token is required",
                   "telegram.api_id is required", "sync.poll_interval: expected float"):
        assert needle in proc.stderr


def test_no_secret_or_phone_in_any_log_line_even_at_debug_with_connection_errors(make_daemon, emu, tg,
                                                                                 employee) -> None:
    daemon = make_daemon(log={"level": "DEBUG"}).start()
    user, contact_id = link_client(tg, emu, daemon, phone="79875554433", contact_phone="+7 (987) 555-44-33")
    issue_id = emu.add_issue("Секреты", contact_id=contact_id)
    wait_baseline(daemon, issue_id)
    port = emu.port
    emu.stop()  # refused connections: urllib3 and requests like to print the whole URL
    daemon.wait_event("poll_failed")
    emu.start(port=port)
    emu.add_comment(issue_id, "<p>после ошибок</p>", author=("employee", employee))
    wait_text(tg, user, "после ошибок")
    assert daemon.stop() == 0
    text = daemon.log_path.read_text(encoding="utf-8")
    assert "api_token=***" in text or "okdesk_request" in text  # the log did talk about requests
    # Every form of the number (79875554433, 9875554433, +7 (987) 555-44-33, ...), every secret.
    assert_clean(text, phones=["79875554433", "+7 (987) 555-44-33"], where="the log")
