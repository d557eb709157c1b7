"""Opening the database: engine, SQLite pragmas, file modes, and the schema migrations."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration. Said here so that a start on a current database, every start but the first
# after an upgrade, needs no Alembic at all (it weighs some 7 MB in the daemon's memory for good);
# tests/unit/test_store.py holds it against Alembic's own view of the migrations.
HEAD = "0007"


class SchemaError(Exception):
    """The database cannot be used by this version of the code.

    ``code`` names the reason for scripts (``syncd status --json``): ``no_database``,
    ``schema_missing``, ``schema_newer``, ``schema_older`` or ``database_unreadable``.
    """

    def __init__(self, message: str, code: str = "database_unreadable") -> None:
        super().__init__(message)
        self.code = code


def _alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return HEAD


def known_revisions() -> set[str]:
    """Every revision this code has a migration for: the files' own names (0001_initial.py is 0001)."""
    return {path.name.split("_", 1)[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py")}


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


def open_existing(url: str) -> Engine:
    """An engine on a database that must already exist: a missing SQLite file is refused, never created.

    The daemon's WAL mode stays as it is (a connection inherits it from the file); the busy
    timeout lets a command wait for the daemon's short transactions.
    """
    path = sqlite_path(url)
    if path is None:
        return make_engine(url)
    try:
        exists = path.is_file()
    except OSError as exc:  # the state directory is 0700: another user may not even look
        raise SchemaError(f"cannot look at {path}: {exc.strerror} (run this as the service's user, or root)") from None
    if not exists:
        raise SchemaError(f"there is no database at {path}: has the daemon ever run with this config? "
                          "(status and retry never create one)", code="no_database")
    uri = f"file:{quote(str(path.resolve()))}?mode=rw"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    return create_engine("sqlite://", creator=connect)


def driver_reason(exc: BaseException) -> str:
    """The driver's first line (psycopg and sqlite3 say it plainly), without SQLAlchemy's SQL echo."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, read as Alembic writes it; None when it has no syncd schema."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the code's head; refuse a database written by a newer syncd."""
    before = current_revision(engine)
    if before is not None and before not in known_revisions():
        raise SchemaError(
            f"the database schema is at revision {before}, which this syncd does not know: "
            "it was written by a newer version. Upgrade syncd, or restore a backup.", code="schema_newer",
        )
    if before != HEAD:
        from alembic import command

        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    tighten_sqlite_files(engine)
    return before, head_revision()


SchemaState = Literal["missing", "newer", "older", "current"]


def schema_state(engine: Engine) -> tuple[SchemaState, str | None]:
    """Where the database's schema stands against this code, and its revision (None when missing).

    Only looks: the commands and `syncd check` say what it means in their own words.
    """
    rev = current_revision(engine)
    if rev is None:
        return "missing", None
    if rev not in known_revisions():
        return "newer", rev
    if rev != head_revision():
        return "older", rev
    return "current", rev


def check_schema_current(engine: Engine) -> None:
    """For commands that must never create or migrate a database (status, retry)."""
    state, rev = schema_state(engine)
    if state == "missing":
        raise SchemaError("the database has no syncd schema (has the daemon ever run with this config?)",
                          code="schema_missing")
    if state == "newer":
        raise SchemaError(f"the database schema {rev} is newer than this syncd", code="schema_newer")
    if state == "older":
        raise SchemaError(f"the database schema {rev} is older than this syncd; start the daemon to migrate it",
                          code="schema_older")


def tighten_sqlite_files(engine: Engine) -> None:
    """SQLite's -wal/-shm/-journal files are created with the umask; they hold the same data."""
    path = sqlite_path(str(engine.url))
    if path is None:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            os.chmod(candidate, 0o600)

