"""One daemon per database: the lease (syncd.store.lease) on SQLite and on PostgreSQL (127.0.0.1:5432;
skipped with a reason when absent) through the fixtures of test_store."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncd.clock import utcnow
from syncd.config import ConfigError, load_settings
from syncd.store import make_engine
from syncd.store.lease import Lease, LeaseHeld, LeaseLost, keep_renewed, local_identity, read_holder
from tests.unit import test_store as _store_tests
from tests.unit.test_config import REQUIRED_ENV

db_url = _store_tests.db_url

TIMEOUT = 30.0
HERE = local_identity()


@pytest.fixture
def engine(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    engine = _store_tests.migrated_engine(db_url, tmp_path_factory)
    yield engine
    engine.dispose()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped): nobody has it now."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def age_by(engine: sa.Engine, seconds: float) -> None:
    """As if the holder had last renewed ``seconds`` earlier, by the database's own clock."""
    if engine.dialect.name == "sqlite":
        sql = f"UPDATE daemon_lease SET renewed_at = strftime('%Y-%m-%d %H:%M:%f', 'now', '-{seconds} seconds')"
    else:
        sql = f"UPDATE daemon_lease SET renewed_at = now() - interval '{seconds} seconds'"
    with engine.begin() as conn:
        conn.execute(sa.text(sql))


def elsewhere(engine: sa.Engine, pid: int = 4242, host: str = "db-standby") -> Lease:
    """A daemon on another host: its pid cannot be looked up from here."""
    return Lease(engine, TIMEOUT, host=host, host_id=f"{host}/other-machine/pid:[1]", pid=pid)


def test_the_first_takes_the_lease_a_second_is_refused_with_the_holder_named(engine: sa.Engine) -> None:
    first = elsewhere(engine, pid=4242, host="app-1")
    assert first.acquire() is None  # it was free
    holder = read_holder(engine)
    assert holder is not None and (holder.host, holder.pid, holder.token) == ("app-1", 4242, first.token)
    # The database's clock, read back as aware UTC on both databases (SQLite keeps text, PostgreSQL timestamptz).
    assert holder.started_at is not None and abs(holder.started_at - utcnow()) < timedelta(seconds=5)
    assert holder.started_at.utcoffset() == timedelta(0)
    assert -1 < holder.age < 2
    second = Lease(engine, TIMEOUT)  # this host, this process
    with pytest.raises(LeaseHeld) as refused:
        second.acquire()
    words = str(refused.value)
    assert "host app-1, pid 4242, since " + holder.started_at.strftime("%Y-%m-%d %H:%M:%S UTC") in words
    assert "expires in 30 s" in words or "expires in 29 s" in words
    assert read_holder(engine).token == first.token  # the refusal changed nothing


def test_an_expired_lease_is_taken_over_and_one_still_renewed_is_not(engine: sa.Engine) -> None:
    first = elsewhere(engine)
    first.acquire()
    age_by(engine, TIMEOUT - 5)
    with pytest.raises(LeaseHeld, match=r"renewed 2[56] s ago.*expires in [45] s"):
        Lease(engine, TIMEOUT).acquire()
    first.renew()
    assert read_holder(engine).age < 2
    age_by(engine, TIMEOUT + 1)
    me = Lease(engine, TIMEOUT)
    taken = me.acquire()
    assert taken is not None and (taken.host, taken.pid) == ("db-standby", 4242)
    holder = read_holder(engine)
    assert (holder.token, holder.pid, holder.host_id) == (me.token, me.pid, HERE)


def test_expiry_is_judged_by_the_holders_own_timeout_not_the_contenders(engine: sa.Engine) -> None:
    slow = elsewhere(engine)
    slow.timeout = 120.0  # it renews every 40 s
    slow.acquire()
    age_by(engine, 60)
    with pytest.raises(LeaseHeld, match=r"expires in (59|60) s \(its state.lease_timeout is 120 s\)"):
        Lease(engine, 30.0).acquire()
    age_by(engine, 121)
    assert Lease(engine, 30.0).acquire().timeout == 120.0
    assert read_holder(engine).timeout == 30.0


