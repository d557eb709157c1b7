"""`syncd check` before the daemon ever ran, through the real command line: a fresh install is exactly
when a sysadmin runs it. No database yet is then no failure; what the first start will need of it is
checked instead (a state directory this user can create and write; on PostgreSQL a server that answers,
a database that exists, a role allowed to create the tables), and nothing is created by looking.
"""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.test_check import Setup, lines
from tests.okdesk_emulator import OkdeskEmulator
from tests.pg import PG_ADMIN_URL, PG_SERVER, skip_without_pg
from tests.tgserver import TelegramTestServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def setup(tmp_path: Path, emu: OkdeskEmulator, tg: TelegramTestServer) -> Setup:
    emu.add_issue("Проверка прав")
    return Setup(tmp_path, emu, tg)


def failed(done: object) -> list[str]:
    return [name for name, text in lines(done).items() if text.startswith("FAIL")]  # type: ignore[arg-type]


def test_before_the_first_start_the_check_passes_and_creates_nothing(setup: Setup, tmp_path: Path) -> None:
    # No database, not even its directory: as after `pip install` and writing the config. (The state
    # directory keeps the test server's session: without one the check would log in at Telegram's own
    # address, and no test may reach the internet.)
    db = tmp_path / "var" / "lib" / "syncd" / "syncd.sqlite3"
    done = setup.check(state={"database_url": f"sqlite:///{db}"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines(done)["database"] == (f"ok    database: no database yet at {db}: it will be created at the first "
                                       f"start ({db.parent} can be created and is writable by {getpass.getuser()})")
    assert done.stdout.rstrip().endswith("checks passed")
    assert not (tmp_path / "var").exists()


def test_a_database_directory_that_cannot_be_made_fails_naming_why(setup: Setup, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database's directory should be")
    db = blocker / "state" / "syncd.sqlite3"
    done = setup.check(state={"database_url": f"sqlite:///{db}"})
    assert done.returncode == 1
    assert failed(done) == ["database"], done.stdout
    assert lines(done)["database"] == (f"FAIL  database: no database yet at {db}, and the first start could not "
                                       f"create it: {blocker} is not a directory (run the check as the service's "
                                       "user, or fix state.dir / state.database_url)")


def test_a_metrics_file_the_daemon_could_not_write_is_a_warning(setup: Setup, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where node_exporter's directory should be")
    done = setup.check(metrics={"textfile": str(blocker / "syncd.prom")})
    assert done.returncode == 0, done.stdout  # the daemon runs without it: monitoring would see nothing
    assert lines(done)["metrics"] == (f"warn  metrics: the daemon could not write {blocker / 'syncd.prom'}: {blocker} "
                                      "is not a directory (under systemd, see the drop-in systemd/metrics.conf)")
    missing = tmp_path / "textfile"
    done = setup.check(metrics={"textfile": str(missing / "syncd.prom")})
    assert lines(done)["metrics"] == (f"warn  metrics: the daemon could not write {missing / 'syncd.prom'}: {missing} "
                                      "does not exist (under systemd, see the drop-in systemd/metrics.conf)")
    missing.mkdir()
    done = setup.check(metrics={"textfile": str(missing / "syncd.prom")})
    assert lines(done)["metrics"] == f"ok    metrics: {missing / 'syncd.prom'} can be written by this user"


@pytest.fixture
def pg_server() -> Iterator[sa.Engine]:
    skip_without_pg()
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        version = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
    if version < 150000:  # before 15, every role may create tables in `public`: no refusal to see
        admin.dispose()
        pytest.skip(f"PostgreSQL {version // 10000} lets every role create tables in the schema public")
    yield admin
    admin.dispose()


def test_postgresql_before_the_first_start(setup: Setup, pg_server: sa.Engine) -> None:
    server = PG_SERVER
    name, role = "syncd_fs_" + secrets.token_hex(4), "syncd_fs_role_" + secrets.token_hex(4)
    url = f"postgresql://{role}@{server}/{name}"

    # The server answers, but the database was never created: the sysadmin's to do (syncd makes tables only).
    with pg_server.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
    try:
        done = setup.check(state={"database_url": url})
        assert done.returncode == 1 and failed(done) == ["database"], done.stdout
        assert lines(done)["database"] == (
            f'FAIL  database: the server answers, but has no database "{name}": create it '
            f"(createdb -O {role} {name}); syncd creates only its tables (postgresql://{role}@{server}/{name})")

        # Created by someone else: since PostgreSQL 15 an ordinary role may not create tables in `public`.
        with pg_server.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        done = setup.check(state={"database_url": url})
        assert done.returncode == 1 and failed(done) == ["database"], done.stdout
        assert lines(done)["database"] == (
            f"FAIL  database: postgresql://{role}@{server}/{name} has no syncd tables yet: they will be "
            f"created at the first start, but the role {role} may not create tables in the schema public: "
            f"GRANT CREATE ON SCHEMA public TO {role} (or make {role} the database's owner)")

        db_admin = sa.create_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, isolation_level="AUTOCOMMIT")
        with db_admin.connect() as conn:
            conn.execute(sa.text(f"GRANT CREATE ON SCHEMA public TO {role}"))
            done = setup.check(state={"database_url": url})
            assert done.returncode == 0, done.stdout + done.stderr
            assert lines(done)["database"] == (
                f"ok    database: postgresql://{role}@{server}/{name} has no syncd tables yet: they will be "
                f"created at the first start (the role {role} may create tables in the schema public)")
            # Looking created nothing.
            tables = conn.execute(sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
            assert tables == 0
        db_admin.dispose()
    finally:
        with pg_server.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
