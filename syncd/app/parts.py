"""The daemon's parts, built and wired, nothing started: every object the running daemon is made of.

:func:`build` only constructs (no connection is made, no task started, nothing awaited); the daemon
(:mod:`syncd.app.daemon`) starts the parts, runs until told to stop, and stops them within one grace.
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from syncd.app.liveness import Liveness, loop_bounds
from syncd.app.metrics import Metrics
from syncd.app.watchdog import Watchdog, status_line
from syncd.bot.handlers import Bot
from syncd.bot.intake import Intake
from syncd.bot.linking import Linking
from syncd.bot.menu import Menu
from syncd.config import Settings
from syncd.config_rules import parse_utc_offset
from syncd.logs import get_logger, register_phone
from syncd.okdesk.budget import RequestBudget
from syncd.okdesk.client import OkdeskClient
from syncd.okdesk.port import Okdesk
from syncd.relay.health import Health
from syncd.relay.notices import NoticeWorker
from syncd.relay.poller import Poller
from syncd.relay.sender import OutboxSender
from syncd.relay.staff_notices import NoticeQueue
from syncd.relay.worker import InboundWorker
from syncd.store import Store
from syncd.sync.account import DEFAULT_POLL
from syncd.sync.retry import RetryPolicy
from syncd.telegram.catchup import CatchUp
from syncd.telegram.client import DAEMON_OPTIONS, SyncdTelegramClient
from syncd.telegram.pacing import Pacer
from syncd.telegram.port import TelegramPort
from syncd.telegram.proxy import describe as describe_proxy
from syncd.telegram.proxy import telethon_proxy_options
from syncd.telegram.replies import Replies
from syncd.telegram.userlocks import UserLocks

log = get_logger(__name__)


@dataclass
class Parts:
    settings: Settings
    store: Store
    health: Health
    okdesk: Okdesk
    tg: TelegramPort
    watchdog: Watchdog
    sender: OutboxSender
    poller: Poller
    notice_worker: NoticeWorker
    inbound: InboundWorker
    intake: Intake
    menu: Menu
    bot: Bot
    catch_up: CatchUp


@dataclass
class Running:
    """What :func:`syncd.app.daemon.start` set going, for :func:`syncd.app.daemon.stop` to end."""

    watchdog_task: asyncio.Task[None]
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    scheduler: AsyncIOScheduler | None = None
    metrics: Metrics | None = None

    async def end_watchdog(self) -> None:
        self.watchdog_task.cancel()
        with suppress(asyncio.CancelledError):
            await self.watchdog_task


def build(settings: Settings, engine: Engine, tmp_dir: Path, *, okdesk: Okdesk | None = None,
          tg: TelegramPort | None = None) -> Parts:
    """The parts, wired. ``okdesk`` and ``tg``: clients already made (a test's stand-ins or fakes); by
    default the real ones, made from the settings."""
    store = Store(engine)
    for phone in store.linked_phones():  # linked by an earlier run: as secret to this one
        register_phone(phone)
    health = Health()
    okdesk = okdesk if okdesk is not None else make_okdesk_client(settings)
    policy = RetryPolicy(base=settings.sync.retry_base, cap=settings.sync.retry_cap, budget=settings.sync.retry_budget)
    # systemd: WATCHDOG=1 only while every loop turns, and a current STATUS= line (no-ops elsewhere).
    liveness, bounds = Liveness(), loop_bounds(settings)
    watchdog = Watchdog(liveness, functools.partial(status_line, store, health),
                        status_every=min(5.0, max(1.0, settings.sync.poll_interval or DEFAULT_POLL)))
    tg = tg if tg is not None else make_telegram_client(settings)
    notices = NoticeQueue(store, settings.okdesk.employee_id, lambda: okdesk.account_tz)
    sender = OutboxSender(
        store=store, tg=tg, okdesk=okdesk, pacer=Pacer(settings.sync.per_chat_interval, settings.sync.global_rate),
        policy=policy, health=health, notices=notices, tmp_dir=tmp_dir,
        idle=settings.sync.sender_idle, max_file_bytes=int(settings.sync.max_file_mb * 1024 * 1024),
        in_flight_window=settings.telegram.in_flight_window,
        heartbeat=liveness.heartbeat("sender", bounds["sender"]),
    )
    # A poll waiting out Okdesk's own Retry-After is obeying Okdesk, not hung.
    paused = okdesk.budget.is_paused if okdesk.budget is not None else None
    poller = Poller(store=store, okdesk=okdesk, settings=settings, health=health, on_new_work=sender.wake,
                    heartbeat=liveness.heartbeat("poll", bounds["poll"], excuse=paused))
    notice_worker = NoticeWorker(store, okdesk, settings.okdesk.employee_id, policy, health)
    # Handlers' replies wait out a FloodWait with the outbox: one pause for both (syncd.telegram.replies).
    replies = Replies(tg, pacer=sender.pacer, flood_max=settings.telegram.reply_flood_max,
                      in_flight_window=settings.telegram.in_flight_window)
    locks = UserLocks()
    inbound = InboundWorker(tg=tg, store=store, okdesk=okdesk, settings=settings, policy=policy, health=health,
                            tmp_dir=tmp_dir, idle=settings.sync.sender_idle, replies=replies,
                            heartbeat=liveness.heartbeat("inbound", bounds["inbound"]), on_outbox=sender.wake)
    intake = Intake(tg=tg, store=store, okdesk=okdesk, settings=settings, locks=locks, on_new_job=inbound.wake,
                    replies=replies, on_outbox=sender.wake)
    # The worker asks the client about a job whose issue was finished meanwhile: through the intake,
    # which is made after it (it wakes the worker): wired here, once both exist.
    inbound.ask_on_finished = intake.ask_on_finished
    menu = Menu(tg=tg, store=store, okdesk=okdesk, settings=settings, intake=intake,
                status_names=poller.status_names, replies=replies)
    linking = Linking(store=store, okdesk=okdesk, settings=settings, replies=replies)
    bot = Bot(tg=tg, store=store, linking=linking, settings=settings, on_unblocked=sender.wake, locks=locks,
              intake=intake, menu=menu, replies=replies, notices=notices)
    catch_up = CatchUp(tg=tg, store=store, policy=policy, max_messages=settings.telegram.recover_max_messages,
                       on_message=bot.on_message)
    return Parts(settings=settings, store=store, health=health, okdesk=okdesk, tg=tg, watchdog=watchdog,
                 sender=sender, poller=poller, notice_worker=notice_worker, inbound=inbound, intake=intake,
                 menu=menu, bot=bot, catch_up=catch_up)


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
        # No FloodWait sleeps, no retries of Telethon's own, catch-up on (the reasons: there).
        **DAEMON_OPTIONS,
        **telethon_proxy_options(settings.telegram.proxy),
    )
