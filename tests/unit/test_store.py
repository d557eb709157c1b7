"""The state store on SQLite and on PostgreSQL (127.0.0.1:5432; skipped with a reason when absent)."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from syncd.clock import utcnow
from syncd.store import SchemaError, Store, make_engine, migrate
from syncd.store.db import check_schema_current, current_revision, head_revision
from syncd.store.schema import metadata
from tests.pg import become_migrated, database_url, fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'syncd.sqlite3'}"
        return
    with fresh_database() as name:
        yield database_url(name)


_SQLITE_TEMPLATE: list[Path] = []


def _migrated_sqlite(path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A copy of this process's migrated SQLite file (migrated once, as the PostgreSQL template)."""
    if not _SQLITE_TEMPLATE:
        template = tmp_path_factory.mktemp("template") / "syncd.sqlite3"
        engine = make_engine(f"sqlite:///{template}")
        migrate(engine)
        engine.dispose()
        _SQLITE_TEMPLATE.append(template)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_SQLITE_TEMPLATE[0], path)


def migrated_engine(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    """The database at ``db_url``, at the head of the migrations: a copy of one migrated once per
    process (the migrations themselves are tested here, on empty databases)."""
    if db_url.startswith("sqlite"):
        _migrated_sqlite(Path(db_url.removeprefix("sqlite:///")), tmp_path_factory)
    else:
        become_migrated(db_url.rsplit("/", 1)[1])
    engine = make_engine(db_url)
    check_schema_current(engine)
    return engine


@pytest.fixture
def store(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store at the head of the migrations, on each database."""
    engine = migrated_engine(db_url, tmp_path_factory)
    yield Store(engine)
    engine.dispose()


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    before, after = migrate(engine)
    assert before is None and after == head_revision()
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []
    assert migrate(engine) == (head_revision(), head_revision())  # idempotent
    check_schema_current(engine)
    engine.dispose()


def test_a_database_newer_than_the_code_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaError, match="newer version"):
        migrate(engine)
    assert current_revision(engine) == "9999_future"
    engine.dispose()


def test_sqlite_files_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'syncd.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    engine.dispose()


def _link(store: Store, user: int, contact: int = 7) -> None:
    store.save_link(tg_user_id=user, tg_chat_id=user, tg_access_hash=42, okdesk_contact_id=contact,
                    contact_name="Петров Иван", phone="+79123456789", language="ru")


def test_outbox_natural_key_makes_a_duplicate_impossible(store: Store) -> None:
    row = store.outbox_row(dedupe_key="comment:1:chat:5", kind="telegram", payload="{}", message_count=2,
                           tg_chat_id=5, okdesk_issue_id=1)
    assert store.add_outbox([row]) == 1
    again = store.outbox_row(dedupe_key="comment:1:chat:5", kind="telegram", payload="{}", message_count=2,
                             tg_chat_id=5, okdesk_issue_id=1)
    assert store.add_outbox([again]) == 0
    (head,) = store.chat_heads("telegram")
    assert head.random_ids == row["random_ids"]  # the first random_ids stay: they may already be in Telegram


def test_chat_heads_one_per_chat_in_order_and_blocked_chats_skipped(store: Store) -> None:
    for user in (5, 6):
        _link(store, user)
    rows = [store.outbox_row(dedupe_key=f"k{i}", kind="telegram", payload="{}", message_count=1,
                             tg_chat_id=5 if i < 3 else 6) for i in range(5)]
    store.add_outbox(rows)
    heads = {r.tg_chat_id: r.dedupe_key for r in store.chat_heads("telegram")}
    assert heads == {5: "k0", 6: "k3"}
    store.set_blocked(6, utcnow())
    assert [r.tg_chat_id for r in store.chat_heads("telegram")] == [5]
    assert store.touch_link(6) is not None and len(store.chat_heads("telegram")) == 2


def test_steps_are_recorded_with_their_message_ids_both_ways(store: Store) -> None:
    store.add_outbox([store.outbox_row(dedupe_key="c", kind="telegram", payload="{}", message_count=2,
                                       tg_chat_id=5, okdesk_issue_id=77)])
    (row,) = store.chat_heads("telegram")
    store.record_step(row.id, 1, [900], tg_chat_id=5, okdesk_issue_id=77, okdesk_comment_id=3, done=False)
    store.record_step(row.id, 2, [901], tg_chat_id=5, okdesk_issue_id=77, okdesk_comment_id=3, done=True)
    done = store.get_outbox(row.id)
    assert done.state == "done" and done.progress == 2 and done.tg_message_ids == "[900, 901]"
    assert store.issue_for_message(5, 901) == 77 and store.issue_for_message(5, 902) is None


def test_failure_accounting_and_parking(store: Store) -> None:
    store.add_outbox([store.outbox_row(dedupe_key="c", kind="telegram", payload="{}", message_count=1,
                                       tg_chat_id=5)])
    (row,) = store.chat_heads("telegram")
    later = utcnow() + timedelta(seconds=30)
    store.record_failure(row.id, error="boom", next_try_at=later, budget_spent=12.5, parked=False)
    again = store.get_outbox(row.id)
    assert again.attempts == 1 and again.budget_spent == 12.5 and again.next_try_at == later.replace(
        microsecond=later.microsecond)
    assert again.next_try_at.tzinfo is not None
    store.record_failure(row.id, error="boom", next_try_at=later, budget_spent=99, parked=True)
    assert store.chat_heads("telegram") == []
    assert store.status_counts().outbox_failed.count == 1


def test_issue_plan_is_applied_all_or_nothing(store: Store) -> None:
    now = utcnow()
    store.follow_issue(dict(okdesk_issue_id=1, okdesk_contact_id=7, title="t", status_code=None,
                            okdesk_updated_at=None, comments_count=None, comments_last_at=None, followed_at=now,
                            baseline_done=False, last_fetched_at=None))
    good = store.outbox_row(dedupe_key="a", kind="telegram", payload="{}", message_count=1, tg_chat_id=5)
    broken = dict(good, dedupe_key="b", kind=None)  # NOT NULL violated: the whole plan must roll back
    with pytest.raises(sa.exc.IntegrityError):
        store.apply_issue_plan(1, outbox_rows=[good, broken], seen_comment_ids=[10], seen_attachment_ids=[20],
                               followed_values={"baseline_done": True})
    assert store.seen_ids(1) == (frozenset(), frozenset())
    assert store.chat_heads("telegram") == []
    assert store.followed([1])[1].baseline_done is False


def test_dialog_state_survives_a_new_store(store: Store) -> None:
    store.set_dialog(5, "awaiting_name", {"phone": "79123456789"})
    fresh = Store(store.engine)
    assert fresh.get_dialog(5) == ("awaiting_name", {"phone": "79123456789"})
    fresh.clear_dialog(5)
    assert store.get_dialog(5) is None


def test_a_database_of_each_earlier_schema_migrates_without_loss(db_url: str) -> None:
    """0001 (the core release) -> head: links, followed issues, the outbox and dialogs survive."""
    from alembic import command
    from sqlalchemy import insert

    from syncd.store.db import _alembic_config
    from syncd.store.schema import links

    engine = make_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
        # The link as 0001 wrote it: its columns only (today's save_link writes the company too).
        conn.execute(insert(links).values(tg_user_id=5001, tg_chat_id=5001, tg_access_hash=42, okdesk_contact_id=77,
                                          contact_name="Петров Иван", phone="+79123456789", language="ru",
                                          linked_at=utcnow(), issues_scanned=False, blocked_at=None))
    assert current_revision(engine) == "0001"
    old = Store(engine)
    old.follow_issue(dict(okdesk_issue_id=9, okdesk_contact_id=77, title="Принтер", status_code="opened",
                          okdesk_updated_at=None, comments_count=None, comments_last_at=None,
                          followed_at=utcnow(), baseline_done=True, last_fetched_at=None))
    old.add_outbox([Store.outbox_row(dedupe_key="k1", kind="telegram", payload="{}", message_count=1,
                                     tg_chat_id=5001, okdesk_issue_id=9)])
    old.set_dialog(5001, "awaiting_name", {"phone": "+79123456789"})
    before, after = migrate(engine)
    assert (before, after) == ("0001", head_revision())
    new = Store(engine)
    assert new.get_link(5001).okdesk_contact_id == 77
    assert 9 in new.followed([9])
    assert new.status_counts().outbox_waiting.count == 1
    assert new.get_dialog(5001) == ("awaiting_name", {"phone": "+79123456789"})
    # The new tables work on the migrated database.
    row_id = new.record_message(tg_chat_id=5001, tg_message_id=1, tg_user_id=5001, sent_at=utcnow(),
                                content="{}")
    assert row_id is not None
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_a_database_of_the_inbound_release_migrates_to_ratings_and_companies(db_url: str) -> None:
    """0002 (the inbound release) -> head: links keep their contact and get no company; ratings work."""
    from alembic import command
    from sqlalchemy import insert, select

    from syncd.store.db import _alembic_config
    from syncd.store.schema import issue_ratings, links

    engine = make_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0002")
        conn.execute(insert(links).values(tg_user_id=5002, tg_chat_id=5002, tg_access_hash=1, okdesk_contact_id=78,
                                          contact_name="Ирина", phone="+79123456780", language="ru",
                                          linked_at=utcnow(), issues_scanned=True))
    assert migrate(engine) == ("0002", head_revision())
    store = Store(engine)
    link = store.get_link(5002)
    assert (link.okdesk_contact_id, link.phone) == (78, "+79123456780")
    assert (link.okdesk_company_id, link.okdesk_maintenance_entity_id) == (None, None)
    with engine.begin() as conn:
        conn.execute(insert(issue_ratings).values(okdesk_issue_id=9, tg_user_id=5002, okdesk_contact_id=78,
                                                  rate="good", state="done", created_at=utcnow()))
        assert conn.execute(select(issue_ratings.c.rate)).scalar_one() == "good"
        compared = compare_metadata(MigrationContext.configure(conn), metadata)
    assert compared == []
    engine.dispose()


def _rows_at_0005(conn: sa.Connection) -> None:
    """Each "outcome unknown" marker as the code of 0005 wrote it, and rows that must stay as they are."""
    from sqlalchemy import insert

    from syncd.store.schema import inbound_jobs, issue_ratings, outbox

    now = utcnow()
    for job_id, state in ((1, "posting"), (2, "queued"), (3, "done")):
        conn.execute(insert(inbound_jobs).values(
            id=job_id, tg_user_id=5, tg_chat_id=5, state=state, action="comment", okdesk_issue_id=40,
            fingerprint="f" * 64, sent_at=now, attempts=0, next_try_at=now, budget_spent=0.0, dropped_files="[]",
            created_at=now))
    for issue_id, state in ((9, "posting"), (10, "done")):
        conn.execute(insert(issue_ratings).values(okdesk_issue_id=issue_id, tg_user_id=5, okdesk_contact_id=7,
                                                  rate="good", state=state, created_at=now))
    notices = ((1, "okdesk_notice", "pending", "outcome unknown: posting"),
               (2, "okdesk_notice", "pending", "outcome unknown: timed out"),
               (3, "okdesk_notice", "pending", "HTTP 500"),
               (4, "okdesk_notice", "pending", None),
               (5, "okdesk_notice", "done", "outcome unknown: posting"),
               (6, "telegram", "pending", "outcome unknown: posting"))
    for outbox_id, kind, state, error in notices:
        conn.execute(insert(outbox).values(id=outbox_id, dedupe_key=f"k{outbox_id}", kind=kind, payload="{}",
                                           tg_chat_id=5, okdesk_issue_id=40, random_ids="[]", progress=0,
                                           state=state, attempts=1, next_try_at=now, budget_spent=0.0,
                                           tg_message_ids="[]", last_error=error, created_at=now))


def _states(conn: sa.Connection) -> tuple[list[str], list[str], list[tuple[str, str | None]]]:
    from syncd.store.schema import inbound_jobs, issue_ratings, outbox

    jobs = list(conn.execute(sa.select(inbound_jobs.c.state).order_by(inbound_jobs.c.id)).scalars())
    ratings = list(conn.execute(sa.select(issue_ratings.c.state).order_by(issue_ratings.c.okdesk_issue_id)).scalars())
    notices = [(r.state, r.last_error) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id))]
    return jobs, ratings, notices


def test_0006_makes_every_outcome_unknown_marker_one_unsure_state_and_back(db_url: str) -> None:
    """Jobs and ratings "posting", pending notices whose error says "outcome unknown": all unsure; the
    downgrade gives each its old marker back; everything else is left as it was."""
    from alembic import command

    from syncd.store.db import _alembic_config
    from syncd.store.states import UNSURE

    engine = make_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0005")
        _rows_at_0005(conn)
        before = _states(conn)
    assert migrate(engine) == ("0005", head_revision())
    with engine.connect() as conn:
        jobs, ratings, notices = _states(conn)
    assert jobs == [UNSURE, "queued", "done"]
    assert ratings == [UNSURE, "done"]
    assert notices == [(UNSURE, "outcome unknown: posting"), (UNSURE, "outcome unknown: timed out"),
                       ("pending", "HTTP 500"), ("pending", None), ("done", "outcome unknown: posting"),
                       ("pending", "outcome unknown: posting")]
    store = Store(engine)
    assert [r.okdesk_issue_id for r in store.ratings_unsure()] == [9]
    assert [r.id for r in store.due_items("okdesk_notice", utcnow())] == [1, 2, 3, 4]
    assert store.contacts_creating_issues() == set()  # the unsure job comments, it creates nothing
    assert store.status_counts().inbound_waiting.count == 2
    with engine.begin() as conn:
        # An item that became unsure under the new code, with no words of its own.
        conn.execute(sa.text("UPDATE outbox SET state = 'unsure', last_error = NULL WHERE id = 4"))
        command.downgrade(_alembic_config(conn), "0005")
        jobs, ratings, notices = _states(conn)
    assert (jobs, ratings) == (before[0], before[1])
    assert notices == [*before[2][:3], ("pending", "outcome unknown: posting"), *before[2][4:]]
    engine.dispose()


def test_0007_gives_jobs_an_ack_clock_and_mark_that_older_jobs_start_without(db_url: str) -> None:
    """inbound_jobs.queued_at and acked_at: NULL for the jobs already there (their clock runs from
    created_at, and an open one is acknowledged once due, as any other); the downgrade drops them."""
    from alembic import command
    from sqlalchemy import insert

    from syncd.store.db import _alembic_config
    from syncd.store.schema import inbound_jobs
    from syncd.store.states import JOB_ASKING, JOB_QUEUED

    engine = make_engine(db_url)
    now = utcnow()
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0006")
        old_jobs = sa.table("inbound_jobs", *(sa.column(c.name) for c in inbound_jobs.c
                                             if c.name not in ("queued_at", "acked_at")))
        for job_id, state in ((1, "queued"), (2, "asking"), (3, "done")):
            conn.execute(insert(old_jobs).values(
                id=job_id, tg_user_id=5, tg_chat_id=5, state=state, action="comment", okdesk_issue_id=40,
                fingerprint="f" * 64, sent_at=now, attempts=0, next_try_at=now, budget_spent=0.0, dropped_files="[]",
                created_at=now))
    assert migrate(engine) == ("0006", head_revision())
    store = Store(engine)
    assert [(j.id, j.queued_at, j.acked_at) for j in store.unacked_jobs()] == [(1, None, None)]
    assert store.ack_job(1, store.outbox_row(dedupe_key="inbound-ack:1", kind="telegram", payload="{}",
                                             message_count=1, tg_chat_id=5))
    assert not store.ack_job(1, store.outbox_row(dedupe_key="inbound-ack:1b", kind="telegram", payload="{}",
                                                 message_count=1, tg_chat_id=5))  # once per job
    assert store.unacked_jobs() == [] and [r.dedupe_key for r in store.due_items("telegram", utcnow())] == [
        "inbound-ack:1"]
    # The question answered: the clock starts then; back from unsure it does not start again.
    assert store.update_job(2, only_if_state=[JOB_ASKING], state=JOB_QUEUED)
    asked = store.get_job(2)
    assert asked is not None and asked.queued_at is not None and asked.queued_at >= now
    store.update_job(2, state="unsure")
    store.update_job(2, state=JOB_QUEUED)
    again = store.get_job(2)
    assert again is not None and again.queued_at == asked.queued_at
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0006")
        columns = {c["name"] for c in sa.inspect(conn).get_columns("inbound_jobs")}
    assert "queued_at" not in columns and "acked_at" not in columns
    engine.dispose()


def test_the_head_the_code_names_is_alembics_own() -> None:
    from alembic.script import ScriptDirectory

    from syncd.store.db import HEAD, _alembic_config, known_revisions

    scripts = ScriptDirectory.from_config(_alembic_config())
    assert scripts.get_current_head() == HEAD
    assert known_revisions() == {rev.revision for rev in scripts.walk_revisions()}


def test_a_start_on_a_current_database_loads_no_alembic(tmp_path: Path) -> None:
    """Alembic stays out of the daemon's memory unless a migration is due (issue 13: its memory)."""
    import json
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'syncd.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    probe = ("import json, sys; from syncd.store import make_engine, migrate; "
             f"print(json.dumps([migrate(make_engine({url!r})), 'alembic' in sys.modules]))")
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60,
                          env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"})
    (before, after), loaded = json.loads(done.stdout)
    assert before == after == head_revision() and loaded is False
