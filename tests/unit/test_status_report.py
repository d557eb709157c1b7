"""`syncd status`'s report (the --json object and its words) and `syncd retry`'s IDs, on a real SQLite store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.clock import utcnow
from syncd.commands.retry import parse_refs, render_items
from syncd.commands.status import collect, render
from syncd.durations import duration_words
from syncd.store import Store, make_engine, migrate
from syncd.store.status_repo import FailedItem

# Monitoring reads these: renaming one is a breaking change (README documents them).
KEYS = {"now", "schema", "linked_clients", "blocked_clients", "followed_issues", "outbox", "inbound", "last_poll",
        "last_successful_poll", "last_error", "reconcile_period_seconds", "telegram_catch_up",
        "okdesk_account", "daemon"}
WIDTH = len("comments bump updated_at")  # the longest label


def line(label: str, value: str) -> str:
    return f"{label.ljust(WIDTH)}  {value}"
QUEUE_KEYS = {"waiting", "waiting_oldest_age_seconds", "failed", "failed_oldest_age_seconds"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.sqlite3'}")
    migrate(engine)
    yield Store(engine)
    engine.dispose()


def test_a_fresh_database_reports_every_key_with_nothing_known(store: Store) -> None:
    report = collect(store, utcnow())
    assert set(report) == KEYS
    assert set(report["outbox"]) == QUEUE_KEYS and set(report["inbound"]) == QUEUE_KEYS | {"asking"}
    assert report["last_poll"] == {"at": None, "age_seconds": None, "ok": None}
    assert report["last_successful_poll"] == {"at": None, "age_seconds": None}
    assert report["last_error"] is None and report["reconcile_period_seconds"] is None
    assert report["telegram_catch_up"] == {"gaps": 0, "incomplete_gaps": 0, "last_gap": None}
    json.dumps(report)  # all of it serializable
    text = render(report)
    assert line("last successful poll", "never") in text and "none recorded" in text and "syncd retry" not in text
    assert "no gap in Telegram's updates" in text
    assert report["okdesk_account"] == {
        "updated_since": {"mode": "unknown", "words": "not known yet", "issue_id": None},
        "comments_bump_updated_at": {"verdict": "unknown", "words": "not known yet", "seen_on_issues": 0,
                                     "proof_issue_id": None, "proof_seconds": None},
        "poll_interval_seconds": None, "worst_comment_delay_seconds": None}
    assert line("comments bump updated_at", "not known yet") in text


def test_a_gap_telegram_skipped_is_reported_with_what_was_read_back(store: Store) -> None:
    now = utcnow()
    gap = {"at": (now - timedelta(minutes=2)).isoformat(), "skipped_updates": 5000, "recovered_messages": 12,
           "scanned_ids": [101, 10100], "complete": False}
    store.set_value("telegram_catch_up", json.dumps({"gaps": 2, "incomplete_gaps": 1, "last_gap": gap}))
    report = collect(store, now)
    assert report["telegram_catch_up"] == {
        "gaps": 2, "incomplete_gaps": 1,
        "last_gap": {"at": gap["at"], "age_seconds": 120.0, "skipped_updates": 5000, "recovered_messages": 12,
                     "scanned_ids": [101, 10100], "complete": False}}
    assert "1 NOT read back in full" in render(report)


def test_what_the_daemon_recorded_is_reported_with_ages(store: Store) -> None:
    now = utcnow()
    store.set_value("last_poll", json.dumps({"at": (now - timedelta(seconds=5)).isoformat(), "ok": False}))
    store.set_value("last_poll_ok", (now - timedelta(minutes=3)).isoformat())
    store.set_value("reconcile_period", json.dumps({"seconds": 3723.4, "followed_issues": 9}))
    store.set_value("last_error", json.dumps({"at": (now - timedelta(hours=2)).isoformat(), "service": "okdesk",
                                              "message": "list issues: unavailable\n(HTTP 503)"}))
    row = store.outbox_row(dedupe_key="k", kind="telegram", payload="{}", message_count=1, tg_chat_id=5)
    row.update(state="failed", created_at=now - timedelta(minutes=4))
    store.add_outbox([row])

    report = collect(store, now)

    assert report["last_poll"]["ok"] is False and report["last_poll"]["age_seconds"] == 5.0
    assert report["last_successful_poll"]["age_seconds"] == 180.0
    assert report["reconcile_period_seconds"] == 3723.4
    assert report["last_error"]["service"] == "okdesk"
    assert report["last_error"]["message"] == "list issues: unavailable (HTTP 503)"  # one line
    assert report["outbox"]["failed"] == 1 and report["outbox"]["failed_oldest_age_seconds"] == 240.0
    lines = render(report).splitlines()
    assert line("outbox failed", "1, the oldest from 4 min ago") in lines
    assert line("last successful poll", "3 min ago") in lines
    assert line("last poll", "5 s ago (Okdesk did not answer)") in lines
    assert line("last error", "2 h ago, okdesk: list issues: unavailable (HTTP 503)") in lines
    assert any(each.startswith(line("reconcile period", "1 h 2 min")) for each in lines)
    assert "`syncd retry`" in lines[-1]


def test_garbled_records_read_as_unknown(store: Store) -> None:
    store.set_value("last_poll", "not json")
    store.set_value("last_poll_ok", "yesterday")
    store.set_value("last_error", json.dumps(["no", "dict"]))
    report = collect(store, utcnow())
    assert report["last_poll"]["at"] is None and report["last_successful_poll"]["at"] is None
    assert report["last_error"] is None


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "0 s"), (59.9, "59 s"), (60, "1 min"), (3599, "59 min"), (3600, "1 h"), (5400, "1 h 30 min"),
    (86400, "1 d"), (90000, "1 d 1 h"), (-3, "0 s"),
])
def test_durations_in_words(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words


def test_item_ids_name_their_queue() -> None:
    assert parse_refs(["o12", "I7", "o3"]) == ([12, 3], [7], [])
    assert parse_refs(["12", "x7", "o", "o1x"]) == ([], [], ["12", "x7", "o", "o1x"])


def test_the_listing_is_aligned_and_shows_no_phone() -> None:
    now = utcnow()
    # A phone in an error text is hidden without knowing the number (the linked ones are not loaded).
    items = [FailedItem("o12", "to client: comment", 5, 40, "MESSAGE_EMPTY for +7 (900) 123-45-67",
                        now - timedelta(minutes=3)),
             FailedItem("i7", "from client: new issue", 123456789, None, None, now - timedelta(hours=1))]
    header, first, second = render_items(items).splitlines()
    assert header.split() == ["ID", "CREATED", "KIND", "CHAT", "ISSUE", "LAST", "ERROR"]
    assert first.startswith("o12  3 min ago") and first.endswith("MESSAGE_EMPTY for ***")
    assert second.startswith("i7   1 h ago") and second.endswith("-")
    assert header.index("KIND") == first.index("to client") == second.index("from client")


def test_a_missing_postgresql_database_is_refused_in_plain_words_and_not_created(tmp_path: Path) -> None:
    import secrets

    import sqlalchemy as sa

    from syncd.commands.status import CannotOpen, open_store
    from syncd.config import load_settings
    from tests.pg import PG_ADMIN_URL, skip_without_pg

    skip_without_pg()
    name = "syncd_missing_" + secrets.token_hex(4)
    config = tmp_path / "config.toml"
    config.write_text(f"""
