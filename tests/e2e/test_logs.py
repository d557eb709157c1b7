"""Logs as a sysadmin reads them: colours on a terminal, JSON lines for journald, a level that works,
the client or issue named on every line about one, and no secret or phone number anywhere.

The short runs start `syncd run` on a state directory whose lock this test holds: the daemon logs
its start, refuses to run (exit 3) and needs neither Okdesk nor Telegram for that.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import API_HASH, API_TOKEN, BOT_TOKEN, assert_clean, syncd_env, write_config
from tests.e2e.helpers import client_with_issue, wait_text
from tests.e2e.inbound_steps import ADDED, CREATED, comment_mode, new_issue_mode
from tests.okdesk_emulator import Fault, Upload
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _config(tmp_path: Path, log: dict[str, str] | None = None, secrets: bool = True, mode: int = 0o600) -> Path:
    sections: dict[str, dict[str, Any]] = {
        "okdesk": {"url": "http://127.0.0.1:9", "api_token": API_TOKEN if secrets else None},
        "telegram": {"api_id": 1, "api_hash": API_HASH if secrets else None, "bot_token": BOT_TOKEN if secrets else None},
        "state": {"dir": str(tmp_path / "state")},
        "log": log or {},
    }
    path = tmp_path / "config.toml"
    write_config(path, sections)
    os.chmod(path, mode)
    return path


def _env(**extra: str) -> dict[str, str]:
    env = syncd_env(PYTHONUNBUFFERED="1", **extra)
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return env


def _locked_run(tmp_path: Path, config: Path, tty: bool = False, **env: str) -> tuple[int, str]:
    """`syncd run` against a state directory another process holds: (exit code, all it printed)."""
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    with open(state / "syncd.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        argv = [sys.executable, "-m", "syncd", "run", "--config", str(config)]
        if not tty:
            proc = subprocess.run(argv, capture_output=True, text=True, env=_env(**env), timeout=60)
            return proc.returncode, proc.stdout + proc.stderr
        return _run_on_terminal(argv, _env(TERM="xterm-256color", **env))


def _run_on_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed, the daemon has exited
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    return proc.wait(timeout=30), out.decode("utf-8", "replace")


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed; a line that is not a JSON object fails the test."""
    events = []
    for line in text.splitlines():
        if line.strip():
            event = json.loads(line)
            assert isinstance(event, dict), line
            events.append(event)
    return events


# ---------------------------------------------------------------- format and level


def test_a_terminal_gets_readable_colours_and_a_pipe_json_lines(tmp_path) -> None:
    config = _config(tmp_path)  # log.format left at auto
    code, shown = _locked_run(tmp_path, config, tty=True)
    assert code == 3
    assert ANSI.search(shown), "no colours on a terminal"
    plain = ANSI.sub("", shown)
    lines = [line for line in plain.splitlines() if line.strip()]
    assert any("starting" in line for line in lines) and any("cannot_start" in line for line in lines)
    for line in lines:
        assert not line.lstrip().startswith("{"), f"JSON on a terminal: {line}"
    assert "error=" in plain and "another syncd is already running" in plain
    assert_clean(shown)

    code, piped = _locked_run(tmp_path, config)
    assert code == 3
    assert not ANSI.search(piped)
    events = _json_lines(piped)
    assert [e["event"] for e in events if e["event"] in ("starting", "cannot_start")] == ["starting", "cannot_start"]
    assert {e["level"] for e in events if e["event"] == "cannot_start"} == {"error"}
    assert all(e.get("timestamp") for e in events)
    assert_clean(piped)


def test_json_and_console_can_be_asked_for_whatever_the_output_is(tmp_path) -> None:
    code, shown = _locked_run(tmp_path, _config(tmp_path, log={"format": "json"}), tty=True)
    assert code == 3 and not ANSI.search(shown)
    assert "cannot_start" in {e["event"] for e in _json_lines(shown)}
    code, piped = _locked_run(tmp_path, _config(tmp_path, log={"format": "console"}))
    assert code == 3 and "cannot_start" in piped and not piped.lstrip().startswith("{")


