"""`syncd check` through the real command line, against the Okdesk emulator and the Telegram test server.

Each check passes when all is in place and fails, in plain words, for its own reason: a refused
token, a missing right, Okdesk down, a session Telegram no longer knows, a bot token Telegram
refuses, no database. The check never writes: every create it sends to Okdesk is refused (no
2xx answer to a POST), the Telegram session file is byte for byte the same afterwards, and no
database is created. While the daemon runs, Telegram is judged from the daemon's own record.
"""

from __future__ import annotations

import fcntl
import getpass
import socket
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from syncd.store.db import _alembic_config, head_revision, make_engine, migrate
from tests.e2e.conftest import (
    API_HASH,
    API_TOKEN,
    BOT_TOKEN,
    FAST_SETTINGS,
    syncd_env,
    write_config,
)
from tests.okdesk_emulator import Fault, OkdeskEmulator
from tests.tgserver import TelegramTestServer

pytestmark = pytest.mark.e2e


class Setup:
    """A config, a state directory with the bot's session, and what the check printed."""

    def __init__(self, tmp_path: Path, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
        self.emu, self.tg = emu, tg
        self.state_dir = tmp_path / "state"
        self.state_dir.mkdir(mode=0o700)
        self.session = tg.write_session(self.state_dir / "telegram.session")
        self.db = self.state_dir / "syncd.sqlite3"
        self.config_path = tmp_path / "config.toml"
        self.sections: dict[str, dict[str, Any]] = {
            "okdesk": {"url": emu.base_url, "api_token": API_TOKEN, **FAST_SETTINGS["okdesk"]},
            # The server's own token: the session and the token are the same bot, as in production.
            "telegram": {"api_id": 12345, "api_hash": API_HASH, "bot_token": tg.bot_token},
            "state": {"dir": str(self.state_dir)},
            "log": {"level": "DEBUG"},  # urllib3's lines carry the token in URLs: they must be redacted
        }

    def make_database(self, revision: str = "head") -> None:
        """The database a daemon leaves after its first start (or an older release's)."""
        engine = make_engine(f"sqlite:///{self.db}")
        if revision == "head":
            migrate(engine)
        else:
            with engine.begin() as conn:
                command.upgrade(_alembic_config(conn), revision)
        engine.dispose()

    def check(self, config: Path | None = None, **overrides: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        if config is None:
            config = self.config_path
            sections = {name: dict(values) for name, values in self.sections.items()}
            for name, values in overrides.items():
                sections.setdefault(name, {}).update(values)
            write_config(config, sections)
        done = subprocess.run([sys.executable, "-m", "syncd", "check", "--config", str(config)],
                              capture_output=True, text=True, env=syncd_env(), timeout=60, cwd=config.parent)
        for secret in (API_TOKEN, BOT_TOKEN, API_HASH, self.tg.bot_token):
            assert secret not in done.stdout + done.stderr, "a secret in the output of syncd check"
        return done


def lines(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """{"Okdesk create issues": "ok    Okdesk create issues: ...", ...}: each check's line by its name."""
    found = {}
    for line in done.stdout.splitlines():
        status, _, rest = line.partition("  ")
        name, sep, _ = rest.strip().partition(": ")
        if sep and status.strip() in ("ok", "warn", "FAIL", "skip"):
            found[name] = line
    return found


def assert_nothing_written(emu: OkdeskEmulator, issues: int = 1, contacts: int = 0) -> None:
    posts = [r for r in emu.requests if r.method != "GET"]
    assert all(r.status is not None and r.status >= 400 for r in posts), [(r.path, r.status) for r in posts]
    assert len(emu.issue_ids()) == issues and len(emu.get_contacts()) == contacts
    assert all(emu.get_comments(i) == [] for i in emu.issue_ids())


@pytest.fixture
def setup(tmp_path: Path, emu: OkdeskEmulator, tg: TelegramTestServer) -> Setup:
    emu.add_issue("Проверка прав")  # the comment probes need an issue to aim at
    return Setup(tmp_path, emu, tg)


def test_everything_in_place_passes_and_nothing_is_written(setup: Setup, emu: OkdeskEmulator,
                                                          tg: TelegramTestServer) -> None:
    setup.make_database()
    employee = emu.add_employee("Сергей", "Иванов")
    session_before = setup.session.read_bytes()
    state_before = sorted(p.name for p in setup.state_dir.iterdir())

    done = setup.check(okdesk={"employee_id": employee})

    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done)
    assert set(found) == {
        "config", "Okdesk", "Okdesk read statuses", "Okdesk read issues", "Okdesk read comments",
        "Okdesk read contacts", "Okdesk read employees", "Okdesk create issues", "Okdesk create comments",
        "Okdesk create contacts", "Telegram", "database", "Okdesk statuses", "Okdesk change statuses",
        "Okdesk read companies", "Okdesk read service objects", "Okdesk issue author",
        "Okdesk account updated_since", "Okdesk account comments bump updated_at", "support contact", "metrics",
    }
    # No client created an issue yet: whether Okdesk takes the client as author is not known (not a failure).
    assert found.pop("Okdesk issue author").startswith("skip  Okdesk issue author: not known yet")
    # Nor has the daemon looked at the account yet (tests/e2e/test_okdesk_learning.py: once it has).
    assert found.pop("Okdesk account updated_since") == (
        "skip  Okdesk account updated_since: not known yet: the running daemon learns it from the account's own data")
    assert found.pop("Okdesk account comments bump updated_at") == (
        "skip  Okdesk account comments bump updated_at: not known yet: the running daemon learns it from the "
        "account's own data")
    assert found.pop("metrics") == "skip  metrics: metrics.textfile is not set: no metrics file is written"
    # No telegram.support_contact in this config: a warning naming where clients are sent to support.
    assert found.pop("support contact").startswith(
        "warn  support contact: telegram.support_contact is empty: clients sent to support are not told how to reach "
        "it: a phone several Okdesk contacts share;")
    assert all(line.startswith("ok ") for line in found.values()), done.stdout
    assert found["Okdesk statuses"] == ("ok    Okdesk statuses: open opened, in_progress, delayed; completed completed; "
                                        "closed closed: all known to the account")
    assert "refused (422) and nothing was created" in found["Okdesk change statuses"]
    assert "by the custom parameter 'inn'" in found["Okdesk read companies"]
    assert f"127.0.0.1:{emu.port} answered; the API token was accepted" in found["Okdesk"]
    assert "refused (422) and nothing was created" in found["Okdesk create comments"]
    assert f"logged in as @{tg.bot.username}" in found["Telegram"]
    assert f"schema {head_revision()} is current" in found["database"]
    assert done.stdout.rstrip().endswith("all 21 checks passed")
    # Every right was proved by a real call, and no create went through.
    assert emu.count_requests(r"/issues/\d+/comments$", "POST") == 1
    assert emu.count_requests(r"/contacts/?$", "POST") == 1
    assert emu.count_requests(r"/issues/?$", "POST") == 1
    assert emu.count_requests(r"/issues/\d+/statuses$", "POST") == 1
    assert emu.get_issue(emu.issue_ids()[0])["status"]["code"] == "opened"
    assert_nothing_written(emu)
    # The daemon's session (its update state included) and its state directory are untouched.
    assert setup.session.read_bytes() == session_before
    assert sorted(p.name for p in setup.state_dir.iterdir()) == state_before


def test_a_refused_token_fails_in_plain_words(setup: Setup, emu: OkdeskEmulator) -> None:
    setup.make_database()
    done = setup.check(okdesk={"api_token": "not-the-token-at-all"})
    assert done.returncode == 1
    found = lines(done)
    assert found["Okdesk"] == "FAIL  Okdesk: 401, the API token was refused (Okdesk: \"Неверный api_token\")"
    assert found["Okdesk rights"] == "skip  Okdesk rights: not checked, see the line above"
    assert found["Telegram"].startswith("ok ") and found["database"].startswith("ok ")
    assert done.stdout.rstrip().endswith("1 of 9 checks failed")
    assert emu.count_requests() == 1  # nothing more is tried with a refused token
    assert "not-the-token-at-all" not in done.stdout + done.stderr


MISSING_RIGHTS = {
    "issues.create": ("Okdesk create issues", "may not create issues (clients create issues from Telegram)"),
    "comments.create": ("Okdesk create comments", "may not create comments (clients' messages become comments)"),
    "contacts.create": ("Okdesk create contacts", "may not create contacts (okdesk.create_contacts is on)"),
    "contacts.read": ("Okdesk read contacts", "may not search contacts by phone (clients are linked by phone)"),
}


def test_each_missing_right_fails_naming_it(setup: Setup, emu: OkdeskEmulator) -> None:
    setup.make_database()
    emu.options.denied_rights = frozenset(MISSING_RIGHTS)
    done = setup.check()
    assert done.returncode == 1
    failed = {name: text for name, text in lines(done).items() if text.startswith("FAIL")}
    assert sorted(failed) == sorted(line for line, _ in MISSING_RIGHTS.values()), done.stdout
    for line, words in MISSING_RIGHTS.values():
        assert failed[line].startswith(f"FAIL  {line}: 403, the API token's user {words}")
        assert "Недостаточно прав" in failed[line]  # Okdesk's own words come along
    assert lines(done)["Okdesk read comments"].startswith("ok ")  # the other rights are there
    assert_nothing_written(emu)


def test_an_empty_helpdesk_a_wrong_employee_and_an_accepted_create(tmp_path: Path, emu: OkdeskEmulator,
                                                                   tg: TelegramTestServer) -> None:
    """No issue to aim the comment probes at is a warning; a create Okdesk accepts is a loud failure."""
    setup = Setup(tmp_path, emu, tg)
    setup.make_database()
    emu.add_fault(Fault(kind="status", status=200, body={"id": 77, "title": ""}, path=r"/issues/?$",
                        method="POST", times=1))
    done = setup.check(okdesk={"employee_id": 999})
    assert done.returncode == 1
    found = lines(done)
    assert found["Okdesk read comments"] == ("warn  Okdesk read comments: not proved: Okdesk has no issue yet, "
                                             "so there are no comments to read")
    assert found["Okdesk create comments"].startswith("warn ")
    assert found["Okdesk read employees"] == ("FAIL  Okdesk read employees: okdesk.employee_id = 999: Okdesk has "
                                              "no such employee (it signs the daemon's notices to staff)")
    assert found["Okdesk create issues"].startswith("FAIL  Okdesk create issues: Okdesk ACCEPTED an issue invalid "
                                                    "on purpose (id 77); please delete it by hand")
    assert emu.count_requests(r"/comments$") == 0


def test_contacts_right_not_asked_when_the_daemon_creates_none(setup: Setup, emu: OkdeskEmulator) -> None:
    setup.make_database()
    emu.options.denied_rights = frozenset({"contacts.create"})
    done = setup.check(okdesk={"create_contacts": False})
    assert done.returncode == 0, done.stdout
    assert lines(done)["Okdesk create contacts"].startswith("skip ")
    assert emu.count_requests(r"/contacts/?$", "POST") == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_okdesk_down_or_silent_fails_naming_the_host(setup: Setup, emu: OkdeskEmulator) -> None:
    setup.make_database()
    port = _closed_port()
    done = setup.check(okdesk={"url": f"http://127.0.0.1:{port}"})
    assert done.returncode == 1
    found = lines(done)
    assert found["Okdesk"].startswith(f"FAIL  Okdesk: connection refused by 127.0.0.1:{port}")
    assert found["Okdesk rights"].startswith("skip ")

    done = setup.check(okdesk={"url": f"{emu.base_url}/helpdesk"})  # a wrong path on the right host
    assert lines(done)["Okdesk"] == (f"FAIL  Okdesk: 404, 127.0.0.1:{emu.port} has no Okdesk API at "
                                     "/helpdesk/api/v1 (is okdesk.url the account's address?)")

    emu.add_fault(Fault(kind="timeout", delay=3, path=r"/issues/statuses", times=1))
    done = setup.check(okdesk={"timeout": 0.5})
    assert done.returncode == 1
    assert lines(done)["Okdesk"] == f"FAIL  Okdesk: 127.0.0.1:{emu.port} did not answer within 0.5 s"


def test_a_session_telegram_no_longer_knows_fails(setup: Setup, tg: TelegramTestServer) -> None:
    setup.make_database()
    tg.revoke_sessions()
    done = setup.check()
    assert done.returncode == 1
    found = lines(done)
    assert found["Telegram"].startswith(f"FAIL  Telegram: Telegram no longer knows the session {setup.session}")
    assert [name for name, text in found.items() if text.startswith("FAIL")] == ["Telegram"]


def test_a_refused_bot_token_fails(setup: Setup, tg: TelegramTestServer) -> None:
    """The session was logged out (as when the token is revoked in BotFather): the token must log in."""
    setup.make_database()
    tg.fail_next("GetUsers", "AUTH_KEY_UNREGISTERED", code=401, times=None)
    done = setup.check(telegram={"bot_token": f"{tg.bot.id}:AAE-revoked-token-0123456789abcdefghij"})
    assert done.returncode == 1
    assert lines(done)["Telegram"] == ("FAIL  Telegram: the bot token (telegram.bot_token) was refused by "
                                       "Telegram (ACCESS_TOKEN_INVALID)")
    assert "AAE-revoked-token" not in done.stdout + done.stderr
    assert [r.error for r in tg.rpc_log if r.method == "ImportBotAuthorization"] == ["ACCESS_TOKEN_INVALID"]

    # With the right token the same logged-out session logs in again.
    tg.clear_faults()
    tg.fail_next("GetUsers", "AUTH_KEY_UNREGISTERED", code=401, times=2)
    done = setup.check()
    assert done.returncode == 0, done.stdout
    assert lines(done)["Telegram"] == f"ok    Telegram: logged in as @{tg.bot.username} with the bot token"


def test_a_session_of_another_bot_fails(setup: Setup, tg: TelegramTestServer) -> None:
    setup.make_database()
    done = setup.check(telegram={"bot_token": BOT_TOKEN})  # bot id 123456789, the session's is another
    assert done.returncode == 1
    assert lines(done)["Telegram"].startswith(
        f"FAIL  Telegram: the session {setup.session} is logged in as @{tg.bot.username} (id {tg.bot.id}), "
        "but telegram.bot_token is the token of bot id 123456789")


def test_telegram_down_fails(setup: Setup, tg: TelegramTestServer) -> None:
    setup.make_database()
    tg.stop()
    done = setup.check()
    assert done.returncode == 1
    assert lines(done)["Telegram"].startswith("FAIL  Telegram: cannot connect to Telegram at 127.0.0.1:")


def test_database_missing_newer_and_older(setup: Setup) -> None:
    # Before the first start: no database yet is what a fresh install looks like, not a failure.
    done = setup.check()
    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done)
    assert found["database"] == (f"ok    database: no database yet at {setup.db}: it will be created at the first "
                                 f"start ({setup.state_dir} exists and is writable by "
                                 f"{getpass.getuser()})")
    assert not setup.db.exists()  # a check never creates one

    setup.make_database(revision="0001")
    done = setup.check()
    assert done.returncode == 0, done.stdout  # a warning, not a failure
    assert lines(done)["database"] == (f"warn  database: {setup.db} has schema 0001, older than this syncd's "
                                       f"{head_revision()}: it will be migrated at the next start")
    conn = sqlite3.connect(setup.db)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    done = setup.check()
    assert done.returncode == 1
    assert lines(done)["database"].startswith(f"FAIL  database: {setup.db} has schema 9999_from_the_future, "
                                              "written by a newer syncd")


def test_a_config_error_lists_every_problem(setup: Setup, tmp_path: Path, emu: OkdeskEmulator) -> None:
    config = tmp_path / "broken.toml"
    write_config(config, {"okdesk": {"url": "ftp://x"}, "log": {"level": "LOUD"}})
    done = setup.check(config)
    assert done.returncode == 2
    for problem in ("okdesk.api_token is required", "okdesk.url must start with https://",
                    "log.level must be one of", "telegram.bot_token is required"):
        assert problem in done.stderr
    assert emu.count_requests() == 0


def test_while_the_daemon_runs_its_record_is_read(make_daemon, emu: OkdeskEmulator, tg: TelegramTestServer,
                                                  tmp_path: Path) -> None:
    emu.add_issue("Проверка прав")
    daemon = make_daemon().start()
    connects = len(tg.rpc_calls("GetConfig"))
    setup = Setup(tmp_path, emu, tg)

    done = setup.check(daemon.config_path)

    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done)
    assert found["Telegram"].startswith("ok    Telegram: the running daemon last reached it ")
    assert found["database"].startswith("ok ")
    assert len(tg.rpc_calls("GetConfig")) == connects  # the check never opened a Telegram connection
    assert_nothing_written(emu)

    # A daemon that has not reached Telegram for long (hung, or cut off): the record says so.
    old = (datetime.now(timezone.utc) - timedelta(minutes=25)).isoformat()
    conn = sqlite3.connect(daemon.state_dir / "syncd.sqlite3", timeout=30)
    with conn:
        conn.execute("UPDATE kv SET value = ? WHERE key = 'telegram_last_ok'", (old,))
    conn.close()
    done = setup.check(daemon.config_path)
    assert done.returncode == 1
    assert lines(done)["Telegram"].startswith("FAIL  Telegram: the running daemon last reached Telegram 25 min ago")
    assert daemon.proc.poll() is None
    assert daemon.stop() == 0


