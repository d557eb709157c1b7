"""The database check, and the one value the Telegram check reads while the daemon runs.

Never creates or migrates anything (the semantics of ``syncd.store.db.check_schema_current``):
a missing SQLite file is not made, an old schema is left for the daemon to migrate. Before the
first start there is no database yet, and that is no failure (a check is run exactly then): what
the first start will need is checked instead, by looking only (syncd.checks.first_start).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from syncd.checks import Result, fail, ok
from syncd.checks.first_start import (
    can_create_sqlite,
    can_create_tables,
    missing_database,
    writable,
)
from syncd.config import Settings
from syncd.store import Store
from syncd.store.db import (
    SchemaError,
    current_revision,
    driver_reason,
    head_revision,
    make_engine,
    open_existing,
    schema_state,
    sqlite_path,
)

NAME = "database"


class DatabaseUnavailable(Exception):
    """The database cannot be read; the message says why in plain words."""


class NotYet(DatabaseUnavailable):
    """No database yet (the daemon never started): nothing to read, and no failure of the check."""


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
        raise NotYet(f"no database yet at {path}")
    try:
        # The commands' own way in: never creates the file, keeps the daemon's WAL, waits for its locks.
        return open_existing(url)
    except SchemaError as exc:
        raise DatabaseUnavailable(str(exc)) from None
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise DatabaseUnavailable(f"cannot open {shown(url)}: {driver_reason(exc)}") from None


def _connect_problem(settings: Settings, exc: SQLAlchemyError) -> Result:
    """A server that answers but has no such database is the sysadmin's to create (the daemon never does)."""
    reason = driver_reason(exc)
    if _server_lacks_database(settings.database_url):
        return missing_database(settings.database_url, shown(settings.database_url), reason)
    return fail(NAME, f"cannot open {shown(settings.database_url)}: {reason}")


def _server_lacks_database(url: str) -> bool:
    """Asked of the server itself, in its maintenance database with the same role: its words for "does
    not exist" are in the server's language (lc_messages), and a refused connection carries no code."""
    from sqlalchemy import text

    parsed = make_url(url)  # make_engine picks the driver for the plain scheme
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return False
    try:
        probe = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
        try:
            with probe.connect() as conn:
                found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                     {"name": parsed.database}).first()
        finally:
            probe.dispose()
    except SQLAlchemyError:
        return False  # the server does not answer, or not this role: the first reason stands
    return found is None


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
    # The Telegram session and the lock live there whichever database is used.
    problem = writable(settings.state_dir)
    if problem is not None:
        return fail(NAME, f"the state directory cannot be used: {problem} (run the check as the service's user, "
                          "or fix state.dir)")
    try:
        engine = _open(settings)
    except NotYet as exc:
        path = sqlite_path(settings.database_url)
        assert path is not None  # only a SQLite file can be missing
        return can_create_sqlite(path, str(exc))
    except DatabaseUnavailable as exc:
        return fail(NAME, str(exc))
    try:
        state, revision = schema_state(engine)
        if state in ("missing", "older"):
            # The first start creates the tables, the next migrates them: the role must be allowed to.
            return can_create_tables(engine, where, revision, head_revision())
    except SQLAlchemyError as exc:
        return _connect_problem(settings, exc)
    finally:
        engine.dispose()
    if state == "newer":
        return fail(NAME, f"{where} has schema {revision}, written by a newer syncd than this one: "
                          "upgrade syncd, or restore a backup")
    return ok(NAME, f"{where} opened, schema {revision} is current")