def test_a_dead_daemon_on_this_host_is_taken_over_at_once_a_live_one_or_another_hosts_is_not(
        engine: sa.Engine) -> None:
    pid = dead_pid()
    Lease(engine, TIMEOUT, pid=pid).acquire()  # this host; killed without a clean stop
    # From another host the pid means nothing: its lease must expire first.
    with pytest.raises(LeaseHeld, match=f"pid {pid}"):
        elsewhere(engine, pid=7).acquire()
    me = Lease(engine, TIMEOUT)
    assert me.acquire().pid == pid
    # A live process on this host (here: this test's own parent) keeps its lease, however it was started.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE daemon_lease SET pid = :pid"), {"pid": os.getppid()})
    with pytest.raises(LeaseHeld):
        Lease(engine, TIMEOUT, pid=dead_pid()).acquire()
    # A dead pid on a host of the same name but another machine (a cloned VM): not ours to judge.
    gone = dead_pid()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE daemon_lease SET pid = :pid, host_id = :other"),
                     {"pid": gone, "other": HERE + "-clone"})
    with pytest.raises(LeaseHeld):
        Lease(engine, TIMEOUT).acquire()
    # A holder "on this host" with this very pid proves nothing (two containers' pid 1 on look-alike
    # hosts): only a process the kernel says is gone frees a lease before it expires.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE daemon_lease SET pid = :pid, host_id = :here"), {"pid": os.getpid(), "here": HERE})
    with pytest.raises(LeaseHeld):
        Lease(engine, TIMEOUT).acquire()


def test_renewal_keeps_the_lease_and_finds_it_lost_once_another_took_it(engine: sa.Engine) -> None:
    me = Lease(engine, TIMEOUT)
    me.acquire()
    age_by(engine, 20)
    me.renew()
    assert read_holder(engine).age < 2
    # Paused past the timeout (a frozen VM, SIGSTOP): nobody took it yet, so renewing simply goes on.
    age_by(engine, TIMEOUT + 10)
    me.renew()
    assert read_holder(engine).token == me.token
    age_by(engine, TIMEOUT + 10)
    other = elsewhere(engine, host="app-2", pid=99)
    other.acquire()
    with pytest.raises(LeaseLost, match="host app-2, pid 99"):
        me.renew()
    assert read_holder(engine).token == other.token  # the loser's renewal changed nothing


def test_a_clean_stop_releases_the_lease_and_only_its_own(engine: sa.Engine) -> None:
    me = Lease(engine, TIMEOUT)
    me.acquire()
    stranger = elsewhere(engine)
    assert stranger.release() is False and read_holder(engine).token == me.token
    assert me.release() is True
    assert read_holder(engine) is None
    assert stranger.acquire() is None  # free: taken at once from any host
    assert me.release() is False
    with pytest.raises(LeaseLost, match="db-standby"):
        me.renew()


@pytest.fixture
def live_pids() -> Iterator[list[int]]:
    """Six processes alive on this host (a contender's pid must be alive to the others)."""
    sleepers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(6)]
    yield [p.pid for p in sleepers]
    for sleeper in sleepers:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("before", ["free", "expired", "dead_here"])
def test_racing_starts_exactly_one_wins(db_url: str, engine: sa.Engine, live_pids: list[int], before: str) -> None:
    """Contenders that all see the lease free (or expired, or its holder dead on this host) at the same
    moment: one takes it, every other is refused naming the winner. Each has its own engine (own
    connections), as separate processes would."""
    if before == "expired":
        elsewhere(engine, pid=1).acquire()
        age_by(engine, TIMEOUT + 1)
    elif before == "dead_here":
        Lease(engine, TIMEOUT, pid=dead_pid()).acquire()
    contenders = len(live_pids)
    engines = [make_engine(db_url) for _ in range(contenders)]
    if before == "dead_here":  # all on this host: the dead holder is theirs to judge
        leases = [Lease(e, TIMEOUT, host=f"h{i}", pid=pid) for i, (e, pid) in enumerate(zip(engines, live_pids))]
    else:  # each on a host of its own
        leases = [Lease(e, TIMEOUT, host=f"h{i}", host_id=f"h{i}", pid=pid)
                  for i, (e, pid) in enumerate(zip(engines, live_pids))]
    barrier = threading.Barrier(contenders)
    won: list[Lease] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def start(lease: Lease) -> None:
        barrier.wait()
        try:
            lease.acquire()
            won.append(lease)
        except LeaseHeld as exc:
            refused.append(exc.holder.token)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for e in engines:
        e.dispose()
    assert errors == []
    assert len(won) == 1, [w.host for w in won]
    assert refused == [won[0].token] * (contenders - 1)
    assert read_holder(engine).token == won[0].token


