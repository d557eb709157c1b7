"""The daemon's life: the state directory and the database taken (lock, lease, migrations), then its
parts (syncd.app.parts) built, started, run until told to stop, and stopped within one grace."""

from __future__ import annotations

import asyncio
import fcntl
import functools
import inspect
import os
import shutil
import signal
import sys
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from telethon.tl import functions

from syncd.app.filesafety import make_private
from syncd.app.metrics import start_metrics
from syncd.app.parts import Parts, Running, build
from syncd.app.retention import EVERY as RETENTION_EVERY
from syncd.app.retention import purge_personal_data
from syncd.app.watchdog import status_line
from syncd.bot.commands import keep_registering
from syncd.config import Settings
from syncd.logs import get_logger
from syncd.relay.health import LAST_ERROR_SAVE_EVERY
from syncd.relay.poller import Poller
from syncd.store import make_engine
from syncd.store.db import tighten_sqlite_files
from syncd.store.lease import Lease, LeaseHeld, has_lease_table, keep_renewed, release_at_stop
from syncd.store.migrate_apart import migrate_apart
from syncd.store.offloop import off_loop
from syncd.sync.account import DEFAULT_POLL, POLL_TICK
from syncd.telegram.heartbeat import EVERY as HEARTBEAT_EVERY
from syncd.telegram.heartbeat import TelegramHeartbeat
from syncd.telegram.login import start_bot
from syncd.telegram.port import TelegramPort

log = get_logger(__name__)


class AlreadyRunning(Exception):
    pass


def take_lock(state_dir: Path) -> IO[str]:
    """One process per state directory: two daemons on one SQLite file broke the predecessor."""
    fh = open(state_dir / "syncd.lock", "a+")  # noqa: SIM115 - held open for the life of the process
    os.chmod(fh.name, 0o600)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise AlreadyRunning(f"another syncd is already running with the state directory {state_dir}") from None
    return fh


async def save_update_state(tg: TelegramPort) -> None:
    """Where Telegram's update sequence is now, written to the session at once."""
    state = await tg(functions.updates.GetStateRequest())
    tg.session.set_update_state(0, state)
    tg.session.save()


async def keep_polling(poller: Poller, tick: float) -> None:
    """The poller is looked at every tick: it polls when its interval (sync.poll_interval, or what is
    known of the account: syncd.sync.account.poll_schedule) has passed, and sweeps in between. Its own
    loop, not a scheduler job: a cycle longer than the tick would have the scheduler skip runs and warn
    each time, where here the next tick simply waits for the last."""
    while not poller.stopping.is_set():
        await asyncio.to_thread(poller.tick)
        await asyncio.sleep(min(tick, poller.poll_due_in()))


async def run_daemon(settings: Settings) -> int:
    # Everything this process creates (database, WAL, the Telegram session) is private from birth.
    os.umask(0o077)
    state_dir = settings.state_dir
    make_private(state_dir)  # the bot's key and clients' phones: 0700, and every file in it 0600
    lock = take_lock(state_dir)
    tmp_dir = state_dir / "tmp"
    shutil.rmtree(tmp_dir, ignore_errors=True)  # leftovers of a killed run; their items resend
    tmp_dir.mkdir(mode=0o700)

    engine = make_engine(settings.database_url)
    # One daemon per database (the flock guards only this state directory): a second one is refused
    # here, before it touches Telegram or Okdesk. Renewed from now on; lost, the daemon exits at once.
    lease = Lease(engine, settings.state.lease_timeout)
    try:
        # Where the lease's table exists, the lease comes first: a newer syncd started beside a running
        # one must not migrate the database under it. (Before schema 0005 there is none to take yet.)
        first = has_lease_table(engine)
        if first:
            lease.acquire()
        before, after = migrate_apart(settings.database_url, engine)
        if not first:
            lease.acquire()
    except LeaseHeld as exc:
        engine.dispose()
        lock.close()
        raise AlreadyRunning(str(exc)) from None
    except BaseException:
        with suppress(Exception):
            lease.release()
        raise
    log.info("database_ready", schema_before=before, schema=after)
    lease_task = asyncio.create_task(keep_renewed(lease))
    try:
        return await serve(settings, engine, lease, lease_task, lock, tmp_dir)
    except BaseException:
        # A start that failed (Telegram refused the token, a proxy that cannot be used): the lease is
        # let go at once, so a standby elsewhere need not wait for it to expire.
        lease_task.cancel()
        with suppress(Exception):
            await asyncio.to_thread(lease.release)
        raise


