"""The daemon learns how the Okdesk account behaves from its own data, says so, and spends it on speed.

Two unknowns (../shared/okdesk-api.md, open questions 3 and 4): whether /issues/list honours
`updated_since` at all, and whether a new comment bumps its issue's `updated_at`. The emulator has a
switch for each variant; under each, every comment arrives once, and `syncd status` / `syncd check`
say what was learned, from which issue, in exactly these words.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.e2e.conftest import Daemon, syncd_env
from tests.e2e.helpers import eventually, link_client, texts_to, wait_text

pytestmark = pytest.mark.e2e


def at_noon(emu: Any) -> datetime:
    """Okdesk's clock moved to noon of the account's day: "earlier today" exists whenever this runs."""
    real = datetime.now(timezone.utc)
    noon = real.astimezone(emu.tz).replace(hour=12, minute=0, second=0, microsecond=0)
    emu.options.clock_offset = (noon - real).total_seconds()
    return noon.astimezone(timezone.utc)


def syncd(daemon: Daemon, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syncd", *args, "--config", str(daemon.config_path)],
                          capture_output=True, text=True, env=syncd_env(), timeout=60, cwd=daemon.workdir)


def account(daemon: Daemon) -> dict[str, Any]:
    done = syncd(daemon, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["okdesk_account"]


def check_line(daemon: Daemon, name: str) -> str:
    out = syncd(daemon, "check").stdout.splitlines()
    (line,) = [x for x in out if f" {name}: " in x]
    return line


def iso(emu: Any, issue_id: int) -> str:
    return datetime.fromisoformat(emu.get_issue(issue_id)["updated_at"]).astimezone(timezone.utc).isoformat()


@pytest.mark.parametrize("mode", ["honoured", "date_only", "ignored"])
def test_how_updated_since_is_read_is_learned_and_every_comment_still_arrives(mode, make_daemon, emu, tg,
                                                                             employee) -> None:
    emu.options.updated_since_filter = mode
    noon = at_noon(emu)
    months_ago = emu.add_issue("Давняя заявка")
    emu.backdate_issue(months_ago, noon - timedelta(days=40))
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    issue_id = emu.add_issue("Принтер на втором этаже", contact_id=contact_id)
    daemon.wait_event("baseline_seen", issue_id=issue_id)
    # Last touched this morning: "honoured" needs the store to have seen that (the sweep comes by), and
    # then the issue not to come back; "date_only" lists it.
    emu.backdate_issue(issue_id, noon - timedelta(hours=3))

    learned = daemon.wait_event("okdesk_updated_since_learned", mode=mode, timeout=20)
    evidence = {"honoured": issue_id, "date_only": issue_id, "ignored": months_ago}[mode]
    state = eventually(lambda: (a := account(daemon))["updated_since"]["issue_id"] == evidence and a,
                       what="the evidence in syncd status")["updated_since"]
    prefix = {"honoured": "honoured", "date_only": "read as a date only", "ignored": "ignored"}[mode]
    verb = "was not listed" if mode == "honoured" else "was listed"
    pattern = (rf"{re.escape(prefix)} \(issue {evidence}, updated at {re.escape(iso(emu, evidence))}, {verb} "
               rf"for updated_since \S+\)")
    if mode != "honoured":
        pattern += re.escape(": each poll reads the list newest first and stops there")
    assert re.fullmatch(pattern, state["words"]), state["words"]
    assert learned["words"] == state["words"] and state["mode"] == mode
    level = "warn" if mode == "ignored" else "ok"
    assert check_line(daemon, "Okdesk account updated_since") == (
        f"{level:<4}  Okdesk account updated_since: {state['words']}")

    # Whatever Okdesk does with the filter, a poll costs one page, and comments arrive once.
    before = len([r for r in emu.requests if r.path.endswith("/issues/list")])
    daemon.wait_cycles(4)
    polls = len([r for r in emu.requests if r.path.endswith("/issues/list")]) - before
    # A poll in flight at the first count is counted before it but ends within the four cycles: one less.
    assert 3 <= polls <= 6
    emu.add_comment(issue_id, "<p>картридж заменён</p>", author=("employee", employee))
    wait_text(tg, user, "картридж заменён")
    daemon.wait_cycles(3)
    assert sum("картридж заменён" in t for t in texts_to(tg, user)) == 1


@pytest.mark.parametrize("bump", [True, False], ids=["comments-bump", "comments-do-not-bump"])
def test_whether_comments_bump_updated_at_is_learned_and_said_in_words(bump, make_daemon, emu, tg,
                                                                      employee) -> None:
    emu.options.comments_bump_updated_at = bump
    noon = at_noon(emu)
    daemon = make_daemon(sync={"bump_evidence": 2}).start()
    user, contact_id = link_client(tg, emu, daemon)
    issues = [emu.add_issue(f"Заявка {n}", contact_id=contact_id) for n in (1, 2)]
    for issue_id in issues:
        daemon.wait_event("baseline_seen", issue_id=issue_id)
        emu.backdate_issue(issue_id, noon - timedelta(hours=3))
    for n, issue_id in enumerate(issues):
        emu.add_comment(issue_id, f"<p>ответ {n}</p>", author=("employee", employee))
        wait_text(tg, user, f"ответ {n}")

    verdict = daemon.wait_event("okdesk_comment_bump_verdict", verdict="yes" if bump else "no", timeout=20)
    said = eventually(lambda: (a := account(daemon))["comments_bump_updated_at"]["verdict"] != "unknown" and a,
                      what="the verdict in syncd status")["comments_bump_updated_at"]
    if bump:
        words = "yes (seen on 2 issues)"
        assert (said["seen_on_issues"], said["proof_issue_id"]) == (2, None)
    else:
        assert said["proof_issue_id"] in issues and 3 * 3600 <= said["proof_seconds"] < 3 * 3600 + 120
        words = f"no: issue {said['proof_issue_id']} has a comment 3 h newer than its updated_at"
    assert said["words"] == verdict["words"] == words
    level = "ok" if bump else "warn"
    assert check_line(daemon, "Okdesk account comments bump updated_at") == (
        f"{level:<4}  Okdesk account comments bump updated_at: {words}")


def test_once_comments_are_known_to_bump_the_poll_runs_every_few_seconds(make_daemon, emu, tg, employee) -> None:
    """Production defaults (budget 120 a minute, the poll interval adaptive). The client's own comment
    settles it: the daemon looks at the issue right after posting it, sees the comment's moment as the
    issue's last update and nothing else changed, and the poll speeds up to about one every 1.7 s."""
    emu.options.comments_bump_updated_at = True
    daemon = make_daemon(sync={"poll_interval": None, "bump_evidence": 1},
                         okdesk={"max_requests_per_minute": 120}).start()
    user, contact_id = link_client(tg, emu, daemon)
    tg.send_text(user, "📝 Новая заявка")
    wait_text(tg, user, "Опишите проблему")
    tg.send_text(user, "Не работает сканер")
    (confirm,) = wait_text(tg, user, "✅ Заявка")
    (issue,) = eventually(lambda: emu.issues_of_contact(contact_id), what="issue created")
    # Written an hour ago: a comment within a minute of its issue's birth may have come with it.
    emu.backdate_issue(issue["id"], datetime.now(timezone.utc) - timedelta(hours=1))
    assert daemon.find("okdesk_comment_bump_verdict") == []
    tg.send_text(user, "Модель Canon LiDE 300", reply_to=confirm.id)
    wait_text(tg, user, "Комментарий добавлен")
    verdict = daemon.wait_event("okdesk_comment_bump_verdict", verdict="yes", timeout=20)
    assert verdict["poll_interval"] == pytest.approx(1.69, abs=0.01)
    assert verdict["words"] == "yes (seen on 1 issues)"
    start = len(daemon.find("poll_done"))
    daemon.wait_cycles(6, timeout=20)
    stamps = [datetime.fromisoformat(e["timestamp"]) for e in daemon.find("poll_done")[start:]]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    assert 1.5 <= statistics.median(gaps) <= 2.0, gaps  # each due 1.69 s after the last one started
    written = datetime.now(timezone.utc)
    emu.add_comment(issue["id"], "<p>сканер настроен</p>", author=("employee", employee))
    (msg,) = wait_text(tg, user, "сканер настроен", timeout=10)
    assert msg.at - written.timestamp() <= 5.0
    assert account(daemon)["poll_interval_seconds"] == pytest.approx(1.69, abs=0.01)


