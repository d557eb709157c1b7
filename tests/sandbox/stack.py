"""The sandbox's moving parts: a temporary directory, the two stand-ins, and `syncd run` against them.

Everything is made under one temporary directory and torn down in reverse order by `close()`, which
is safe to call at any point of `start()` (a Ctrl-C may come while the daemon is still starting).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from tests.configfile import write_config
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.tgserver.state import TgUser

REPO = Path(__file__).resolve().parents[2]
API_TOKEN = "sandbox-okdesk-token-not-a-secret"
API_HASH = "0123456789abcdef0123456789abcdef"
# Set for a systemd service: the daemon here must not talk to the caller's systemd.
SYSTEMD_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY")

# Short windows, so that what one types shows on the other side within a second or two; the poll
# interval stays inside what the request budget leaves the sweep (a config rule of the daemon).
SETTINGS: dict[str, dict[str, Any]] = {
    "okdesk": {"max_requests_per_minute": 1200, "timeout": 5, "connect_timeout": 2},
    "sync": {"poll_interval": 0.5, "reconcile_min_period": 1.0, "retry_base": 0.5, "retry_cap": 5.0,
             "per_chat_interval": 0.1, "sender_idle": 0.2, "shutdown_grace": 3, "album_settle": 1.0, "burst_window": 3.0},
    "log": {"level": "INFO", "format": "json"},
}


def _die_with_parent() -> Any:
    """A preexec_fn asking Linux to SIGTERM the daemon when the sandbox dies (even by SIGKILL), so
    that no daemon outlives it; None elsewhere. The libc function is looked up here, in the parent:
    after fork only the call itself runs."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


class Stack:
    """The stand-ins, one Telegram client and its Okdesk contact, and the daemon."""

    def __init__(self, *, first: str, last: str, phone: str, lang: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="syncd-sandbox-"))
        self.state_dir = self.tmp / "state"
        self.config_path = self.tmp / "config.toml"
        self.log_path = self.tmp / "daemon.log"
        self.first, self.last, self.phone, self.lang = first, last, phone, lang
        self.emu: OkdeskEmulator | None = None
        self.tg: TelegramTestServer | None = None
        self.user: TgUser | None = None
        self.contact_id = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start_servers(self) -> None:
        emu = self.emu = OkdeskEmulator(api_token=API_TOKEN, files_dir=self.tmp / "okdesk-files")
        # A well-behaved account (the suite's defaults are the least convenient one): comments bump
        # the updated_at and the filter is honoured, so staff replies arrive in a second; an
        # administrator's key lets the client be their issues' author.
        emu.options.comments_bump_updated_at = True
        emu.options.updated_since_filter = "honoured"
        emu.options.api_key_role = "administrator"
        emu.start()
        tg = self.tg = TelegramTestServer(files_dir=self.tmp / "tg-files")
        tg.start()
        # As the e2e linking tests do: Okdesk knows a contact with the client's number, so sharing
        # the phone links them at once.
        self.contact_id = emu.add_contact(self.first, self.last, phone="+" + self.phone)
        self.user = tg.add_user(first_name=self.first, last_name=self.last, phone=self.phone,
                                lang_code=self.lang)

    def start_daemon(self) -> None:
        assert self.emu is not None and self.tg is not None
        self.state_dir.mkdir(mode=0o700)
        self.tg.write_session(self.state_dir / "telegram.session")
        sections: dict[str, dict[str, Any]] = {
            "okdesk": {"url": self.emu.base_url, "api_token": API_TOKEN},
            "telegram": {"api_id": 12345, "api_hash": API_HASH, "bot_token": self.tg.bot_token},
            "state": {"dir": str(self.state_dir)},
        }
        for section, values in SETTINGS.items():
            sections.setdefault(section, {}).update(values)
        write_config(self.config_path, sections)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_") and k not in SYSTEMD_ENV}
        env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "syncd", "run", "--config", str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.tmp,
                # Its own session: the terminal's Ctrl-C reaches the sandbox only, which stops the
                # daemon first (SIGTERM, then SIGKILL) and the servers after it.
                start_new_session=True, preexec_fn=_die_with_parent(),
            )

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the daemon logs "ready"; raises with the log's tail if it exits or takes too long."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(event.get("event") == "ready" for event in self.events()):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"the daemon exited ({self.proc.returncode}):\n" + "\n".join(self.tail(20)))
            time.sleep(0.1)
        raise RuntimeError(f"the daemon was not ready within {timeout:g} s:\n" + "\n".join(self.tail(20)))

    def events(self) -> list[dict[str, Any]]:
        found = []
        with contextlib.suppress(OSError), open(self.log_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                with contextlib.suppress(ValueError):
                    event = json.loads(line)
                    if isinstance(event, dict):
                        found.append(event)
        return found

    def tail(self, count: int) -> list[str]:
        """The daemon's last log lines, one short line each (time, level, event, fields)."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                lines = deque(fh, maxlen=count)
        except OSError:
            return []
        return [_short(line.rstrip("\n")) for line in lines]

    def close(self, grace: float = 10) -> None:
        """Daemon (SIGTERM, SIGKILL after ``grace``), then the servers, then the directory."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for server in (self.tg, self.emu):
            if server is not None:
                with contextlib.suppress(Exception):  # a half-started server: stop what there is
                    server.stop()
        self.tg = self.emu = None
        shutil.rmtree(self.tmp, ignore_errors=True)


def _short(line: str) -> str:
    try:
        event = json.loads(line)
    except ValueError:
        return line
    if not isinstance(event, dict):
        return line
    stamp = str(event.pop("timestamp", ""))[11:19]
    level = str(event.pop("level", ""))
    name = str(event.pop("event", ""))
    fields = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("logger",))
    return f"{stamp} {level:<7} {name} {fields}".rstrip()