async def serve(settings: Settings, engine: Engine, lease: Lease, lease_task: asyncio.Task[None], lock: IO[str],
                tmp_dir: Path) -> int:
    """The daemon proper, on a database it holds the lease of: until SIGTERM, SIGINT or Telegram gone for good."""
    parts = build(settings, engine, tmp_dir)
    running = await start(parts)
    exit_code = await run_until_stopped(parts, running)
    stuck = await stop(parts, running, exit_code)
    if not stuck:  # with a thread still at work, the lease is left to expire (or to the next start here)
        await release_at_stop(lease, lease_task)
    engine.dispose()
    lock.close()
    await running.end_watchdog()
    log.info("stopped", exit_code=exit_code)
    if stuck:
        # A thread still waits for Okdesk's answer (it times out by itself, later). Python would wait
        # for it at exit, past the grace and into systemd's SIGKILL; what it was doing is redone at
        # the next start, as after a crash.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code)
    return exit_code


async def start(parts: Parts) -> Running:
    """Telegram connected and logged in, the first poll attempted, every loop and job going; READY said."""
    settings, store, tg, watchdog = parts.settings, parts.store, parts.tg, parts.watchdog
    running = Running(watchdog_task=asyncio.create_task(watchdog.run()), stop=asyncio.Event())
    # The handlers are in place before the client connects: Telethon's catch-up (the messages sent
    # while we were down) runs as soon as it is connected, and an update no handler takes is gone.
    parts.bot.register()
    tg.difference_watcher = parts.catch_up.watch
    fresh_session = not list(tg.session.get_update_states())
    watchdog.phase("connecting to Telegram")
    await start_bot(tg, settings.telegram.bot_token)
    if fresh_session:
        # Telethon writes its update state only at a clean stop and once a minute: a session killed
        # before that would come back without one and skip everything sent while it was down.
        await save_update_state(tg)
    if settings.session_path.exists():
        os.chmod(settings.session_path, 0o600)
    me = await tg.get_me()
    parts.health.mark("telegram")
    log.info("telegram_ready", bot_id=me.id, username=me.username)
    # `syncd check` cannot use the session while we run: it reads when Telegram last answered us.
    tg_contact = TelegramHeartbeat(tg, store)
    tg_contact.record()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, running.stop.set)
    running.tasks += [asyncio.create_task(parts.sender.run()), asyncio.create_task(parts.inbound.run())]
    # The Menu button's list of commands: set beside the rest, never holding the start back.
    running.tasks.append(asyncio.create_task(keep_registering(tg, settings)))
    # The first poll is attempted before `ready`, whatever Okdesk answers: an outage at boot
    # is logged and retried, never a reason to exit.
    watchdog.phase("first poll of Okdesk")
    polled = await asyncio.to_thread(parts.poller.run_cycle)
    tighten_sqlite_files(store.engine)
    log.info("ready", first_poll_ok=polled, followed_issues=await off_loop(store.followed_count))
    watchdog.ready(status_line(store, parts.health))
    # Messages a crash caught half-way, and questions never asked, are taken up again.
    running.tasks.append(asyncio.create_task(parts.intake.resume()))
    fixed = settings.sync.poll_interval
    running.tasks.append(asyncio.create_task(keep_polling(parts.poller, min(POLL_TICK, fixed or POLL_TICK))))
    running.scheduler = schedule_jobs(parts, tg_contact, loop)
    # metrics.textfile: Prometheus figures for node_exporter's textfile collector (no port of our own).
    running.metrics = start_metrics(settings, store, parts.okdesk, parts.sender.pacer)
    return running


def ends_quietly_at_stop(job: Callable[..., Any]) -> Callable[..., Any]:
    """A coroutine job that a stop cancels ends quietly: APScheduler would log it as an error.

    The scheduler's shutdown cancels its coroutine jobs still running (a recheck waiting for Okdesk,
    say), and APScheduler reports every exception of a job, CancelledError included, as "raised an
    exception". Being stopped in the middle of a periodic look is no error: the next start looks again.
    """
    if not inspect.iscoroutinefunction(job):
        return job

    @functools.wraps(job)
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            await job(*args, **kwargs)
        except asyncio.CancelledError:
            log.info("job_cancelled_at_stop", job=getattr(job, "__qualname__", repr(job)))

    return run


