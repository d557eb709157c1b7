"""End-to-end fixtures: the Okdesk emulator, the Telegram test server, and `syncd run` as a subprocess."""

from __future__ import annotations

import compileall
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.configfile import write_config
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer

REPO = Path(__file__).resolve().parents[2]
API_TOKEN = "e2e-okdesk-token-3f9c1a7b5d2e8f40"
BOT_TOKEN = "123456789:AAE2eBotTokenForTestsOnly_abcdefghijk"
API_HASH = "0123456789abcdef0123456789abcdef"
# Proxy credentials the proxy tests use (tests/e2e/test_proxies.py): checked like the secrets above.
PROXY_PASSWORD = "e2e-proxy-pass-5b7d1c"
MTPROXY_SECRET = "4f2a9c0e7b1d3a5f6e8c2b4d0a1f3e5c"
# Every secret the suite hands a daemon: none may ever be printed.
SECRETS = (API_TOKEN, BOT_TOKEN, API_HASH, PROXY_PASSWORD, MTPROXY_SECRET)

# Every window shortened so the suite stays fast; tests override what they exercise.
FAST_SETTINGS: dict[str, dict[str, Any]] = {
    "sync": {
        "poll_interval": 0.3,
        "poll_overlap": 120,
        "reconcile_min_period": 0.5,
        "retry_base": 0.2,
        "retry_cap": 1.0,
        "per_chat_interval": 0.02,
        "global_rate": 200,
        "sender_idle": 0.2,
        "shutdown_grace": 5,
        "album_settle": 0.3,
        "burst_window": 0.3,
    },
    "okdesk": {"max_requests_per_minute": 6000, "timeout": 3, "connect_timeout": 1},
    # A send answered RANDOM_ID_DUPLICATE is asked again for this long (tests of a call kept in flight
    # longer set their own).
    "telegram": {"in_flight_window": 2.0},
    "log": {"level": "DEBUG"},
}


# Set for a systemd service (the suite itself may run under one): no `syncd` the tests start inherits them.
SYSTEMD_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY")


def syncd_env(**extra: str) -> dict[str, str]:
    """The environment of a `syncd` subprocess: this one's without any SYNCD_* setting or systemd's
    variables, this checkout on PYTHONPATH, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_") and k not in SYSTEMD_ENV}
    env.update(PYTHONPATH=str(REPO), **extra)
    return env


def parse_event(line: str) -> dict[str, Any]:
    """One JSON log line as its event; a line that is none: ``{"event": "<non-json>", "line": line}``."""
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    return event if isinstance(event, dict) else {"event": "<non-json>", "line": line}


class Daemon:
    """`syncd run` in a subprocess, its JSON log lines collected as they come."""

    def __init__(self, workdir: Path, emu: OkdeskEmulator, tg: TelegramTestServer,
                 overrides: dict[str, dict[str, Any]] | None = None, template: Path | None = None) -> None:
        self.workdir, self.emu, self.tg = workdir, emu, tg
        # A copy of a database migrated once per test process, placed before the first start: the
        # migration child costs a second of CPU per start, and a 2-core suite starts hundreds. Tests
        # marked fresh_database (and every database elsewhere than the state directory) start on none.
        self.template = template
        self.state_dir = workdir / "state"
        self.config_path = workdir / "config.toml"
        self.log_path = workdir / "daemon.log"
        self.events: list[dict[str, Any]] = []
        self.raw_lines: list[str] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self._cond = threading.Condition()
        self.overrides = overrides or {}
        self.extra_env: dict[str, str] = {}  # e.g. NOTIFY_SOCKET, as systemd would set it
        self.runs = 0

    def config(self) -> dict[str, dict[str, Any]]:
        sections: dict[str, dict[str, Any]] = {
            "okdesk": {"url": self.emu.base_url, "api_token": API_TOKEN},
            "telegram": {"api_id": 12345, "api_hash": API_HASH, "bot_token": BOT_TOKEN},
            "state": {"dir": str(self.state_dir)},
        }
        for source in (FAST_SETTINGS, self.overrides):
            for section, values in source.items():
                sections.setdefault(section, {}).update(values)
        return sections

    def start(self, wait_ready: bool = True, timeout: float = 30) -> Daemon:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        session = self.state_dir / "telegram.session"
        if not session.exists():
            self.tg.write_session(session)
        database = self.state_dir / "syncd.sqlite3"
        own_database = not self.config().get("state", {}).get("database_url")
        if self.template is not None and own_database and self.runs == 0 and not database.exists():
            shutil.copyfile(self.template, database)
        write_config(self.config_path, self.config())
        env = syncd_env(PYTHONUNBUFFERED="1", SYNCD_LOG_FORMAT="json")
        env.update(self.extra_env)
        self.runs += 1
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syncd", "run", "--config", str(self.config_path)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
        )
        run = self.runs
        threading.Thread(target=self._read, args=(self.proc, run), daemon=True).start()
        if wait_ready:
            self.wait_event("ready", timeout=timeout, run=run)
        return self

    def _read(self, proc: subprocess.Popen[bytes], run: int) -> None:
        assert proc.stdout is not None
        with open(self.log_path, "ab") as sink:
            for raw in proc.stdout:
                sink.write(raw)
                line = raw.decode("utf-8", "replace").rstrip("\n")
                event = parse_event(line)
                event["_run"] = run
                with self._cond:
                    self.raw_lines.append(line)
                    self.events.append(event)
                    self._cond.notify_all()

    def find(self, name: str, run: int | None = None, **fields: Any) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("event") == name and (run is None or e["_run"] == run)
                    and all(e.get(k) == v for k, v in fields.items())]

    def wait_event(self, name: str, timeout: float = 15, run: int | None = None, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self.events if e.get("event") == name and (run is None or e["_run"] == run)
                         and all(e.get(k) == v for k, v in fields.items())]
                if found:
                    return found[-1]
                if self.proc is not None and self.proc.poll() is not None and name != "stopped":
                    tail = "\n".join(self.raw_lines[-30:])
                    raise AssertionError(f"daemon exited ({self.proc.returncode}) before {name!r}:\n{tail}")
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self.raw_lines[-40:])
                    raise AssertionError(f"no {name!r} {fields} within {timeout}s; log tail:\n{tail}")
                self._cond.wait(min(left, 0.2))

    def wait_cycles(self, cycles: int = 3, timeout: float = 15) -> None:
        """Let ``cycles`` more poll cycles finish (to show that nothing more happens)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            start = sum(1 for e in self.events if e.get("event") == "poll_done")
            while sum(1 for e in self.events if e.get("event") == "poll_done") < start + cycles:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"fewer than {cycles} poll cycles within {timeout}s")
                self._cond.wait(min(left, 0.2))

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush, no finally."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("daemon did not stop on SIGTERM") from None

    def errors(self) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("level") in ("error", "critical")]


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[OkdeskEmulator]:
    server = OkdeskEmulator(api_token=API_TOKEN, files_dir=tmp_path / "okdesk-files")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tg(tmp_path: Path) -> Iterator[TelegramTestServer]:
    server = TelegramTestServer(files_dir=tmp_path / "tg-files")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def compiled_syncd() -> None:
    """syncd's bytecode, written once: each `syncd run` a test starts reads it instead of compiling the
    package again (where PYTHONDONTWRITEBYTECODE is set, as on many CI machines, nothing else writes it)."""
    compileall.compile_dir(str(REPO / "syncd"), quiet=1)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database at the code's head, migrated once in this test process, to be copied."""
    from syncd.store import make_engine, migrate  # the test process's own import, not the daemon's

    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def make_daemon(request: pytest.FixtureRequest, tmp_path: Path, emu: OkdeskEmulator,
                tg: TelegramTestServer, compiled_syncd: None) -> Iterator[Callable[..., Daemon]]:
    made: list[Daemon] = []
    fresh = request.node.get_closest_marker("fresh_database") is not None
    template = None if fresh else request.getfixturevalue("migrated_sqlite")

    def factory(**overrides: dict[str, Any]) -> Daemon:
        daemon = Daemon(tmp_path / f"d{len(made)}", emu, tg, overrides, template)
        daemon.workdir.mkdir()
        made.append(daemon)
        return daemon

    yield factory
    for daemon in made:
        if daemon.proc is not None and daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()
    # Whatever a test did, no secret and no phone number ever reaches the daemon's output.
    phones = tg.phones | {p for c in emu.get_contacts() for p in (c.get("phone"), c.get("mobile_phone")) if p}
    for daemon in made:
        text = daemon.log_path.read_text(encoding="utf-8") if daemon.log_path.exists() else ""
        assert_clean(text, phones, where=str(daemon.log_path))