@pytest.mark.parametrize(("level", "shown", "hidden"), [
    ("WARNING", {"cannot_start"}, {"starting"}),
    ("info", {"starting", "cannot_start"}, set()),
])
def test_the_level_setting_hides_what_is_below_it(tmp_path, level, shown, hidden) -> None:
    """DEBUG showing debug lines is checked by the scenario below (okdesk_request, poll_done)."""
    code, out = _locked_run(tmp_path, _config(tmp_path), SYNCD_LOG_LEVEL=level)
    assert code == 3
    events = {e["event"] for e in _json_lines(out)}
    assert shown <= events and not hidden & events
    assert all(e["level"] != "debug" for e in _json_lines(out))


# ---------------------------------------------------------------- the config file's secrets


def test_a_config_file_with_secrets_that_others_may_read_is_warned_about(tmp_path) -> None:
    config = _config(tmp_path, mode=0o644)
    code, out = _locked_run(tmp_path, config)
    assert code == 3
    (warning,) = [e for e in _json_lines(out) if e["event"] == "config_file_readable_by_others"]
    assert warning["level"] == "warning" and warning["path"] == str(config)
    assert "okdesk.api_token, telegram.api_hash, telegram.bot_token" in warning["problem"]
    assert "mode 0644" in warning["problem"]
    assert_clean(out)


def test_no_warning_for_a_private_config_file_or_one_without_secrets(tmp_path) -> None:
    _code, out = _locked_run(tmp_path, _config(tmp_path, mode=0o600))
    assert "config_file_readable_by_others" not in out and "starting" in out
    # Secrets from the environment: the readable file holds none.
    _code, out = _locked_run(tmp_path, _config(tmp_path, secrets=False, mode=0o644),
                             SYNCD_OKDESK_API_TOKEN=API_TOKEN, SYNCD_TELEGRAM_API_HASH=API_HASH,
                             SYNCD_TELEGRAM_BOT_TOKEN=BOT_TOKEN)
    assert "config_file_readable_by_others" not in out and "starting" in out


# ---------------------------------------------------------------- tracebacks

