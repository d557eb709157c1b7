"""Issue ``author``: Okdesk takes it only from an Administrator's API token (documented, okdesk-api.md §2.1).

However Okdesk words the refusal (a plain 403 naming no field, a 403 naming the author, a 422 naming only
the author or no field), the client's issue is created at once without it, exactly once; the refusal
is remembered for the run only once that create went through, asked again after a restart, and said
by `syncd check`. A 401 is the token, not the author.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from typing import Any

import pytest

from tests.e2e.conftest import Daemon, syncd_env
from tests.e2e.helpers import db_rows, eventually, link_client, texts_to, wait_text
from tests.e2e.inbound_steps import CREATED, new_issue_mode
from tests.okdesk_emulator import Fault

pytestmark = pytest.mark.e2e

CREATES = r"^/api/v1/issues/?$"
REFUSED_LINE = ("warn  Okdesk issue author: Okdesk refused it ({words}, {when}): clients' issues are created "
                "without author, so Okdesk shows the API token's user as their author (the client stays their "
                "contact); an Administrator's API token lets clients be the authors. Asked again at every start")
# What Okdesk answered the create carrying the author, as the check repeats it.
REFUSALS = {"403": (403, '403, "Доступ запрещен"'),
            "403_author": (403, '403, "Недостаточно прав для указания автора заявки"'),
            "422": (422, '422, "{"author": ["недоступен для вашей роли"]}"'),
            "422_unnamed": (422, '422, "{"base": ["Недостаточно прав для выполнения действия"]}"')}


def create_issue(tg: Any, user: Any, text: str, count: int) -> None:
    new_issue_mode(tg, user)
    tg.send_text(user, text)
    wait_text(tg, user, CREATED, count=count)


def posted(daemon: Daemon, count: int) -> None:
    """The jobs' last line read: whatever they logged before it is read too."""
    eventually(lambda: len(daemon.find("inbound_posted")) >= count, what=f"{count} inbound_posted")


def creates(emu: Any, status: int | None = None) -> int:
    return emu.count_requests(CREATES, "POST", status)


def record(daemon: Daemon) -> dict[str, Any] | None:
    rows = db_rows(daemon, "SELECT value FROM kv WHERE key = 'okdesk_issue_author'")
    return json.loads(rows[0]["value"]) if rows else None


def check_line(daemon: Daemon) -> str:
    """`syncd check`'s line about the author, with the daemon's config (it may be running)."""
    done = subprocess.run([sys.executable, "-m", "syncd", "check", "--config", str(daemon.config_path)],
                          capture_output=True, text=True, env=syncd_env(), timeout=60, cwd=daemon.workdir)
    (line,) = [ln for ln in done.stdout.splitlines() if "Okdesk issue author:" in ln]
    return line


def when(stored: dict[str, Any]) -> str:
    return datetime.fromisoformat(stored["at"]).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_author_is_dropped_at_once_for_the_run_and_asked_again_after_a_restart(
        make_daemon, emu, tg, refusal) -> None:
    emu.options.issue_author_refusal = refusal
    status, words = REFUSALS[refusal]
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    create_issue(tg, user, "Первая заявка без права на автора", 1)
    assert (creates(emu), creates(emu, status)) == (2, 1)  # refused, then made without the author at once
    create_issue(tg, user, "Вторая заявка в том же запуске", 2)
    assert creates(emu) == 3  # remembered: no second refusal in this run
    stored = record(daemon)
    assert stored is not None and stored["refused"] is True and stored["error"] == words
    if refusal == "403":  # the default; the check's words are the same for each
        assert check_line(daemon) == REFUSED_LINE.format(words=words, when=when(stored))
        emu.reset_requests()  # the check's own create, invalid on purpose, is not the daemon's
    daemon.stop()
    daemon.start()
    create_issue(tg, user, "Третья заявка после перезапуска", 3)
    # Asked again once in the new run.
    assert (creates(emu), creates(emu, status)) == ((2, 1) if refusal == "403" else (5, 2))
    issues = emu.issues_of_contact(contact_id)
    assert [i["title"] for i in issues] == ["Первая заявка без права на автора", "Вторая заявка в том же запуске",
                                            "Третья заявка после перезапуска"]
    for issue in issues:  # the client's issues still, by contact; Okdesk names the key's user as author
        assert issue["contact"]["id"] == contact_id and issue["author"]["id"] == emu.api_employee_id
    # Once per run (the log is read from the daemon's output, which may trail what Telegram got).
    eventually(lambda: len(daemon.find("okdesk_issue_author_refused")) == 2, what="one refusal a run")
    assert sum(t.startswith(CREATED) for t in texts_to(tg, user)) == 3