def assert_clean(text: str, phones: Iterable[str] = (), where: str = "the output") -> None:
    """No secret of SECRETS in ``text``, and none of ``phones``: neither as written nor in any form
    phone_pattern knows."""
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked into {where}"
    for phone in sorted(set(phones)):
        if not phone:
            continue
        assert phone not in text, f"the phone {phone!r} leaked into {where}"
        pattern = phone_pattern(phone)
        found = pattern.search(text) if pattern is not None else None
        assert found is None, f"the phone {phone!r} leaked into {where} as {found.group()!r}"


def phone_pattern(phone: str) -> re.Pattern[str] | None:
    """The number in any form it may be printed in: 79123456789, +7 (912) 345-67-89, 8 912 ..., 9123456789
    (its last ten digits, with or without the usual separators); None for a number too short to tell."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return None
    return re.compile(r"[\s()-]{0,2}".join(digits[-10:]))


@pytest.fixture
def employee(emu: OkdeskEmulator) -> int:
    return emu.add_employee("Сергей", "Иванов")


# Okdesk behaviours nobody could confirm (okdesk-api.md, open questions 3 and 13). The emulator's
# default is the least convenient; tests taking the `variant` fixture run under each.
VARIANTS: dict[str, dict[str, bool]] = {
    "least-convenient": {},
    "comments-bump-updated_at": {"comments_bump_updated_at": True},
    "list-has-comments": {"list_items_include_comments": True},
    "both": {"comments_bump_updated_at": True, "list_items_include_comments": True},
}


# What Telegram answers a send repeated with a used random_id: documented (the earlier messages) or
# RANDOM_ID_DUPLICATE for every repeat (an older belief, kept as a variant). See tests/tgserver/README.md.
RANDOM_ID_VARIANTS: dict[str, str] = {"documented": "replay", "duplicate-error": "duplicate_error"}


@pytest.fixture(params=list(RANDOM_ID_VARIANTS))
def random_id_variant(request: pytest.FixtureRequest, tg: TelegramTestServer) -> str:
    tg.options.random_id_repeat = RANDOM_ID_VARIANTS[request.param]
    return request.param


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest, emu: OkdeskEmulator) -> str:
    for key, value in VARIANTS[request.param].items():
        setattr(emu.options, key, value)
    return request.param
