"""One daemon per database: a lease in the database itself (table ``daemon_lease``, one row).

A flock guards a state directory, but two state directories (or two hosts) may name the same
database, and two daemons on one database both poll and send: duplicates. So the daemon takes
this lease right after migrating, before it connects to Telegram or polls Okdesk, renews it every
third of ``state.lease_timeout`` and clears it at a clean stop. A second daemon is refused with
the holder's host, pid and start time. The holder's own timeout is kept with the lease: a
contender configured with a shorter one must not judge a live holder expired between renewals.

Every time is the database's own clock (two hosts with skewed clocks agree on an expiry), and
every decision that matters is a conditional UPDATE: two daemons starting at the same instant
cannot both win. SQLite's CURRENT_TIMESTAMP has whole seconds only, so there the time is written
with milliseconds by strftime and ages are taken with julianday; PostgreSQL uses now() (the
transaction's start) and EXTRACT(EPOCH ...).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Float,
    cast,
    extract,
    func,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from syncd.logs import get_logger
from syncd.store.db import driver_reason
from syncd.store.schema import daemon_lease
from syncd.store.sql import insert_ignore

log = get_logger(__name__)

ROW = 1  # the table's only row


class LeaseHeld(Exception):
    """Another daemon holds the database: the message names it, for the sysadmin."""

    def __init__(self, holder: Holder) -> None:
        self.holder = holder
        super().__init__(refusal_words(holder))


class LeaseLost(Exception):
    """The lease this daemon held is another's now (it was paused past the timeout, say)."""


@dataclass(frozen=True)
class Holder:
    token: str
    host: str
    host_id: str | None
    pid: int
    # The holder's own state.lease_timeout (a contender configured otherwise judges by this one).
    timeout: float
    started_at: datetime | None
    renewed_at: datetime | None
    # Seconds since the last renewal, on the database's clock.
    age: float

    @property
    def expires_in(self) -> float:
        """Seconds until the lease expires should its holder stop renewing (negative: it has)."""
        return self.timeout - self.age

    def words(self) -> str:
        since = self.started_at.strftime("%Y-%m-%d %H:%M:%S UTC") if self.started_at else "an unknown time"
        return f"host {self.host}, pid {self.pid}, since {since}"


def refusal_words(holder: Holder) -> str:
    left = max(holder.expires_in, 0.0)
    return (f"another syncd is running on this database: {holder.words()} (lease renewed {holder.age:.0f} s ago); "
            "only one daemon may use a database. Stop that one first. Should it be gone without a clean stop, "
            f"its lease expires in {left:.0f} s (its state.lease_timeout is {holder.timeout:g} s), "
            f"and a start on {holder.host} takes it over as soon as pid {holder.pid} has exited")


