"""`syncd status` and `syncd retry` through the real command line, while the daemon runs.

A parked item shows in `status` and in `retry`'s list, stays parked until the sysadmin re-queues
it (nothing silently dropped, nothing silently resent), and is then delivered exactly once. A
missing or foreign database is refused (exit 3) and never created.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    Daemon,
    assert_clean,
    syncd_env,
    write_config,
)
from tests.e2e.helpers import (
    client_with_issue,
    eventually,
    outbox,
    texts_to,
    wait_text,
)
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

PHONE = "79123456789"  # link_client's phone: checked in every form it could be printed


def syncd(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "syncd", *args, "--config", str(config)], capture_output=True,
                          text=True, env=syncd_env(SYNCD_LOG_FORMAT="json"), timeout=60, cwd=config.parent)
    assert_clean(done.stdout + done.stderr, phones=[PHONE])
    return done


def status(daemon: Daemon) -> dict[str, Any]:
    done = syncd(daemon.config_path, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_parked_delivery_shows_and_is_delivered_once_after_retry(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не доходит", sync={"retry_budget": 0.5, "retry_cap": 0.3}, okdesk={"employee_id": employee})
    # Telegram refuses every send to this client: the item's own failure, parked after its budget.
    tg.fail_next("SendMessage", "MESSAGE_EMPTY", code=400, times=None, user=user)
    emu.add_comment(issue_id, "<p>ответ после повтора</p>", author=("employee", employee))
    parked = daemon.wait_event("delivery_parked", timeout=30)
    (item,) = [r for r in outbox(daemon) if r["state"] == "failed"]
    assert item["id"] == parked["outbox_id"]

    report = eventually(lambda: (r := status(daemon))["last_error"] and r, what="the last error recorded")
    assert report["outbox"]["failed"] == 1 and report["outbox"]["failed_oldest_age_seconds"] >= 0
    assert (report["linked_clients"], report["followed_issues"]) == (1, 1)
    assert report["last_error"]["service"] == "telegram" and "MESSAGE_EMPTY" in report["last_error"]["message"]
    assert report["last_successful_poll"]["age_seconds"] < 10 and report["reconcile_period_seconds"] > 0
    human = syncd(daemon.config_path, "status")
    assert human.returncode == 0
    # A root shell next to the service has its config but not its credentials: enough for status.
    public = daemon.config_path.parent / "public.toml"
    public.write_text("\n".join(ln for ln in daemon.config_path.read_text().splitlines()
                                 if ln.split("=")[0].strip() not in ("api_token", "api_hash", "bot_token")))
    without_secrets = syncd(public, "status")
    assert without_secrets.returncode == 0, without_secrets.stderr
    assert any(ln.split()[:3] == ["outbox", "failed", "1,"] for ln in without_secrets.stdout.splitlines())
    assert any(line.split()[:3] == ["outbox", "failed", "1,"] and line.endswith(" ago")
               for line in human.stdout.splitlines()), human.stdout
    listing = syncd(daemon.config_path, "retry")
    (line,) = [ln for ln in listing.stdout.splitlines() if ln.startswith(f"o{item['id']} ")]
    assert "to client: comment" in line and f"#{issue_id}" in line and "MESSAGE_EMPTY" in line

    # Staff were told once; re-queued while Telegram still refuses, it parks again and they are told again.
    notices = lambda: [c for c in emu.get_comments(issue_id) if "не получил" in c["content"]]  # noqa: E731
    eventually(lambda: len(notices()) == 1, what="the staff notice")
    assert syncd(daemon.config_path, "retry", "--all").returncode == 0
    eventually(lambda: len(notices()) == 2, timeout=30, what="a second notice for the second parking")
    (item,) = [r for r in outbox(daemon) if r["state"] == "failed"]
    # Telegram is fine again, but a parked item waits for the sysadmin: not resent on its own.
    tg.clear_faults()
    daemon.wait_cycles(3)
    assert not any("ответ после повтора" in t for t in texts_to(tg, user))
    assert [r["state"] for r in outbox(daemon) if r["id"] == item["id"]] == ["failed"]

    done = syncd(daemon.config_path, "retry", "--all")
    assert done.returncode == 0 and f"Re-queued 1: o{item['id']}" in done.stdout
    (sent,) = wait_text(tg, user, "ответ после повтора", timeout=15)
    assert sent.random_id in item["random_ids"]  # the random_id chosen before the first attempt
    eventually(lambda: [r["state"] for r in outbox(daemon) if r["id"] == item["id"]] == ["done"])
    daemon.wait_cycles(2)
    assert len([t for t in texts_to(tg, user) if "ответ после повтора" in t]) == 1
    assert syncd(daemon.config_path, "retry").stdout.strip() == "No failed items."


def test_a_parked_inbound_message_shows_and_is_posted_once_after_retry(make_daemon, emu, tg, employee) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Вопрос")
    emu.add_comment(issue_id, "<p>уточните, пожалуйста</p>", author=("employee", employee))
    (staff,) = wait_text(tg, user, "уточните, пожалуйста")
    # Okdesk refuses the comment outright (a 422 not about files): the job is parked at once.
    emu.add_fault(Fault(kind="status", status=422, path=r"/issues/\d+/comments", method="POST", times=None))
    tg.send_text(user, "Уточняю: кабинет 204", reply_to=staff.id)
    failed = daemon.wait_event("inbound_failed", timeout=15)
    (told,) = wait_text(tg, user, "Система поддержки не приняла это сообщение")
    assert "422" not in told.text

    report = status(daemon)
    assert report["inbound"]["failed"] == 1 and report["inbound"]["waiting"] == 0
    listing = syncd(daemon.config_path, "retry")
    (line,) = [ln for ln in listing.stdout.splitlines() if ln.startswith(f"i{failed['job_id']} ")]
    assert "from client: comment" in line and f"#{issue_id}" in line and "422" in line

    emu.clear_faults()
    daemon.wait_cycles(3)
    assert emu.comments_by(issue_id, author=("contact", contact_id)) == []  # parked: not retried on its own
    # By ID; IDs that are not failed items are named and make the exit code 1, the rest is done.
    # The staff reply's delivery (done), beside what the client was told of the refusal.
    (delivered,) = [r["id"] for r in outbox(daemon) if not r["dedupe_key"].startswith("inbound-failed:")]
    job = failed["job_id"]
    done = syncd(daemon.config_path, "retry", f"i{job}", f"o{delivered}", f"i{job + 100}")
    assert done.returncode == 1 and f"Re-queued 1: i{job}" in done.stdout
    assert f"o{delivered}: not failed (it is done)" in done.stderr and f"i{job + 100}: no such item" in done.stderr
    wait_text(tg, user, f"Комментарий добавлен в заявку #{issue_id}")
    daemon.wait_cycles(3)
    comments = emu.comments_by(issue_id, author=("contact", contact_id))
    assert len(comments) == 1 and "кабинет 204" in comments[0]["content"]
    report = status(daemon)
    assert (report["inbound"]["failed"], report["inbound"]["waiting"]) == (0, 0)


def test_no_database_or_a_foreign_one_is_refused_and_never_created(make_daemon, tmp_path) -> None:
    daemon = make_daemon()
    write_config(daemon.config_path, daemon.config())
    for args in (["status", "--json"], ["retry", "--all"]):
        done = syncd(daemon.config_path, *args)
        assert done.returncode == 3, (args, done.stdout, done.stderr)
        assert "there is no database at" in done.stderr and "Traceback" not in done.stderr
        # --json: still one JSON document on stdout, saying why (tests/e2e/test_cli_answers.py).
        assert (json.loads(done.stdout)["error"]["code"] if "--json" in args else done.stdout) in ("no_database", "")
    assert not daemon.state_dir.exists()

    # A database of another schema version: refused as it is, not migrated.
    from syncd.store import make_engine, migrate

    db = daemon.state_dir / "syncd.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    engine.dispose()
    for revision, words, args in (("9999_future", "newer than this syncd", ["status"]),
                                  ("0001", "start the daemon to migrate it", ["retry", "--all"])):
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        done = syncd(daemon.config_path, *args)
        assert done.returncode == 3 and words in done.stderr, (args, done.stderr)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]
