"""One daemon per database: two `syncd run` with state directories of their own on one database (SQLite
through `state.database_url`, or PostgreSQL). The second is refused before it touches Telegram or
Okdesk, naming the first; once the first is killed, the second starts at once (the first's pid is gone
on this host) and delivers what was waiting, exactly once."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncd.store import make_engine
from syncd.store.lease import read_holder
from tests.e2e.helpers import eventually, link_client, texts_to, wait_baseline, wait_text
from tests.pg import database_url, fresh_database

pytestmark = pytest.mark.e2e

# What a daemon logs once it reached Telegram or Okdesk, or sent anything: none of it from a refused one.
ACTING = {"telegram_ready", "ready", "poll_done", "delivered", "issue_followed", "lease_taken"}


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, outside both daemons' state directories."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared' / 'syncd.sqlite3'}"
        return
    with fresh_database("syncd_e2e_") as name:
        yield database_url(name, driver=False)  # the plain scheme, as a sysadmin writes it


def count(tg: Any, user: Any, needle: str) -> int:
    return sum(needle in t for t in texts_to(tg, user))


def test_a_second_daemon_is_refused_then_takes_over_from_a_killed_one(shared_db, make_daemon, emu, tg,
                                                                      employee) -> None:
    first = make_daemon(state={"database_url": shared_db}).start()
    user, contact_id = link_client(tg, emu, first)
    issue_id = emu.add_issue("Один демон на базу", contact_id=contact_id)
    wait_baseline(first, issue_id)

    second = make_daemon(state={"database_url": shared_db})
    began = time.monotonic()
    second.start(wait_ready=False)
    emu.add_comment(issue_id, "<p>первый ответ</p>", author=("employee", employee))  # the first's work goes on
    assert second.proc is not None and second.proc.wait(timeout=30) == 3
    took = time.monotonic() - began
    (refusal,) = second.find("cannot_start")
    assert f"host {socket.gethostname()}, pid {first.proc.pid}, since " in refusal["error"]
    assert "only one daemon may use a database" in refusal["error"]
    assert took < 20, f"the refusal took {took:.1f} s"
    assert not {e.get("event") for e in second.events} & ACTING  # it never reached Telegram nor Okdesk
    wait_text(tg, user, "первый ответ")
    first.wait_cycles(3)
    assert count(tg, user, "первый ответ") == 1

    # The first is killed while Telegram has stored a message whose answer never reached it; another
    # comment comes while no daemon runs.
    hold = tg.hold("SendMessage")
    emu.add_comment(issue_id, "<p>второй ответ</p>", author=("employee", employee))
    assert hold.reached.wait(15)
    first_pid = first.proc.pid
    first.kill()
    emu.add_comment(issue_id, "<p>третий ответ</p>", author=("employee", employee))
    second.start(timeout=30)  # at once: no waiting out state.lease_timeout (30 s) on this host
    taken = second.wait_event("lease_taken", run=2)
    assert taken["previous_pid"] == first_pid and taken["previous_host"] == socket.gethostname()
    wait_text(tg, user, "третий ответ")
    wait_text(tg, user, "второй ответ")
    second.wait_cycles(3)
    assert [count(tg, user, n) for n in ("первый ответ", "второй ответ", "третий ответ")] == [1, 1, 1]
    assert second.stop() == 0
    # A clean stop leaves the database free for the next start, from any host.
    engine = make_engine(shared_db)
    try:
        assert read_holder(engine) is None
    finally:
        engine.dispose()
    assert second.find("lease_released", run=2)


def test_a_daemon_paused_past_its_lease_stops_at_once_when_it_finds_another_holds_it(shared_db, make_daemon, emu,
                                                                                     tg, employee) -> None:
    """A frozen VM, a SIGSTOP: another daemon takes the expired lease; the first, thawed, finds that at its
    next renewal and exits (3) without a grace: it must not go on acting beside the other."""
    state = {"database_url": shared_db, "lease_timeout": 2}
    first = make_daemon(state=state).start()
    user, contact_id = link_client(tg, emu, first)
    issue_id = emu.add_issue("Замерзший демон", contact_id=contact_id)
    wait_baseline(first, issue_id)
    assert first.proc is not None
    first.proc.send_signal(signal.SIGSTOP)
    try:
        time.sleep(2.5)  # past its lease: the database's clock says it expired
        emu.add_comment(issue_id, "<p>пока первый спал</p>", author=("employee", employee))
        second = make_daemon(state=state).start(timeout=30)
        taken = second.wait_event("lease_taken")
        assert taken["previous_pid"] == first.proc.pid and taken["previous_renewed_ago"] >= 2
        wait_text(tg, user, "пока первый спал")
    finally:
        first.proc.send_signal(signal.SIGCONT)
    assert first.proc.wait(timeout=15) == 3
    assert second.proc is not None
    lost = eventually(lambda: first.find("lease_lost"), what="the first's lease_lost")
    # Thawed, it finds either its own deadline passed (it gives the lease up before looking) or, had its
    # renewal come first, the second daemon holding the lease: both stop it at once.
    error = lost[0]["error"]
    assert (f"host {socket.gethostname()}, pid {second.proc.pid}" in error
            or error.startswith("the database lease could not be renewed for")), error
    assert not first.find("stopping")  # no graceful stop: no grace in which it would still send
    emu.add_comment(issue_id, "<p>после пробуждения</p>", author=("employee", employee))
    wait_text(tg, user, "после пробуждения")
    second.wait_cycles(3)
    assert [count(tg, user, n) for n in ("пока первый спал", "после пробуждения")] == [1, 1]
    assert second.proc.poll() is None  # the second goes on