def local_identity() -> str:
    """What makes two processes' pids comparable, as a digest (machine-id(5) asks that the id itself
    be kept confidential): the same host name, installation (machine-id), boot (boot_id, where it can
    be read: the unit's ProcSubset=pid hides it) and pid namespace. A host name alone is not enough:
    cloned VMs and containers share names, and a pid looked up in the wrong process table would take
    a live daemon's lease."""
    parts = [socket.gethostname()]
    for path in ("/etc/machine-id", "/proc/sys/kernel/random/boot_id"):
        try:
            parts.append(Path(path).read_text(encoding="ascii").strip())
        except (OSError, UnicodeDecodeError):
            parts.append("")
    try:
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        parts.append("")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user (systemd's DynamicUser gives each start its own)
        return True
    return True


def _db_now(conn: Connection) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        # CURRENT_TIMESTAMP would round to the second; this is UTC with milliseconds.
        return func.strftime("%Y-%m-%d %H:%M:%f", "now")
    return func.now()


def _age(conn: Connection) -> ColumnElement[Any]:
    """Seconds since the row's last renewal, by the database's clock."""
    col = daemon_lease.c.renewed_at
    if conn.dialect.name == "sqlite":
        return (func.julianday("now") - func.julianday(col)) * literal(86400.0)
    return cast(extract("epoch", func.now() - col), Float)


def read_holder(engine: Engine) -> Holder | None:
    """Who holds the lease now; None when nobody does (or the table has no row yet)."""
    with engine.connect() as conn:
        return _read(conn)


def _read(conn: Connection) -> Holder | None:
    c = daemon_lease.c
    row = conn.execute(select(c.holder_token, c.host, c.host_id, c.pid, c.lease_timeout, c.started_at,
                              c.renewed_at, _age(conn).label("age")).where(c.id == ROW)).first()
    if row is None or row.holder_token is None:
        return None
    return Holder(token=row.holder_token, host=row.host or "?", host_id=row.host_id, pid=int(row.pid or 0),
                  timeout=float(row.lease_timeout or 0.0), started_at=row.started_at, renewed_at=row.renewed_at,
                  age=float(row.age or 0.0))


def has_lease_table(engine: Engine) -> bool:
    """Whether the database has the lease's table yet (schema 0005 on): then it is taken before migrating."""
    return inspect(engine).has_table(daemon_lease.name)


class Lease:
    """This process's claim on the database. ``host``, ``host_id`` and ``pid`` are this process's
    unless a test plays another."""

    def __init__(self, engine: Engine, timeout: float, *, host: str | None = None, host_id: str | None = None,
                 pid: int | None = None) -> None:
        self.engine, self.timeout = engine, timeout
        self.host = host if host is not None else socket.gethostname()
        self.host_id = host_id if host_id is not None else local_identity()
        self.pid = pid if pid is not None else os.getpid()
        self.token = secrets.token_hex(16)

    def acquire(self) -> Holder | None:
        """Take the lease, or raise LeaseHeld naming its holder. Returns the holder taken over (one
        whose lease expired, or whose process on this host is gone), None when it was free."""
        with self.engine.begin() as conn:  # the row, once: every later change is a conditional UPDATE of it
            insert_ignore(conn, daemon_lease, [{"id": ROW}])
        for _ in range(5):  # another start changed the row between our look and our claim: look again
            with self.engine.connect() as conn:
                holder = _read(conn)
            claim: ColumnElement[bool] | None
            if holder is None:
                claim = daemon_lease.c.holder_token.is_(None)
            elif holder.expires_in < 0:
                claim = None  # the expiry, judged again by the UPDATE itself
            elif self._dead_here(holder):
                claim = daemon_lease.c.holder_token == holder.token
            else:
                raise LeaseHeld(holder)
            if self._claim(claim):
                log.info("lease_taken", host=self.host, pid=self.pid, timeout=self.timeout,
                         **({} if holder is None else {"previous_host": holder.host, "previous_pid": holder.pid,
                                                       "previous_renewed_ago": round(holder.age, 1)}))
                return holder
        holder = read_holder(self.engine)
        if holder is None:  # pragma: no cover - five lost races in a row, and then nobody holds it
            raise RuntimeError("the database lease changed hands at every try")
        raise LeaseHeld(holder)

    def _dead_here(self, holder: Holder) -> bool:
        """The holder ran on this very host (same pid table) and its process is gone: killed, not stopped."""
        if holder.host_id != self.host_id:
            return False
        # Our own pid in the holder's row proves nothing (two containers' pid 1 on hosts that look alike):
        # only a process the kernel says is gone frees the lease before it expires.
        return holder.pid != self.pid and not pid_alive(holder.pid)

    def _claim(self, condition: ColumnElement[bool] | None) -> bool:
        with self.engine.begin() as conn:
            # An expired lease: the UPDATE judges the age itself, so a renewal or another start that
            # came first leaves it nothing (on PostgreSQL the row lock makes the second UPDATE re-read).
            cond = condition if condition is not None else _age(conn) > daemon_lease.c.lease_timeout
            now = _db_now(conn)
            done = conn.execute(update(daemon_lease).where(daemon_lease.c.id == ROW, cond).values(
                holder_token=self.token, host=self.host, host_id=self.host_id, pid=self.pid,
                lease_timeout=self.timeout, started_at=now, renewed_at=now))
            return done.rowcount == 1

    def renew(self) -> None:
        """Move the expiry on; LeaseLost when the lease is no longer ours."""
        with self.engine.begin() as conn:
            done = conn.execute(update(daemon_lease).where(daemon_lease.c.id == ROW,
                                                           daemon_lease.c.holder_token == self.token)
                                .values(renewed_at=_db_now(conn)))
            if done.rowcount == 1:
                return
            holder = _read(conn)
        raise LeaseLost("the database lease was taken over by another syncd: " + (
            holder.words() if holder is not None else "it was released by someone else")
            + "; this daemon stops at once so that the two never send in parallel")

    def release(self) -> bool:
        """Clear the lease at a clean stop (only if it is still ours); True if it was."""
        with self.engine.begin() as conn:
            done = conn.execute(update(daemon_lease).where(daemon_lease.c.id == ROW,
                                                           daemon_lease.c.holder_token == self.token)
                                .values(holder_token=None, host=None, host_id=None, pid=None, lease_timeout=None,
                                        started_at=None, renewed_at=None))
            return done.rowcount == 1


def stop_at_once(exc: LeaseLost) -> None:
    """Another daemon acts on the database now: this one stops this instant, as a SIGKILL would stop
    it (no grace: a send in the grace would be a send in parallel). What it had in flight is redone
    by the other, exactly once, as after any kill. Exit code 3: a state problem."""
    log.error("lease_lost", error=str(exc))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(3)


async def keep_renewed(lease: Lease, on_lost: Callable[[LeaseLost], None] = stop_at_once) -> None:
    """Renew every third of the timeout, on a thread of its own (the shared pool may be busy with
    Okdesk calls that wait out a Retry-After, and a renewal queued behind them would let the lease
    expire under a live daemon). A lost lease calls ``on_lost`` (the daemon's does not return). A
    database error is logged and tried again at the next turn; but once the lease may expire, it is
    taken as lost: another daemon may take it then, and this one must have stopped acting before."""
    every = lease.timeout / 3
    # Our last renewal committed before we noted it, so the database dates it earlier: the lease
    # expires at the latest `timeout` after `renewed`. A margin for our own lateness in noticing.
    deadline = lease.timeout - min(every, max(1.0, lease.timeout / 6))
    renewed = time.monotonic()
    loop = asyncio.get_running_loop()
    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="syncd-lease")
    pause = every
    try:
        while True:
            await asyncio.sleep(max(0.0, min(pause, renewed + deadline - time.monotonic())))
            left = renewed + deadline - time.monotonic()
            try:
                if left <= 0:
                    raise asyncio.TimeoutError
                await asyncio.wait_for(loop.run_in_executor(thread, lease.renew), left)
                renewed, pause = time.monotonic(), every
            except LeaseLost as exc:
                on_lost(exc)
                return
            except asyncio.TimeoutError:
                on_lost(LeaseLost(f"the database lease could not be renewed for {time.monotonic() - renewed:.0f} s "
                                  f"(state.lease_timeout {lease.timeout:g} s): another syncd may take it now, so "
                                  "this daemon stops at once"))
                return
            except Exception as exc:  # noqa: BLE001 - an outage of the database: the next turn tries again
                log.error("lease_renew_failed", error=driver_reason(exc), timeout=lease.timeout)
                pause = every / 3  # sooner than usual: the lease runs out meanwhile
    finally:
        thread.shutdown(wait=False)  # a renewal stuck on a dead connection must not hold the stop up


async def release_at_stop(lease: Lease, renewing: asyncio.Task[None]) -> None:
    """A clean stop, every send stopped: the renewals end, then the lease is cleared, so that the next
    start, from any host, need not wait for it to expire (and it does expire, should this fail)."""
    renewing.cancel()
    with suppress(asyncio.CancelledError):
        await renewing
    try:
        released = await asyncio.to_thread(lease.release)
    except Exception as exc:  # noqa: BLE001 - the stop goes on; the lease expires by itself
        log.error("lease_release_failed", error=driver_reason(exc), expires_in=lease.timeout)
        return
    log.info("lease_released" if released else "lease_not_ours_at_stop")