def test_an_updated_since_that_hides_recent_issues_is_caught_and_nothing_is_lost(make_daemon, emu, tg,
                                                                                employee) -> None:
    """Okdesk reading the filter's wall time as UTC (the account is at +03:00) lists nothing of the last
    three hours. The newest issue, asked before a poll, is not in its answer: the filter is dropped,
    and the staff's new issue and their comment on it reach the client all the same."""
    emu.options.updated_since_filter = "utc"
    daemon = make_daemon(sync={"updated_since_check": 1}).start()
    user, contact_id = link_client(tg, emu, daemon)
    issue_id = emu.add_issue("Не работает сканер", contact_id=contact_id)  # only a poll can find it
    learned = daemon.wait_event("okdesk_updated_since_learned", mode="misread", timeout=20)
    pattern = (rf"misread \(issue {issue_id}, updated at {re.escape(iso(emu, issue_id))}, was not listed for "
               rf"updated_since \S+\): each poll reads the list newest first and stops there")
    assert re.fullmatch(pattern, learned["words"]), learned["words"]
    assert check_line(daemon, "Okdesk account updated_since") == (
        f"warn  Okdesk account updated_since: {learned['words']}")
    daemon.wait_event("issue_followed", issue_id=issue_id, timeout=20)
    emu.add_comment(issue_id, "<p>сканер настроен</p>", author=("employee", employee))
    wait_text(tg, user, "сканер настроен", timeout=20)
    daemon.wait_cycles(3)
    assert sum("сканер настроен" in t for t in texts_to(tg, user)) == 1
    dropped_at = datetime.fromisoformat(learned["timestamp"]).timestamp()
    lists = [r for r in emu.requests if r.path.endswith("/issues/list") and r.started > dropped_at + 0.5]
    assert lists and not [r for r in lists if "updated_since" in r.query]  # never sent again


def test_a_comment_on_an_issue_followed_at_linking_arrives_though_comments_do_not_bump(make_daemon, emu, tg,
                                                                                      employee) -> None:
    """Following costs no request: the issue is first fetched when it changes, or when the sweep comes by.
    A comment that does not bump updated_at is found only by that visit: it must come for every issue."""
    daemon = make_daemon().start()
    contact_id = emu.add_contact("Иван", "Петров", phone="+79123456789")
    issue_id = emu.add_issue("Было до привязки", contact_id=contact_id)
    emu.backdate_issue(issue_id, datetime.now(timezone.utc) - timedelta(days=3))
    user, _ = link_client(tg, emu, daemon, contact_phone=None)
    daemon.wait_event("issue_followed", issue_id=issue_id)
    emu.add_comment(issue_id, "<p>ответ по старой заявке</p>", author=("employee", employee))
    wait_text(tg, user, "ответ по старой заявке", timeout=20)
    daemon.wait_cycles(3)
    assert sum("ответ по старой заявке" in t for t in texts_to(tg, user)) == 1