def test_the_keeper_renews_and_calls_on_lost_once_the_lease_is_gone(engine: sa.Engine) -> None:
    class Flaky(Lease):
        """The database failing once while renewing: logged, tried again, the lease kept."""
        failures = 1

        def renew(self) -> None:
            if self.failures:
                self.failures -= 1
                raise sa.exc.OperationalError("UPDATE", {}, Exception("server closed the connection"))
            super().renew()

    me = Flaky(engine, 1.5)
    me.acquire()
    first_renewal = read_holder(engine).renewed_at
    lost: list[LeaseLost] = []

    async def scenario() -> None:
        task = asyncio.create_task(keep_renewed(me, lost.append))
        await asyncio.sleep(1.2)  # the failure at 0.5 s, a retry soon after, then renewals every 0.5 s
        assert me.failures == 0 and not task.done()
        assert read_holder(engine).renewed_at > first_renewal
        with engine.begin() as conn:  # another daemon's takeover
            conn.execute(sa.text("UPDATE daemon_lease SET holder_token = 'someone-else', host = 'app-9', pid = 9"))
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert len(lost) == 1 and "host app-9, pid 9" in str(lost[0])


def test_lease_timeout_is_a_setting_greater_than_zero(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[state]\nlease_timeout = 0\n")
    with pytest.raises(ConfigError, match="state.lease_timeout must be greater than 0"):
        load_settings(cfg, REQUIRED_ENV)
    assert load_settings(None, REQUIRED_ENV).state.lease_timeout == 30.0
    assert load_settings(None, {**REQUIRED_ENV, "SYNCD_STATE_LEASE_TIMEOUT": "12.5"}).state.lease_timeout == 12.5


def test_status_names_the_daemon_holding_the_database(engine: sa.Engine) -> None:
    from syncd.commands.status import collect, render
    from syncd.store import Store

    store = Store(engine)
    assert collect(store, utcnow())["daemon"] is None
    assert "not running (no daemon holds the database)" in render(collect(store, utcnow()))
    elsewhere(engine, host="app-1", pid=4242).acquire()
    age_by(engine, 3)
    report = collect(store, utcnow())
    daemon = report["daemon"]
    assert (daemon["host"], daemon["pid"], daemon["lease_timeout_seconds"], daemon["lease_expired"]) == (
        "app-1", 4242, TIMEOUT, False)
    assert 2.5 < daemon["lease_renewed_age_seconds"] < 5
    since = read_holder(engine).started_at.strftime("%Y-%m-%d %H:%M:%S")
    assert f"running on host app-1, pid 4242, since {since} UTC; lease renewed " in render(report)
    assert re.search(r"lease renewed [34] s ago", render(report))
    age_by(engine, 45)
    assert "NOT RUNNING or frozen: host app-1, pid 4242" in render(collect(store, utcnow()))


@pytest.mark.parametrize("failure", ["refused", "hung"])
def test_a_lease_that_cannot_be_renewed_is_given_up_before_another_may_take_it(engine: sa.Engine,
                                                                              failure: str) -> None:
    class Unreachable(Lease):
        """The database refusing every renewal, or a renewal stuck on a connection that never answers."""

        def renew(self) -> None:
            if failure == "hung":
                time.sleep(3)
            raise sa.exc.OperationalError("UPDATE", {}, Exception("connection refused"))

    me = Unreachable(engine, 1.5)
    me.acquire()
    lost: list[LeaseLost] = []

    async def scenario() -> float:
        started = time.monotonic()
        await asyncio.wait_for(keep_renewed(me, lost.append), 5)
        return time.monotonic() - started

    took = asyncio.run(scenario())
    assert len(lost) == 1 and "could not be renewed" in str(lost[0])
    # Given up before its expiry (1.5 s after the last renewal): no second daemon could act beside it.
    assert took < 1.5