[okdesk]
url = "http://127.0.0.1:9"
api_token = "t0ken-for-a-test"
[telegram]
api_id = 1
api_hash = "0123456789abcdef0123456789abcdef"
bot_token = "123456789:AAE2eBotTokenForTestsOnly_abcdefghijk"
[state]
dir = "{tmp_path / 'state'}"
database_url = "{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
""", encoding="utf-8")
    with pytest.raises(CannotOpen, match=f'cannot read the database: .*"{name}" does not exist'):
        open_store(load_settings(config))
    admin = sa.create_engine(PG_ADMIN_URL)
    with admin.connect() as conn:
        assert conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None
    admin.dispose()


def test_what_was_learned_of_the_okdesk_account_is_reported_in_words(store: Store) -> None:
    from syncd.sync.account import BumpVerdict, UpdatedSince

    store.set_value("okdesk_comment_bump", BumpVerdict("no", (), 3, 123, 7300.0).to_json())
    store.set_value("okdesk_updated_since", UpdatedSince("ignored", 9, "2026-09-01T10:00:00+00:00",
                                                         "2026-12-07T12:00:00+00:00").to_json())
    store.set_value("reconcile_period", json.dumps({"seconds": 600.0, "followed_issues": 300,
                                                    "poll_interval": 15.0, "worst_comment_delay": 600.0}))
    report = collect(store, utcnow())
    account = report["okdesk_account"]
    assert account["comments_bump_updated_at"]["words"] == "no: issue 123 has a comment 2 h newer than its updated_at"
    assert account["updated_since"]["words"] == (
        "ignored (issue 9, updated at 2026-09-01T10:00:00+00:00, was listed for updated_since "
        "2026-12-07T12:00:00+00:00): each poll reads the list newest first and stops there")
    assert (account["poll_interval_seconds"], account["worst_comment_delay_seconds"]) == (15.0, 600.0)
    lines = render(report).splitlines()
    assert line("comments bump updated_at", "no: issue 123 has a comment 2 h newer than its updated_at") in lines
    assert line("poll interval", "15 s; a staff comment waits at most 10 min to be seen") in lines
    store.set_value("okdesk_comment_bump", BumpVerdict("yes", (1, 2), 41).to_json())
    assert collect(store, utcnow())["okdesk_account"]["comments_bump_updated_at"]["words"] == "yes (seen on 41 issues)"
