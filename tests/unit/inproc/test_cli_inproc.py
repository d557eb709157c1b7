"""The command line in the test process (syncd.cli.main): `check` against the stand-ins, before the first
start and after, `status` and `retry` on a running daemon's database, and PostgreSQL where one answers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from syncd.store.db import head_revision
from tests.e2e.conftest import assert_clean, parse_event
from tests.e2e.helpers import client_with_issue, eventually, outbox, texts_to, wait_text
from tests.e2e.test_check import lines
from tests.okdesk_emulator import OkdeskEmulator
from tests.pg import database_url, fresh_database
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import InProcessDaemon, MakeDaemon, run_cli


def checked(make_daemon: MakeDaemon, tg: TelegramTestServer, database: bool = True,
            **overrides: dict[str, object]) -> tuple[InProcessDaemon, Path]:
    """A daemon's config and state directory, never started: the session of the stand-in's bot (its own
    token), the database as a first start leaves it (or none). Returns it and its config path."""
    telegram = {"bot_token": tg.bot_token, **overrides.pop("telegram", {})}
    daemon = make_daemon(telegram=telegram, **overrides)
    settings = daemon.settings()
    daemon.prepare(settings)
    if not database:
        (daemon.state_dir / "syncd.sqlite3").unlink()
    return daemon, daemon.config_path


def test_check_passes_when_everything_is_in_place(make_daemon: MakeDaemon, emu: OkdeskEmulator,
                                                  tg: TelegramTestServer, employee: int) -> None:
    emu.add_issue("Проверка прав")
    daemon, config = checked(make_daemon, tg, okdesk={"employee_id": employee})
    session = daemon.state_dir / "telegram.session"
    before = session.read_bytes()
    done = run_cli("check", "--config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    found = lines(done)
    assert f"logged in as @{tg.bot.username}" in found["Telegram"]
    assert f"schema {head_revision()} is current" in found["database"]
    assert f"127.0.0.1:{emu.port} answered; the API token was accepted" in found["Okdesk"]
    assert done.stdout.rstrip().endswith("checks passed")
    assert session.read_bytes() == before
    assert emu.count_requests(r"/issues/?$", "POST") == 1  # the right proved, nothing created
    assert len(emu.issue_ids()) == 1


def test_check_fails_each_part_for_its_own_reason(make_daemon: MakeDaemon, emu: OkdeskEmulator,
                                                  tg: TelegramTestServer) -> None:
    daemon, config = checked(make_daemon, tg, okdesk={"api_token": "not-the-token-at-all"})
    tg.revoke_sessions()
    database = daemon.state_dir / "syncd.sqlite3"
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    done = run_cli("check", "--config", str(config))
    assert done.returncode == 1
    found = lines(done)
    assert found["Okdesk"].startswith("FAIL  Okdesk: 401, the API token was refused")
    assert found["Telegram"].startswith("FAIL  Telegram: Telegram no longer knows the session")
    assert found["database"].startswith(f"FAIL  database: {database} has schema 9999_from_the_future")
    assert "not-the-token-at-all" not in done.stdout + done.stderr


def test_check_before_the_first_start_with_both_services_down(make_daemon: MakeDaemon, emu: OkdeskEmulator,
                                                              tg: TelegramTestServer, tmp_path: Path) -> None:
    daemon, config = checked(make_daemon, tg, database=False,
                             metrics={"textfile": str(tmp_path / "missing" / "syncd.prom")})
    emu.stop()
    tg.stop()
    done = run_cli("check", "--config", str(config))
    assert done.returncode == 1
    found = lines(done)
    assert found["database"].startswith("ok    database: no database yet at")
    assert not (daemon.state_dir / "syncd.sqlite3").exists()  # a check creates nothing
    assert found["Okdesk"].startswith("FAIL  Okdesk:") and "127.0.0.1" in found["Okdesk"]
    assert found["Telegram"].startswith("FAIL  Telegram: cannot connect to Telegram at 127.0.0.1:")
    assert found["metrics"].startswith("warn  metrics:")


def test_a_config_error_is_exit_2_with_every_problem(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('[okdesk]\nurl = "ftp://x"\n[log]\nlevel = "LOUD"\n')
    done = run_cli("check", "--config", str(config))
    assert done.returncode == 2
    for problem in ("okdesk.api_token is required", "log.level must be one of", "telegram.bot_token is required"):
        assert problem in done.stderr
    as_json = run_cli("status", "--json", "--config", str(config))
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"]["code"] == "config_invalid"


def test_status_and_retry_of_a_parked_delivery(make_daemon: MakeDaemon, emu: OkdeskEmulator,
                                               tg: TelegramTestServer, employee: int) -> None:
    daemon, user, _, issue_id = client_with_issue(make_daemon, emu, tg, "Не доходит",
                                                  sync={"retry_budget": 0.3, "retry_cap": 0.1},
                                                  okdesk={"employee_id": employee})
    tg.fail_next("SendMessage", "MESSAGE_EMPTY", code=400, times=None, user=user)
    emu.add_comment(issue_id, "<p>ответ после повтора</p>", author=("employee", employee))
    parked = daemon.wait_event("delivery_parked")
    config = str(daemon.config_path)
    report = eventually(lambda: (r := json.loads(run_cli("status", "--json", "--config", config).stdout))
                        ["last_error"] and r, what="the last error recorded")
    assert report["outbox"]["failed"] == 1 and (report["linked_clients"], report["followed_issues"]) == (1, 1)
    assert "MESSAGE_EMPTY" in report["last_error"]["message"]
    human = run_cli("status", "--config", config)
    assert human.returncode == 0 and any(ln.split()[:3] == ["outbox", "failed", "1,"] for ln in human.stdout.splitlines())
    listing = run_cli("retry", "--config", config)
    (line,) = [ln for ln in listing.stdout.splitlines() if ln.startswith(f"o{parked['outbox_id']} ")]
    assert f"#{issue_id}" in line and "MESSAGE_EMPTY" in line
    assert run_cli("retry", "o999999", "--config", config).returncode != 0
    tg.clear_faults()
    done = run_cli("retry", f"o{parked['outbox_id']}", "--config", config)
    assert done.returncode == 0 and f"o{parked['outbox_id']}" in done.stdout
    wait_text(tg, user, "ответ после повтора")
    eventually(lambda: [r["state"] for r in outbox(daemon) if r["id"] == parked["outbox_id"]] == ["done"])
    assert run_cli("retry", "--config", config).stdout.strip() == "No failed items."
    assert len([t for t in texts_to(tg, user) if "ответ после повтора" in t]) == 1


@pytest.mark.postgres
def test_check_and_status_on_postgresql(make_daemon: MakeDaemon, emu: OkdeskEmulator,
                                        tg: TelegramTestServer) -> None:
    with fresh_database() as name:
        daemon, config = checked(make_daemon, tg, state={"database_url": database_url(name, driver=False)})
        done = run_cli("check", "--config", str(config))
        assert lines(done)["database"].startswith("ok    database: "), done.stdout
        assert f"schema {head_revision()} is current" in lines(done)["database"]
        daemon.start()
        assert daemon.stop() == 0
        report = json.loads(run_cli("status", "--json", "--config", str(config)).stdout)
        assert report["outbox"]["failed"] == 0


def test_run_serves_until_sigterm_and_exits_0(make_daemon: MakeDaemon, emu: OkdeskEmulator,
                                              tg: TelegramTestServer) -> None:
    """`syncd run` in this process's main thread: the lock, the lease, the daemon's own clients, and the
    real SIGTERM handler."""
    daemon = make_daemon()
    daemon.prepare(daemon.settings())

    def stop_when_ready(stderr: Callable[[], str]) -> None:
        eventually(lambda: '"event": "ready"' in stderr(), what="the daemon ready")
        os.kill(os.getpid(), signal.SIGTERM)

    done = run_cli("run", "--config", str(daemon.config_path), during=stop_when_ready)
    assert done.returncode == 0, done.stderr[-3000:]
    events = [parse_event(line)["event"] for line in done.stderr.splitlines()]
    assert {"database_ready", "telegram_ready", "ready", "stopping", "stopped"} <= set(events)
    assert not (daemon.state_dir / "tmp").exists() or not any((daemon.state_dir / "tmp").iterdir())
    assert_clean(done.stderr, tg.phones)
