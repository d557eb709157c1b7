"""The database check, and the one value the Telegram check reads while the daemon runs.

Never creates or migrates anything (the semantics of ``syncd.store.db.check_schema_current``):
a missing SQLite file is reported, not made; an old schema is left for the daemon to migrate.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from syncd.checks import Result, fail, ok, warn
from syncd.config import Settings
from syncd.store import Store
from syncd.store.db import (
    SchemaError,
    current_revision,
    driver_reason,
    head_revision,
    open_existing,
    schema_state,
    sqlite_path,
)

NAME = "database"


class DatabaseUnavailable(Exception):
    """The database cannot be read; the message says why in plain words."""


def shown(url: str) -> str:
    """The database as a person recognises it: the file, or the URL without its password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an odd URL is shown by its scheme only, never whole
        return url.split(":", 1)[0] + " database"


def _open(settings: Settings) -> Engine:
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None and not path.exists():
        # Said in the check's words; open_existing refuses it too, in the commands' words.
        raise DatabaseUnavailable(f"no database yet at {path}: start the daemon once")
    try:
        # The commands' own way in: never creates the file, keeps the daemon's WAL, waits for its locks.
        return open_existing(url)
    except SchemaError as exc:
        raise DatabaseUnavailable(str(exc)) from None
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise DatabaseUnavailable(f"cannot open {shown(url)}: {driver_reason(exc)}") from None


def read_value(settings: Settings, key: str) -> tuple[str | None, bool]:
    """(kv value, whether the schema has the kv table at all); DatabaseUnavailable otherwise."""
    engine = _open(settings)
    try:
        if current_revision(engine) is None:
            return None, False
        return Store(engine).get_value(key), True
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot read {shown(settings.database_url)}: {driver_reason(exc)}") from None
    finally:
        engine.dispose()


def check_database(settings: Settings) -> Result:
    where = shown(settings.database_url)
    try:
        engine = _open(settings)
    except DatabaseUnavailable as exc:
        return fail(NAME, str(exc))
    try:
        state, revision = schema_state(engine)
    except SQLAlchemyError as exc:
        return fail(NAME, f"cannot open {where}: {driver_reason(exc)}")
    finally:
        engine.dispose()
    if state == "missing":
        return fail(NAME, f"{where} has no syncd tables yet: start the daemon once")
    if state == "newer":
        return fail(NAME, f"{where} has schema {revision}, written by a newer syncd than this one: "
                          "upgrade syncd, or restore a backup")
    if state == "older":
        return warn(NAME, f"{where} has schema {revision}, older than this syncd's {head_revision()}: "
                          "it will be migrated at the next start")
    return ok(NAME, f"{where} opened, schema {revision} is current")