@pytest.mark.parametrize("key", ["administrator", "ignoring"])
def test_an_author_okdesk_takes_is_sent_every_time(make_daemon, emu, tg, key) -> None:
    if key == "administrator":
        emu.options.api_key_role = "administrator"
    else:  # Okdesk drops the field without a word: nothing tells, nothing is refused
        emu.options.issue_author_refusal = "ignore"
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    create_issue(tg, user, "Автор — сам клиент", 1)
    create_issue(tg, user, "И эта заявка тоже", 2)
    assert creates(emu) == 2 and creates(emu, 200) == 2
    author = contact_id if key == "administrator" else emu.api_employee_id
    assert [i["author"]["id"] for i in emu.issues_of_contact(contact_id)] == [author, author]
    posted(daemon, 2)
    assert not daemon.find("okdesk_issue_author_refused") and not daemon.find("okdesk_issue_author_probe_refused")
    stored = record(daemon)
    assert stored is not None and stored["refused"] is False
    if key == "administrator":
        assert check_line(daemon) == (f"ok    Okdesk issue author: clients are the authors of their issues "
                                      f"(Okdesk took it, {when(stored)})")


def test_when_the_create_without_author_is_refused_too_nothing_is_learned(make_daemon, emu, tg) -> None:
    """A key that may not create issues at all: both creates are 403, so the 403 was not about the
    author. Nothing is remembered; once the key may (an administrator's now), the client is the author."""
    daemon = make_daemon().start()
    assert check_line(daemon) == ("skip  Okdesk issue author: not known yet: learned from the first issue a "
                                  "client creates (only an Administrator's API token may make the client its "
                                  "author)")
    emu.reset_requests()  # the check's own create, invalid on purpose
    user, contact_id = link_client(tg, emu, daemon)
    emu.options.denied_rights = {"issues.create"}
    new_issue_mode(tg, user)
    tg.send_text(user, "Заявка при ключе без права создавать")
    eventually(lambda: creates(emu, 403) >= 4, what="two tries, each with and without the author")
    assert creates(emu) == creates(emu, 403) and emu.issues_of_contact(contact_id) == []
    assert record(daemon) is None
    emu.options.api_key_role = "administrator"
    emu.options.denied_rights = frozenset()
    wait_text(tg, user, CREATED)
    (issue,) = emu.issues_of_contact(contact_id)
    assert issue["author"]["id"] == contact_id
    posted(daemon, 1)
    assert not daemon.find("okdesk_issue_author_refused")
    stored = record(daemon)
    assert stored is not None and stored["refused"] is False


def test_a_401_is_the_token_and_the_author_is_kept(make_daemon, emu, tg) -> None:
    emu.options.api_key_role = "administrator"
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    emu.add_fault(Fault(kind="status", status=401, path=CREATES, method="POST", times=1))
    create_issue(tg, user, "Ключ на минуту отозван", 1)
    (issue,) = emu.issues_of_contact(contact_id)
    assert issue["author"]["id"] == contact_id  # the next try still carried the author
    assert (creates(emu), creates(emu, 401)) == (2, 1)
    posted(daemon, 1)
    assert not daemon.find("okdesk_issue_author_probe_refused") and not daemon.find("okdesk_issue_author_refused")


def test_a_lost_answer_to_the_create_without_author_is_searched_for_not_posted_again(make_daemon, emu, tg) -> None:
    daemon = make_daemon(okdesk={"timeout": 1}).start()
    user, contact_id = link_client(tg, emu, daemon)
    # The first create (with the author) is refused as usual; the second is made, its answer lost.
    emu.add_fault(Fault(kind="slow", delay=0, path=CREATES, method="POST", times=1))
    lost = emu.add_fault(Fault(kind="after_effect_timeout", delay=2, path=CREATES, method="POST", times=1))
    create_issue(tg, user, "Заявка, ответ на которую потерялся", 1)
    (issue,) = emu.issues_of_contact(contact_id)
    found = daemon.wait_event("inbound_lost_answer_found")
    assert found["found_id"] == issue["id"] and lost.hits == 1
    eventually(lambda: creates(emu) == 2, what="the lost create logged by the emulator")
    daemon.wait_cycles(3)
    assert creates(emu) == 2 and len(emu.issues_of_contact(contact_id)) == 1
    assert record(daemon) is None  # whether the second create went through was not known: nothing learned
    create_issue(tg, user, "Следующая заявка", 2)
    assert creates(emu) == 4 and record(daemon)["refused"] is True
    assert sum(t.startswith(CREATED) for t in texts_to(tg, user)) == 2