# A job meets a connection error whose text holds the whole URL, token and phone included; the
# exception is logged by us, by a library's logger, and left uncaught in a thread and in the main
# thread (Python would print those raw).
_CRASH = """
import logging, socket, sys, threading
import requests
from syncd.logs import get_logger, register_phone, setup_logging

setup_logging("DEBUG", sys.argv[1], secrets=[sys.argv[2], sys.argv[3], sys.argv[4]])
register_phone("+7 912 345-67-89")
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
url = f"http://127.0.0.1:{port}/api/v1/contacts/?phone=%2B79123456789&api_token={sys.argv[2]}"

def job():
    try:
        requests.get(url, timeout=2)
    except requests.RequestException as exc:
        raise RuntimeError(f"lookup of 89123456789 failed: {exc}") from exc

try:
    job()
except RuntimeError:
    get_logger("syncd.job").exception("job_failed", url=url)
    logging.getLogger("apscheduler.executors.default").exception("Job raised an exception")
thread = threading.Thread(target=job, name="poller")
thread.start(); thread.join()
job()
"""


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_tracebacks_never_show_the_token_or_a_phone(tmp_path, fmt) -> None:
    proc = subprocess.run([sys.executable, "-c", _CRASH, fmt, API_TOKEN, BOT_TOKEN, API_HASH], capture_output=True,
                          text=True, env=_env(), timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1
    # The tracebacks are there, with what makes them useful...
    assert out.count("Traceback (most recent call last)") >= 4, out
    assert "ConnectionError" in out and "job_failed" in out and "uncaught_exception" in out
    assert "/api/v1/contacts/" in out and "api_token=***" in out
    # ...and nothing that must not be.
    assert_clean(out, phones=["79123456789"])  # the number in any whole form, every secret
    for form in ("9123456789", "912) 345", "912 345-67-89", "%2B7912"):  # and these pieces of it
        assert form not in out, f"{form!r} in {out}"
    if fmt == "json":
        events = _json_lines(out)  # the uncaught ones too: no raw Python output
        assert [e["thread"] for e in events if e["event"] == "uncaught_exception"] == ["poller", None]


# ---------------------------------------------------------------- whose line is it

# What a line of ours is about, read from its keys and its name. A library's line is about a
# connection or a request; our okdesk_request line is the record of each request.
ISSUE_KEYS = {"outbox_id", "comment_id"}  # an outbox item and a comment belong to one issue
CLIENT_KEYS = {"tg_chat_id", "tg_message_id", "job_id", "contact_id"}
ISSUE_EVENT = re.compile(r"^(issue_(followed|unfollowed|sync\w*)|baseline_\w+|deliver\w*|staff_notice_\w+|"
                         r"reconcile_failed|card_\w+|inbound_(posted|comment_\w+))$")
CLIENT_EVENT = re.compile(r"(^|_)(client|contact|inbound|delivery|delivered|callback|message|card|link|album|menu)"
                          r"(_|$)")
ISSUE_PATH = re.compile(r"^/issues/(\d+)(/|$)")


def about_issue(event: dict[str, Any]) -> bool:
    if event["event"] in ("okdesk_request", "okdesk_retry"):
        return bool(ISSUE_PATH.match(event.get("path") or ""))
    return bool(ISSUE_KEYS & event.keys()) or bool(ISSUE_EVENT.match(event["event"]))


def about_client(event: dict[str, Any]) -> bool:
    if event["event"] in ("okdesk_request", "okdesk_retry"):
        # Looking a client up, or creating their issue.
        path = event.get("path") or ""
        return path.startswith("/contacts") or (event.get("method") == "POST" and path.rstrip("/") == "/issues")
    return bool(CLIENT_KEYS & event.keys()) or bool(CLIENT_EVENT.search(event["event"]))


def test_every_line_about_an_issue_or_a_client_names_it(make_daemon, emu, tg, employee) -> None:
    """Linking, a staff comment with a file, a client's comment with a photo, a new issue from Telegram,
    and failures on the way: a Telegram error, an Okdesk 503, Okdesk down. At DEBUG, so the requests
    are logged too."""
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Журнал", okdesk={"employee_id": employee})
    tg.fail_next("SendMessage", "INTERNAL_SERVER_ERROR", code=500, times=1, user=user)
    emu.add_comment(issue_id, "<p>ответ с файлом</p>", author=("employee", employee),
                    attachments=[Upload("отчёт.txt", data=b"report " * 100)])
    tg.wait_for(lambda: any(m.file_name == "отчёт.txt" for m in tg.sent_to(user)))
    emu.add_fault(Fault(kind="status", status=503, path=r"/comments", method="POST", times=1))
    comment_mode(tg, user, issue_id)
    tg.send_media(user, "photo", data=make_png(64, 48), caption="фото клиента")
    wait_text(tg, user, ADDED, timeout=20)
    new_issue_mode(tg, user)
    tg.send_text(user, "Не работает сканер")
    wait_text(tg, user, CREATED)
    (new_issue,) = [i["id"] for i in emu.issues_of_contact(contact_id) if i["id"] != issue_id]
    port = emu.port
    emu.stop()  # refused connections
    daemon.wait_event("poll_failed")
    emu.start(port=port)
    daemon.wait_cycles(2)
    assert daemon.stop() == 0

    ours = [e for e in daemon.events if str(e.get("logger", "")).startswith("syncd")]
    for name in ("client_linked", "delivery_failed", "delivered", "inbound_retry", "inbound_posted", "poll_failed",
                 "inbound_issue_queued"):
        assert any(e["event"] == name for e in ours), f"the scenario never logged {name}"
    assert any(e["level"] == "debug" for e in ours), "DEBUG shows debug lines"
    issue_lines = [e for e in ours if about_issue(e)]
    client_lines = [e for e in ours if about_client(e)]
    assert len(issue_lines) >= 10 and len(client_lines) >= 10
    assert {e["event"] for e in issue_lines} >= {"baseline_seen", "delivered", "okdesk_request", "inbound_posted"}
    missing = [e for e in issue_lines if not isinstance(e.get("issue_id"), int)]
    missing += [e for e in client_lines if not isinstance(e.get("tg_user_id"), int)]
    assert missing == [], "lines without the issue or the client:\n" + "\n".join(map(str, missing))
    assert any(e["event"] == "okdesk_request" and e["method"] == "POST" and e["path"].rstrip("/") == "/issues"
               for e in client_lines)
    # Right ones, too: there is one client here, and their two issues.
    assert {e["issue_id"] for e in issue_lines} == {issue_id, new_issue}
    assert {e["tg_user_id"] for e in client_lines} == {user.id}
