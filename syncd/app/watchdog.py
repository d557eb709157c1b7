"""What systemd hears from the daemon: WATCHDOG=1 while every loop turns, and a current STATUS= line.

Pings go at half of ``$WATCHDOG_USEC`` from the asyncio loop itself (a blocked event loop sends
none), and only while :class:`~syncd.app.liveness.Liveness` finds no hung loop. Okdesk failing is
not a hang: the poll loop turns through failures. While starting, EXTEND_TIMEOUT_USEC goes with
each ping, so a slow start that is alive (Okdesk down at boot, Telegram reconnecting) is not
killed by ``TimeoutStartSec=``, and a hung one is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from datetime import datetime

from syncd.app import sdnotify
from syncd.app.liveness import Liveness
from syncd.health import Health
from syncd.logs import get_logger
from syncd.store import Store
from syncd.store.offloop import off_loop
from syncd.store.states import LAST_POLL_KEY

log = get_logger(__name__)


def _clock(moment: datetime | str | None) -> str:
    """Local wall-clock time (what `systemctl status` shows beside it), seconds precision."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone().strftime("%H:%M:%S") if moment is not None else "never"


def status_line(store: Store, health: Health) -> str:
    """E.g. "polled 12:00:01, 42 issues followed, 0 waiting, 0 failed" (counts from the database)."""
    raw = store.get_value(LAST_POLL_KEY)
    last = json.loads(raw) if raw else None
    if last is None:
        polled = "not polled yet"
    elif last.get("ok"):
        polled = f"polled {_clock(last['at'])}"
    else:
        polled = f"poll failed {_clock(last['at'])} (Okdesk last answered {_clock(health.ok_at('okdesk'))})"
    counts = store.status_counts()  # the figures `syncd status` shows
    # A question put to the client waits for them, not for us: not "waiting" here.
    waiting = counts.outbox_waiting.count + counts.inbound_waiting.count - counts.inbound_asking
    failed = counts.outbox_failed.count + counts.inbound_failed.count
    return f"{polled}, {counts.followed_issues} issues followed, {waiting} waiting, {failed} failed"


class Watchdog:
    def __init__(self, liveness: Liveness, status: Callable[[], str], status_every: float = 5.0) -> None:
        self.liveness = liveness
        self.status = status  # blocking (database reads): called in a worker thread
        self.status_every = status_every
        self.interval = sdnotify.watchdog_interval()
        self._phase: str | None = "starting"  # shown instead of the counts while starting or stopping
        self._starting = True
        self._hung: dict[str, float] = {}
        self._sent_status: str | None = None

    # ------------------------------------------------------------ the daemon's milestones

    def phase(self, text: str) -> None:
        """What the daemon is busy with while it cannot serve yet ("connecting to Telegram")."""
        self._phase = text
        self._send_status(text)

    def ready(self, first_status: str | None = None) -> None:
        """Sent together with the `ready` log event."""
        self._starting, self._phase = False, None
        line = first_status or "ready"
        self._sent_status = line
        sdnotify.notify("READY=1", f"STATUS={line}")

    def stopping(self, text: str) -> None:
        self._phase = text
        self._sent_status = text
        sdnotify.notify("STOPPING=1", f"STATUS={text}")

    # ------------------------------------------------------------ the loops

    async def run(self) -> None:
        """Until cancelled. Status reads go in their own task: a slow database never delays a ping."""
        status_task = asyncio.create_task(self._status_loop()) if sdnotify.enabled() else None
        try:
            await self._ping_loop()
        finally:
            if status_task is not None:
                status_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await status_task

    async def _ping_loop(self) -> None:
        # Looked at every second (a hung loop shows in the status at once); pinged every interval.
        tick = min(self.interval or 1.0, 1.0)
        last_ping = float("-inf")
        while True:
            hung = self.liveness.hung()
            self._note_changes(hung)
            now = time.monotonic()
            if not hung:
                lines = []
                if self.interval is not None and now - last_ping >= self.interval - tick / 10:
                    lines.append("WATCHDOG=1")
                    last_ping = now
                if self._starting:
                    lines.append(f"EXTEND_TIMEOUT_USEC={int(tick * 3e6)}")
                if lines:
                    sdnotify.notify(*lines)
            await asyncio.sleep(tick)

    def _note_changes(self, hung: dict[str, float]) -> None:
        for name, silent in hung.items():
            if name not in self._hung:
                log.error("loop_hung", loop=name, silent_s=round(silent, 1),
                          watchdog="pings stopped" if self.interval is not None else "off")
        for name in self._hung:
            if name not in hung:
                log.warning("loop_recovered", loop=name)
        was_hung, self._hung = bool(self._hung), hung
        if hung:
            names = ", ".join(f"{n} loop silent {round(s)} s" for n, s in sorted(hung.items()))
            self._send_status(f"HUNG: {names}; watchdog pings stopped")
        elif was_hung:
            self._send_status(self._phase or "recovered")

    async def _status_loop(self) -> None:
        while True:
            if not self._hung and self._phase is None:
                try:
                    line = await off_loop(self.status)
                except Exception as exc:  # noqa: BLE001 - a status line is never worth a crash
                    line = f"status unavailable ({type(exc).__name__})"
                if not self._hung and self._phase is None:
                    self._send_status(line)
            await asyncio.sleep(self.status_every)

    def _send_status(self, line: str) -> None:
        if line != self._sent_status:
            self._sent_status = line
            sdnotify.notify(f"STATUS={line}")
