"""Opening the database: engine, SQLite pragmas, file modes, and the schema migrations."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaError(Exception):
    """The database cannot be used by this version of the code."""


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):]
    return None if path in ("", ":memory:") else Path(path)


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we pin; the plain scheme would ask for psycopg2.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file is created 0600 from the start: it may hold linked phone numbers.
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # WAL lets the poller thread write while the Telegram side reads.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the code's head; refuse a database written by a newer syncd."""
    before = current_revision(engine)
    if before is not None and before not in known_revisions():
        raise SchemaError(
            f"the database schema is at revision {before}, which this syncd does not know: "
            "it was written by a newer version. Upgrade syncd, or restore a backup."
        )
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    tighten_sqlite_files(engine)
    return before, head_revision()


def check_schema_current(engine: Engine) -> None:
    """For commands that must never create or migrate a database (status, retry)."""
    rev = current_revision(engine)
    if rev is None:
        raise SchemaError("the database has no syncd schema (has the daemon ever run with this config?)")
    if rev not in known_revisions():
        raise SchemaError(f"the database schema {rev} is newer than this syncd")
    if rev != head_revision():
        raise SchemaError(f"the database schema {rev} is older than this syncd; start the daemon to migrate it")


def tighten_sqlite_files(engine: Engine) -> None:
    """SQLite's -wal/-shm/-journal files are created with the umask; they hold the same data."""
    path = sqlite_path(str(engine.url))
    if path is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            os.chmod(candidate, 0o600)

