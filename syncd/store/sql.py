"""SQL that must read the same on SQLite and on PostgreSQL, for every part of the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection


def dialect_insert_of(conn: Connection) -> Any:
    """The INSERT that knows ON CONFLICT, of this connection's dialect (SQLite's or PostgreSQL's)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def insert_ignore(conn: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on both SQLite and PostgreSQL; returns rows inserted."""
    if not rows:
        return 0
    dialect_insert = dialect_insert_of(conn)
    # RETURNING counts reliably on both dialects; executemany rowcount does not (psycopg says -1).
    key = list(table.primary_key.columns)[0]
    stmt = dialect_insert(table).on_conflict_do_nothing().returning(key)
    return len(conn.execute(stmt, list(rows)).all())
