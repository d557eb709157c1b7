"""What the daemon's first start will need of the database, checked by looking only.

``syncd check`` is run exactly before the first start, when there is no database yet: then the
daemon will create the SQLite file in a directory this user must be able to create and write,
or the tables in a PostgreSQL database whose role must be allowed to create them. Nothing is
created here, not even a test file: ``os.access`` and PostgreSQL's privilege functions answer
without a trace.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from syncd.checks import Result, fail, ok, warn

NAME = "database"
FIRST_START = "it will be created at the first start"


def user_name() -> str:
    """This user's name, or its uid where it has none (a container's user without a passwd line)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def writable(directory: Path) -> str | None:
    """Why this user could not create files in ``directory`` (made first if missing), or None."""
    probe = directory
    try:
        while not probe.exists():  # the daemon makes the missing part: its nearest existing parent must let it
            if probe.parent == probe:
                break
            probe = probe.parent
        is_dir = probe.is_dir()
    except OSError as exc:  # a parent this user may not even look into (systemd's /var/lib/private is 0700)
        return f"cannot look at {probe} ({exc.strerror}): run the check as the service's user, or root"
    if not is_dir:
        return f"{probe} is not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        user = user_name()
        return (f"{probe} is not writable by {user}" if probe == directory
                else f"{directory} cannot be created: {probe} is not writable by {user}")
    return None


def can_create_sqlite(db_path: Path, said: str) -> Result:
    """No SQLite file yet: its directory (the state directory unless state.database_url says
    otherwise) must be creatable and writable by this user, who should be the service's."""
    directory = db_path.parent
    problem = writable(directory)
    if problem is not None:
        return fail(NAME, f"{said}, and the first start could not create it: {problem} "
                          "(run the check as the service's user, or fix state.dir / state.database_url)")
    how = "exists" if directory.is_dir() else "can be created"
    return ok(NAME, f"{said}: {FIRST_START} ({directory} {how} and is writable by {user_name()})")


def can_create_tables(engine: Engine, where: str, revision: str | None, head: str) -> Result:
    """A database with no syncd tables, or older ones: the first start creates them, the next
    migrates them, in the role's current schema, which the role must be allowed to create in.
    No tables yet is fine; an older schema is a warning (the start will change the database)."""
    if revision is None:
        said, verdict = f"{where} has no syncd tables yet: they will be created at the first start", ok
    else:
        said, verdict = (f"{where} has schema {revision}, older than this syncd's {head}: "
                         "it will be migrated at the next start"), warn
    if engine.dialect.name != "postgresql":
        return verdict(NAME, said)
    with engine.connect() as conn:
        role, schema, allowed = conn.execute(text(
            "SELECT current_user, current_schema(), "
            "coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)")).one()
    if schema is None:
        return fail(NAME, f"{said}, but the role {role} has no schema to create them in (its search_path names "
                          "none that exists): create one, or set search_path")
    if not allowed:
        return fail(NAME, f"{said}, but the role {role} may not create tables in the schema {schema}: "
                          f"GRANT CREATE ON SCHEMA {schema} TO {role} (or make {role} the database's owner)")
    return verdict(NAME, f"{said} (the role {role} may create tables in the schema {schema})")


def missing_database(url: str, where: str, reason: str) -> Result:
    """The server answers but has no such database: the daemon creates tables, never databases."""
    parsed = make_url(url)
    owner = f" -O {parsed.username}" if parsed.username else ""
    return fail(NAME, f'the server answers, but has no database "{parsed.database}": create it '
                      f"(createdb{owner} {parsed.database}); syncd creates only its tables ({where})")
