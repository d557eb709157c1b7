"""The PostgreSQL the tests use (127.0.0.1:5432, user postgres, trust auth), a throwaway database per
test, and a visible skip where no server answers (a user's laptop)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

# Not a SYNCD_ variable: syncd refuses any it does not know, and a test run may set this one.
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# host:port, as in a URL a sysadmin writes.
PG_SERVER = PG_ADMIN_URL.split("@", 1)[1].rsplit("/", 1)[0]


def pg_unavailable() -> str | None:
    """Why the tests cannot use PostgreSQL here, or None when it answers."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL at {PG_SERVER}: {type(exc).__name__}"


def skip_without_pg() -> None:
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)


@contextmanager
def fresh_database(prefix: str = "syncd_t_") -> Iterator[str]:
    """A new empty database (skipped without a server), dropped afterwards; yields its name."""
    skip_without_pg()
    name = prefix + secrets.token_hex(4)
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def database_url(name: str, *, driver: bool = True) -> str:
    """The database's URL: with the psycopg driver named, or plain, as a sysadmin writes it."""
    return f"postgresql{'+psycopg' if driver else ''}://postgres@{PG_SERVER}/{name}"


# A database migrated to the head once per test process, copied for each test that needs a migrated
# store (PostgreSQL copies a template database far faster than Alembic builds the schema).
_TEMPLATES: dict[str, str] = {}


def migrated_template() -> str:
    """The name of this process's migrated template database (made at first use, dropped at exit)."""
    if "pg" not in _TEMPLATES:
        import atexit

        from syncd.store import make_engine, migrate

        name = "syncd_tpl_" + secrets.token_hex(4)
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        engine = make_engine(database_url(name))
        migrate(engine)
        engine.dispose()  # a template may have no open connection while it is copied

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()

        atexit.register(drop)
        _TEMPLATES["pg"] = name
    return _TEMPLATES["pg"]


def become_migrated(name: str) -> None:
    """Replace the (empty) test database ``name`` by a copy of the migrated template."""
    template = migrated_template()
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    admin.dispose()