def schedule_jobs(parts: Parts, tg_contact: TelegramHeartbeat, loop: asyncio.AbstractEventLoop) -> AsyncIOScheduler:
    """The periodic jobs: staff notices, the latest error for `syncd status`, the Telegram heartbeat for
    `syncd check`, the personal-data bound, and ratings left without an answer."""
    settings, store = parts.settings, parts.store
    now = datetime.now(timezone.utc)
    scheduler = AsyncIOScheduler(event_loop=loop)

    def every_so_often(job: Callable[..., Any], **options: Any) -> None:
        scheduler.add_job(ends_quietly_at_stop(job), "interval", max_instances=1, coalesce=True,
                          misfire_grace_time=None, **options)

    every_so_often(parts.notice_worker.run_once, seconds=max(settings.sync.poll_interval or DEFAULT_POLL, 1.0),
                   id="notices")
    # `syncd status` shows the latest error: written every few seconds, not once per error.
    every_so_often(parts.health.save_latest_error, args=[store], seconds=LAST_ERROR_SAVE_EVERY, id="last_error")
    every_so_often(tg_contact.beat, seconds=HEARTBEAT_EVERY, id="telegram_contact")
    # sync.personal_data_days: old texts and phones are blanked at start and every hour after.
    every_so_often(purge_personal_data, args=[store, settings.sync.personal_data_days], seconds=RETENTION_EVERY,
                   next_run_time=now, id="personal_data")
    # Questions about a message left unanswered for sync.question_ttl end, and the client is told.
    every_so_often(parts.intake.expiry.run_once, seconds=parts.intake.expiry.every(), next_run_time=now,
                   id="questions")
    # Ratings a crash or a timeout left without an answer: looked at now (the client was told) and then now and again.
    every_so_often(parts.menu.rating.resume, seconds=settings.sync.recheck_interval, next_run_time=now, id="ratings")
    scheduler.start()
    return scheduler


async def run_until_stopped(parts: Parts, running: Running) -> int:
    """Until SIGTERM or SIGINT (0), or Telethon gave up reconnecting (1)."""
    running_stop = running.stop
    disconnected = asyncio.ensure_future(parts.tg.disconnected)
    stop_wait = asyncio.create_task(running_stop.wait())
    await asyncio.wait({disconnected, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    stop_wait.cancel()
    # Telethon reconnects by itself forever; if it gave up, something is wrong for good (the
    # session was revoked, say): exit non-zero so systemd restarts us and the sysadmin sees it.
    exit_code = 0 if running_stop.is_set() else 1
    if exit_code:
        log.error("telegram_disconnected_for_good")
    return exit_code


async def stop(parts: Parts, running: Running, exit_code: int) -> list[str]:
    """Everything stopped within one grace; the names of the jobs still stuck in a thread."""
    sender, inbound = parts.sender, parts.inbound
    log.info("stopping", in_flight=sender.in_flight, inbound_in_flight=inbound.in_flight)
    parts.watchdog.stopping(f"stopping: {sender.in_flight + inbound.in_flight} sends in flight")
    grace = parts.settings.sync.shutdown_grace
    # No new runs. One grace for everything, at once: the poll and notice threads finish what they
    # hold (shutting the scheduler down first would cancel them mid-run) while the sends in flight
    # finish theirs; a stop never takes more than the grace because several things were busy.
    if running.scheduler is not None:
        running.scheduler.pause()
    parts.intake.close()
    parts.catch_up.close()
    jobs = (parts.poller, parts.notice_worker)
    stopped = await asyncio.gather(*(asyncio.to_thread(job.stop, grace) for job in jobs),
                                   sender.stop(grace), inbound.stop(grace))
    stuck = [type(job).__name__ for job, done in zip(jobs, stopped) if not done]
    for name in stuck:
        log.warning("job_still_running_at_stop", job=name)
    if running.scheduler is not None:
        running.scheduler.shutdown(wait=False)
    for task in running.tasks:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
    await parts.tg.disconnect()
    with suppress(Exception):  # a courtesy for `syncd status`; the stop goes on whatever the database says
        parts.health.save_latest_error(parts.store)
    if running.metrics is not None:
        await running.metrics.close()  # one last write, with the figures of the stop
    parts.okdesk.close()
    return stuck
