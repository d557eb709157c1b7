"""Wiring: the store, the Okdesk client, the Telegram client, the scheduler, the signals."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import signal
import sys
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from telethon import TelegramClient
from telethon.tl import functions

from syncd.bot.handlers import Bot
from syncd.bot.linking import Linking
from syncd.config import Settings
from syncd.config_rules import parse_utc_offset
from syncd.filesafety import make_private
from syncd.health import LAST_ERROR_SAVE_EVERY, Health
from syncd.inbound.intake import Intake
from syncd.inbound.menu import Menu
from syncd.inbound.worker import InboundWorker
from syncd.liveness import Liveness, loop_bounds
from syncd.logs import get_logger, register_phone
from syncd.metrics import start_metrics
from syncd.notices import NoticeQueue, NoticeWorker
from syncd.okdesk.budget import RequestBudget
from syncd.okdesk.client import OkdeskClient
from syncd.poller import Poller
from syncd.retention import EVERY as RETENTION_EVERY
from syncd.retention import purge_personal_data
from syncd.store import Store, make_engine
from syncd.store.db import tighten_sqlite_files
from syncd.store.lease import Lease, LeaseHeld, has_lease_table, keep_renewed, release_at_stop
from syncd.store.migrate_apart import migrate_apart
from syncd.sync.account import DEFAULT_POLL, POLL_TICK
from syncd.sync.retry import RetryPolicy
from syncd.telegram.catchup import CatchUp
from syncd.telegram.client import SyncdTelegramClient
from syncd.telegram.heartbeat import EVERY as HEARTBEAT_EVERY
from syncd.telegram.heartbeat import TelegramHeartbeat
from syncd.telegram.login import start_bot
from syncd.telegram.pacing import Pacer
from syncd.telegram.proxy import describe as describe_proxy
from syncd.telegram.proxy import telethon_proxy_options
from syncd.telegram.replies import Replies
from syncd.telegram.sender import OutboxSender
from syncd.telegram.userlocks import UserLocks
from syncd.watchdog import Watchdog, status_line

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


def make_okdesk_client(settings: Settings) -> OkdeskClient:
    tz = parse_utc_offset(settings.okdesk.timezone) if settings.okdesk.timezone else None
    return OkdeskClient(
        settings.okdesk.url, settings.okdesk.api_token, timeout=settings.okdesk.timeout,
        connect_timeout=settings.okdesk.connect_timeout, budget=RequestBudget(settings.okdesk.max_requests_per_minute),
        retry_cap=settings.sync.retry_cap, proxy=settings.okdesk.proxy, account_tz=tz,
    )


def make_telegram_client(settings: Settings) -> SyncdTelegramClient:
    if settings.telegram.proxy:
        log.info("telegram_proxy", **describe_proxy(settings.telegram.proxy))
    return SyncdTelegramClient(
        str(settings.session_path), settings.telegram.api_id, settings.telegram.api_hash,
        # FloodWaits are ours to honour (the pacer pauses every send), not Telethon's to sleep through.
        flood_sleep_threshold=0,
        # Our outbox retries with backoff and a budget; RANDOM_ID_DUPLICATE must reach us at once,
        # not after Telethon's own retries of what it takes for a server error.
        request_retries=0, raise_last_call_error=True,
        connection_retries=-1, retry_delay=1, auto_reconnect=True,
        # Messages sent while the daemon was down arrive through updates.getDifference (watched:
        # syncd.telegram.catchup retries a failed one and reads back a gap Telegram skipped).
        catch_up=True,
        # telegram.proxy: every connection goes through it, never around it.
        **telethon_proxy_options(settings.telegram.proxy),
    )


async def save_update_state(tg: TelegramClient) -> None:
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
    store = Store(engine)
    for phone in store.linked_phones():  # linked by an earlier run: as secret to this one
        register_phone(phone)
    health = Health()
    okdesk = make_okdesk_client(settings)
    policy = RetryPolicy(base=settings.sync.retry_base, cap=settings.sync.retry_cap, budget=settings.sync.retry_budget)
    notices = NoticeQueue(store, settings.okdesk.employee_id)
    # systemd: WATCHDOG=1 only while every loop turns, and a current STATUS= line (no-ops elsewhere).
    liveness, bounds = Liveness(), loop_bounds(settings)
    watchdog = Watchdog(liveness, lambda: status_line(store, health),
                        status_every=min(5.0, max(1.0, settings.sync.poll_interval or DEFAULT_POLL)))
    watchdog_task = asyncio.create_task(watchdog.run())

    tg = make_telegram_client(settings)
    sender = OutboxSender(
        store=store, tg=tg, okdesk=okdesk, pacer=Pacer(settings.sync.per_chat_interval, settings.sync.global_rate),
        policy=policy, health=health, notices=notices, tmp_dir=tmp_dir, idle=settings.sync.sender_idle,
        max_file_bytes=int(settings.sync.max_file_mb * 1024 * 1024),
        in_flight_window=settings.telegram.in_flight_window,
        heartbeat=liveness.heartbeat("sender", bounds["sender"]),
    )
    # A poll waiting out Okdesk's own Retry-After is obeying Okdesk, not hung.
    budget = okdesk.budget
    paused = (lambda: budget.paused_until is not None) if budget is not None else None
    poller = Poller(store=store, okdesk=okdesk, settings=settings, health=health, on_new_work=sender.wake,
                    heartbeat=liveness.heartbeat("poll", bounds["poll"], excuse=paused))
    notice_worker = NoticeWorker(store, okdesk, settings.okdesk.employee_id, policy, health)
    # Handlers' replies wait out a FloodWait with the outbox: one pause for both (syncd.telegram.replies).
    replies = Replies(tg, pacer=sender.pacer, flood_max=settings.telegram.reply_flood_max,
                      in_flight_window=settings.telegram.in_flight_window)
    linking = Linking(store=store, okdesk=okdesk, settings=settings, replies=replies)
    inbound = InboundWorker(tg=tg, store=store, okdesk=okdesk, settings=settings, policy=policy, health=health,
                            tmp_dir=tmp_dir, idle=settings.sync.sender_idle,
                            # The intake is made next (it wakes this worker): a late-bound call.
                            ask_on_finished=lambda *args: intake.ask_on_finished(*args),
                            replies=replies, heartbeat=liveness.heartbeat("inbound", bounds["inbound"]))
    locks = UserLocks()
    intake = Intake(tg=tg, store=store, okdesk=okdesk, settings=settings, locks=locks, on_new_job=inbound.wake,
                    replies=replies)
    menu = Menu(tg=tg, store=store, okdesk=okdesk, settings=settings, intake=intake,
                status_names=lambda: poller.status_names, replies=replies)
    bot = Bot(tg=tg, store=store, linking=linking, settings=settings, on_unblocked=sender.wake, locks=locks,
              intake=intake, menu=menu, replies=replies)
    bot.register()
    catch_up = CatchUp(tg=tg, store=store, policy=policy, max_messages=settings.telegram.recover_max_messages,
                       on_message=bot.on_message)
    tg.difference_watcher = catch_up.watch
    # The handlers are in place before the client connects: Telethon's catch-up (the messages sent
    # while we were down) runs as soon as it is connected, and an update no handler takes is gone.
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
    health.mark("telegram")
    log.info("telegram_ready", bot_id=me.id, username=me.username)
    # `syncd check` cannot use the session while we run: it reads when Telegram last answered us.
    tg_contact = TelegramHeartbeat(tg, store)
    tg_contact.record()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    sender_task = asyncio.create_task(sender.run())
    inbound_task = asyncio.create_task(inbound.run())
    # The first poll is attempted before `ready`, whatever Okdesk answers: an outage at boot
    # is logged and retried, never a reason to exit.
    watchdog.phase("first poll of Okdesk")
    polled = await asyncio.to_thread(poller.run_cycle)
    tighten_sqlite_files(engine)
    log.info("ready", first_poll_ok=polled, followed_issues=store.followed_count())
    watchdog.ready(status_line(store, health))
    # Messages a crash caught half-way, and questions never asked, are taken up again.
    resume_task = asyncio.create_task(intake.resume())

    fixed = settings.sync.poll_interval
    poll_task = asyncio.create_task(keep_polling(poller, min(POLL_TICK, fixed or POLL_TICK)))
    scheduler = AsyncIOScheduler(event_loop=loop)
    scheduler.add_job(notice_worker.run_once, "interval", seconds=max(fixed or DEFAULT_POLL, 1.0),
                      id="notices", max_instances=1, coalesce=True, misfire_grace_time=None)
    # `syncd status` shows the latest error: written every few seconds, not once per error.
    scheduler.add_job(health.save_latest_error, "interval", args=[store], seconds=LAST_ERROR_SAVE_EVERY,
                      id="last_error", max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.add_job(tg_contact.beat, "interval", seconds=HEARTBEAT_EVERY, id="telegram_contact",
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    # sync.personal_data_days: old texts and phones are blanked at start and every hour after.
    scheduler.add_job(purge_personal_data, "interval", args=[store, settings.sync.personal_data_days],
                      seconds=RETENTION_EVERY, next_run_time=datetime.now(timezone.utc), id="personal_data",
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    # Ratings a crash or a timeout left without an answer: looked at now (the client was told) and then now and again.
    scheduler.add_job(menu.rating.resume, "interval", seconds=settings.sync.recheck_interval,
                      next_run_time=datetime.now(timezone.utc), id="ratings", max_instances=1, coalesce=True,
                      misfire_grace_time=None)
    scheduler.start()
    # metrics.textfile: Prometheus figures for node_exporter's textfile collector (no port of our own).
    metrics = start_metrics(settings, store, okdesk, sender.pacer)

    disconnected = asyncio.ensure_future(tg.disconnected)
    stop_wait = asyncio.create_task(stop.wait())
    await asyncio.wait({disconnected, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
    # Telethon reconnects by itself forever; if it gave up, something is wrong for good (the
    # session was revoked, say): exit non-zero so systemd restarts us and the sysadmin sees it.
    exit_code = 0 if stop.is_set() else 1
    if exit_code:
        log.error("telegram_disconnected_for_good")
    log.info("stopping", in_flight=sender.in_flight, inbound_in_flight=inbound.in_flight)
    watchdog.stopping(f"stopping: {sender.in_flight + inbound.in_flight} sends in flight")
    grace = settings.sync.shutdown_grace
    # No new runs. One grace for everything, at once: the poll and notice threads finish what they
    # hold (shutting the scheduler down first would cancel them mid-run) while the sends in flight
    # finish theirs; a stop never takes more than the grace because several things were busy.
    scheduler.pause()
    intake.close()
    catch_up.close()
    jobs = (poller, notice_worker)
    stopped = await asyncio.gather(*(asyncio.to_thread(job.stop, grace) for job in jobs),
                                   sender.stop(grace), inbound.stop(grace))
    stuck = [type(job).__name__ for job, done in zip(jobs, stopped) if not done]
    for name in stuck:
        log.warning("job_still_running_at_stop", job=name)
    scheduler.shutdown(wait=False)
    for task in (poll_task, sender_task, inbound_task, resume_task):
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
    await tg.disconnect()
    with suppress(Exception):  # a courtesy for `syncd status`; the stop goes on whatever the database says
        health.save_latest_error(store)
    if metrics is not None:
        await metrics.close()  # one last write, with the figures of the stop
    okdesk.close()
    if not stuck:  # with a thread still at work, the lease is left to expire (or to the next start here)
        await release_at_stop(lease, lease_task)
    engine.dispose()
    lock.close()
    watchdog_task.cancel()
    with suppress(asyncio.CancelledError):
        await watchdog_task
    log.info("stopped", exit_code=exit_code)
    if stuck:
        # A thread still waits for Okdesk's answer (it times out by itself, later). Python would wait
        # for it at exit, past the grace and into systemd's SIGKILL; what it was doing is redone at
        # the next start, as after a crash.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code)
    return exit_code
