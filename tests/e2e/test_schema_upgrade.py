"""The daemon's start on a database of an older release, of a newer one, and of its own: the older is
migrated (in a child process, so that Alembic never stays in the daemon's memory) and the daemon runs
on it; the newer is refused, unchanged, with exit code 3; its own needs no migration at all."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command

from syncd.store.db import _alembic_config, head_revision, make_engine
from tests.e2e.helpers import link_client

pytestmark = pytest.mark.e2e


def old_database(path, revision: str) -> None:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)
    engine.dispose()


def test_an_older_schema_is_migrated_a_newer_refused_a_current_left_alone(make_daemon, emu, tg) -> None:
    daemon = make_daemon()
    db = daemon.state_dir / "syncd.sqlite3"
    old_database(db, "0003")
    daemon.start()
    ready = daemon.wait_event("database_ready")
    assert (ready["schema_before"], ready["schema"]) == ("0003", head_revision())
    link_client(tg, emu, daemon)  # the migrated database serves
    assert daemon.stop() == 0

    daemon.start()
    assert daemon.wait_event("database_ready", run=2)["schema_before"] == head_revision()
    assert daemon.stop() == 0

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    daemon.start(wait_ready=False)
    assert daemon.proc is not None and daemon.proc.wait(timeout=30) == 3
    refused = daemon.wait_event("cannot_start", run=3)
    assert "9999_from_the_future" in refused["error"] and "newer version" in refused["error"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999_from_the_future",)]
