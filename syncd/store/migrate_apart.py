"""The daemon's migrations, run in a child process: Alembic (some 7 MB of code) is needed once per
upgrade, and a module once imported stays in the daemon's memory for good. A database already at
this code's head needs no child at all.

The child gets the database URL on its standard input (a password in it must not show in ``ps``)
and answers one JSON line: the revisions before and after, or the refusal of a newer schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import Engine

from syncd.store.db import (
    HEAD,
    SchemaError,
    current_revision,
    known_revisions,
    make_engine,
    migrate,
    tighten_sqlite_files,
)


def migrate_apart(url: str, engine: Engine) -> tuple[str | None, str]:
    """As :func:`syncd.store.db.migrate`, with the Alembic part in a child process."""
    before = current_revision(engine)
    if before == HEAD:
        tighten_sqlite_files(engine)
        return before, HEAD
    if before is not None and before not in known_revisions():
        migrate(engine)  # refuses it, in the same words, without Alembic
    done = subprocess.run([sys.executable, "-m", "syncd.store.migrate_apart"], input=url, capture_output=True,
                          text=True, env=os.environ.copy(), check=False)
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        # The child's own traceback is on its stderr, which we hand on (redacted by the caller's log).
        raise RuntimeError(f"the migration process failed (exit {done.returncode}): "
                           f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'no output'}") from None
    if "refused" in answer:
        raise SchemaError(answer["refused"], code=answer.get("code", "database_unreadable"))
    tighten_sqlite_files(engine)
    return answer["before"], answer["after"]


def main() -> int:
    url = sys.stdin.read().strip()
    engine = make_engine(url)
    try:
        before, after = migrate(engine)
    except SchemaError as exc:
        print(json.dumps({"refused": str(exc), "code": exc.code}))
        return 0
    finally:
        engine.dispose()
    print(json.dumps({"before": before, "after": after}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
