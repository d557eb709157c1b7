"""`syncd check` in the test process, the cases around Telegram and the database: while the daemon runs
(its record read, no connection of its own), a bot token Telegram refuses, a session of another bot, and
a database of an older schema."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from alembic import command

from syncd.store.db import _alembic_config, head_revision, make_engine
from tests.e2e.test_check import lines
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon, run_cli


def test_while_the_daemon_runs_its_record_is_read_and_an_old_one_fails(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    emu.add_issue("Проверка прав")
    daemon = make_daemon(telegram={"bot_token": tg.bot_token}).start()
    connects = len(tg.rpc_calls("GetConfig"))
    done = run_cli("check", "--config", str(daemon.config_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines(done)["Telegram"].startswith("ok    Telegram: the running daemon last reached it ")
    assert len(tg.rpc_calls("GetConfig")) == connects  # no connection of the check's own
    old = (datetime.now(timezone.utc) - timedelta(minutes=25)).isoformat()
    with sqlite3.connect(daemon.state_dir / "syncd.sqlite3", timeout=30) as conn:
        conn.execute("UPDATE kv SET value = ? WHERE key = 'telegram_last_ok'", (old,))
    done = run_cli("check", "--config", str(daemon.config_path))
    assert done.returncode == 1
    assert lines(done)["Telegram"].startswith("FAIL  Telegram: the running daemon last reached Telegram 25 min ago")
    assert daemon.alive and daemon.stop() == 0


def test_a_refused_token_another_bots_session_and_an_older_schema(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    daemon = make_daemon(telegram={"bot_token": f"{tg.bot.id}:AAE-revoked-token-0123456789abcdefghij"})
    daemon.prepare(daemon.settings())
    database = daemon.state_dir / "syncd.sqlite3"
    database.unlink()
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
    engine.dispose()
    tg.fail_next("GetUsers", "AUTH_KEY_UNREGISTERED", code=401, times=None)
    done = run_cli("check", "--config", str(daemon.config_path))
    assert done.returncode == 1
    found = lines(done)
    assert found["Telegram"] == ("FAIL  Telegram: the bot token (telegram.bot_token) was refused by Telegram "
                                 "(ACCESS_TOKEN_INVALID)")
    assert found["database"] == (f"warn  database: {database} has schema 0001, older than this syncd's "
                                 f"{head_revision()}: it will be migrated at the next start")
    assert "AAE-revoked-token" not in done.stdout + done.stderr
    tg.clear_faults()
    other = make_daemon()  # BOT_TOKEN: bot id 123456789, the session's bot is another
    other.prepare(other.settings())
    done = run_cli("check", "--config", str(other.config_path))
    assert lines(done)["Telegram"].startswith(f"FAIL  Telegram: the session {other.state_dir / 'telegram.session'} "
                                              f"is logged in as @{tg.bot.username}")
