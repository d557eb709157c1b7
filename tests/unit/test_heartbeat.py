"""The daemon's record of its last Telegram contact (kv telegram_last_ok), which `syncd check`
reads while the daemon runs: written when Telegram answers, left alone when it does not.

A real Telethon client against the Telegram test server, and a real SQLite store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from syncd.clock import utcnow
from syncd.store import Store, make_engine, migrate
from syncd.telegram.heartbeat import KEY, TelegramHeartbeat
from tests.tgserver import TelegramTestServer
from tests.tgserver_tests._helpers import connected, run

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.sqlite3'}")
    migrate(engine)
    return Store(engine)


def test_a_beat_records_when_telegram_answers_and_only_then(tmp_path: Path, store: Store) -> None:
    with TelegramTestServer(files_dir=tmp_path) as srv:
        session = srv.write_session(tmp_path / "bot.session")

        async def body() -> None:
            client = await connected(session, request_retries=0, raise_last_call_error=True)
            try:
                heartbeat = TelegramHeartbeat(client, store, timeout=5)
                before = utcnow()
                await heartbeat.beat()
                first = store.get_value(KEY)
                assert first is not None and datetime.fromisoformat(first) >= before

                # Telegram refuses (or is gone): no record, and no exception out of the job.
                srv.fail_next("GetUsers", "INTERNAL_SERVER_ERROR", code=500, times=None)
                store.set_value(KEY, (utcnow() - timedelta(minutes=10)).isoformat())
                stale = store.get_value(KEY)
                await heartbeat.beat()
                assert store.get_value(KEY) == stale

                srv.clear_faults()
                await heartbeat.beat()
                assert store.get_value(KEY) != stale
            finally:
                await client.disconnect()

        run(body)
        assert [r.method for r in srv.rpc_log].count("GetUsers") >= 3