def test_lock_probe_does_not_take_over_a_held_lock(setup: Setup, tg: TelegramTestServer) -> None:
    """Any holder of the state directory's lock counts as a running daemon: the session stays unused."""
    setup.make_database()
    lock = open(setup.state_dir / "syncd.lock", "a+")  # noqa: SIM115 - held for the test
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        done = setup.check()
    finally:
        lock.close()
    assert done.returncode == 1
    assert lines(done)["Telegram"] == "FAIL  Telegram: the daemon is running but has not reached Telegram yet"
    assert tg.rpc_calls("GetConfig") == []


def test_company_lookups_that_cannot_work_are_said_plainly(setup: Setup, emu: OkdeskEmulator) -> None:
    """An INN parameter code Okdesk ignores would make every company "not found"; an account without
    service objects only skips that step."""
    setup.make_database()
    emu.add_company("ООО Ромашка", inn="7707083893")
    emu.options.companies_ignore_parameter_filter = True
    emu.add_fault(Fault(kind="status", status=404, path=r"/maintenance_entities/list$", times=None))
    done = setup.check(okdesk={"company_inn_parameter": "inn_code"})
    assert done.returncode == 0, done.stdout  # warnings, not failures
    found = lines(done)
    assert found["Okdesk read companies"].startswith(
        "warn  Okdesk read companies: Okdesk ignored custom_parameters[inn_code]: is 'inn_code' the code")
    assert found["Okdesk read service objects"] == ("ok    Okdesk read service objects: not available on this "
                                                    "account: company clients skip the service object step")
    emu.options.companies_ignore_parameter_filter = False
    assert lines(setup.check())["Okdesk read companies"].startswith("ok ")
