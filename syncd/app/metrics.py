"""Prometheus metrics as a text file, for node_exporter's textfile collector: the daemon opens no port.

``metrics.textfile`` (a ``.prom`` file in node_exporter's ``--collector.textfile.directory``) is
rewritten every ``metrics.interval`` seconds and once more at stop, replaced atomically: a temporary
file in the same directory (not named ``*.prom``, so node_exporter never reads it half-written) is
synced, made world-readable (node_exporter runs as another user; the daemon's umask is 0077) and
renamed over the old one. A failed write is logged once per distinct error and tried again at the
next turn; the daemon goes on either way.

Only totals: no label names a chat, a client or an issue (personal data), and no secret is ever
written. Each name is documented in README ("Monitoring with Prometheus").
"""

from __future__ import annotations

import asyncio
import errno
import math
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncd import __version__
from syncd.logs import get_logger
from syncd.store.offloop import off_loop
from syncd.store.states import (
    CANCELLED,
    DONE,
    FAILED,
    JOB_ASKING,
    JOB_CANCELLED,
    JOB_DONE,
    JOB_DUPLICATE,
    JOB_EXPIRED,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_REFUSED,
    LAST_POLL_OK_KEY,
    OKDESK_COMMENT_BUMP_KEY,
    PENDING,
    UNSURE,
)
from syncd.sync.account import NO, UNKNOWN, YES, BumpVerdict

if TYPE_CHECKING:
    from syncd.config import Settings
    from syncd.okdesk.port import Okdesk
    from syncd.store import Store
    from syncd.telegram.pacing import Pacer

log = get_logger(__name__)

# The store's states of an outbox item and of an inbound job, as the gauges name them: "waiting" is
# what `syncd status` counts as waiting (a question put to the client included), "done" what is
# finished (a client's message recognised as a repeat made nothing new: done too).
OUTBOX_STATES = {DONE: "done", PENDING: "waiting", UNSURE: "waiting", FAILED: "failed", CANCELLED: "cancelled"}
INBOUND_STATES = {JOB_DONE: "done", JOB_DUPLICATE: "done", JOB_ASKING: "waiting", JOB_QUEUED: "waiting",
                  UNSURE: "waiting", JOB_FAILED: "failed", JOB_REFUSED: "refused",
                  # a question the client cancelled or left unanswered: nothing was sent, and they know it
                  JOB_CANCELLED: "cancelled", JOB_EXPIRED: "cancelled"}
VERDICTS = (YES, NO, UNKNOWN)
# A last write at stop may not hold the stop up longer than this (a hung file system, a locked database).
CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Snapshot:
    """Everything one write shows. Times are Unix seconds; None: not known (its sample is left out)."""

    now: float
    outbox: Mapping[str, int] = field(default_factory=dict)  # the store's state -> items
    inbound: Mapping[str, int] = field(default_factory=dict)
    okdesk_requests: Mapping[str, int] = field(default_factory=dict)  # outcome -> requests since start
    budget_in_window: int | None = None
    budget_limit: int | None = None
    last_successful_poll: float | None = None
    flood_waits: int = 0
    flood_wait_seconds: float = 0.0
    bump_verdict: str = UNKNOWN
    version: str = __version__


# ------------------------------------------------------------ the text format

Sample = tuple[Mapping[str, str], float]


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    """HELP, TYPE and the samples of one metric; nothing at all when no sample is finite (no NaN is
    ever written, and a family without samples is left out whole)."""
    lines = []
    for labels, value in samples:
        if not math.isfinite(value):
            continue
        inner = ",".join(f'{key}="{_escape_label(str(val))}"' for key, val in labels.items())
        lines.append(f"{name}{{{inner}}} {_number(value)}" if inner else f"{name} {_number(value)}")
    if not lines:
        return []
    help_line = help_text.replace("\\", "\\\\").replace("\n", "\\n")
    return [f"# HELP {name} {help_line}", f"# TYPE {name} {kind}", *lines]


def _by_state(counts: Mapping[str, int], names: Mapping[str, str]) -> list[Sample]:
    """Every label of ``names`` (0 when no item is in it: a series that comes and goes breaks alerts)."""
    totals = dict.fromkeys(names.values(), 0)
    for state, count in counts.items():
        if state in names:
            totals[names[state]] += count
    return [({"state": label}, float(count)) for label, count in totals.items()]


def render(snap: Snapshot) -> str:
    """The Prometheus text format (version 0.0.4) of ``snap``."""
    out: list[str] = []
    out += _family("syncd_info", "gauge", "The running syncd, by version (always 1).",
                   [({"version": snap.version}, 1)])
    out += _family("syncd_outbox_items", "gauge",
                   "Messages to clients and private notices to staff, by state (done, waiting to be sent, "
                   "failed: parked after their retry budget, cancelled: their client unlinked).",
                   _by_state(snap.outbox, OUTBOX_STATES))
    out += _family("syncd_inbound_items", "gauge",
                   "Clients' messages on their way into Okdesk, by state (done, waiting: queued, unsure or "
                   "asking the client, failed: parked, refused: Okdesk refused them or the client unlinked, "
                   "cancelled: the client cancelled the question about them or left it unanswered).",
                   _by_state(snap.inbound, INBOUND_STATES))
    out += _family("syncd_okdesk_requests_total", "counter", "Okdesk requests sent since start, by outcome.",
                   [({"outcome": outcome}, float(n)) for outcome, n in snap.okdesk_requests.items()])
    if snap.budget_limit:
        out += _family("syncd_okdesk_budget_used_ratio", "gauge",
                       "Share of the Okdesk request budget spent in its current window (61 s).",
                       [({}, (snap.budget_in_window or 0) / snap.budget_limit)])
        out += _family("syncd_okdesk_budget_requests_per_minute", "gauge",
                       "The Okdesk request budget (okdesk.max_requests_per_minute).", [({}, snap.budget_limit)])
    last = snap.last_successful_poll
    out += _family("syncd_last_successful_poll_timestamp_seconds", "gauge",
                   "When Okdesk last answered a poll (Unix time); absent before the first.",
                   [] if last is None else [({}, last)])
    out += _family("syncd_last_successful_poll_age_seconds", "gauge",
                   "Seconds since Okdesk last answered a poll; absent before the first.",
                   [] if last is None else [({}, max(0.0, snap.now - last))])
    out += _family("syncd_telegram_flood_waits_total", "counter",
                   "Telegram FloodWaits honoured since start (every send paused until each had passed).",
                   [({}, snap.flood_waits)])
    out += _family("syncd_telegram_flood_wait_seconds_total", "counter",
                   "Seconds of Telegram FloodWait honoured since start.", [({}, snap.flood_wait_seconds)])
    verdict = snap.bump_verdict if snap.bump_verdict in VERDICTS else UNKNOWN
    out += _family("syncd_okdesk_comments_bump_updated_at", "gauge",
                   "Whether a new comment bumps its issue's updated_at, as learned from the account "
                   "(1 for the current verdict, 0 for the others).",
                   [({"verdict": v}, 1 if v == verdict else 0) for v in VERDICTS])
    out += _family("syncd_metrics_written_timestamp_seconds", "gauge",
                   "When this file was written (Unix time): a stale one means a stopped or stuck daemon.",
                   [({}, snap.now)])
    return "\n".join(out) + "\n"


# ------------------------------------------------------------ the file

def write_atomically(path: Path, text: str) -> None:
    """``text`` as ``path``, replacing it whole: a reader sees the old file or the new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), 0o644)  # node_exporter reads it as another user
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _reason(exc: BaseException) -> str:
    """The error in words that repeat while it does (no temporary file's random name in them)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{errno.errorcode.get(exc.errno, exc.errno)}: {exc.strerror}"
    from syncd.store.db import driver_reason  # a database error: the driver's first line, no SQL

    return f"{type(exc).__name__}: {driver_reason(exc)}"[:300]


class Metrics:
    """Gathers the figures and writes the file, from its own task: every ``interval`` s, and once more at stop."""

    def __init__(self, path: Path, interval: float, store: Store, okdesk: Okdesk, pacer: Pacer) -> None:
        self.path, self.interval = path, interval
        self.store, self.okdesk, self.pacer = store, okdesk, pacer
        self.writes = 0
        self._failing: str | None = None  # the error the last attempt met (logged once, not every turn)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def snapshot(self, flood_waits: int, flood_wait_seconds: float) -> Snapshot:
        """The figures now: database reads, so blocking (called in a worker thread)."""
        states = self.store.items_by_state()
        ok_at = self.store.get_value(LAST_POLL_OK_KEY)
        bump = BumpVerdict.from_json(self.store.get_value(OKDESK_COMMENT_BUMP_KEY))
        budget = self.okdesk.budget
        return Snapshot(
            now=time.time(), outbox=states["outbox"], inbound=states["inbound"],
            okdesk_requests=self.okdesk.request_outcomes(),
            budget_in_window=budget.in_window if budget is not None else None,
            budget_limit=budget.limit if budget is not None else None,
            last_successful_poll=_unix(ok_at), flood_waits=flood_waits, flood_wait_seconds=flood_wait_seconds,
            bump_verdict=bump.verdict)

    def write(self, flood_waits: int, flood_wait_seconds: float) -> bool:
        """Gather and write once (blocking); False, logged once per distinct error, when that failed."""
        try:
            write_atomically(self.path, render(self.snapshot(flood_waits, flood_wait_seconds)))
        except Exception as exc:  # noqa: BLE001 - metrics never stop the daemon; the next turn tries again
            reason = _reason(exc)
            if reason != self._failing:
                log.warning("metrics_write_failed", path=str(self.path), error=reason)
            self._failing = reason
            return False
        if self._failing is not None:
            log.info("metrics_written_again", path=str(self.path))
        self._failing = None
        self.writes += 1
        return True

    async def write_now(self) -> bool:
        # The pacer belongs to the event loop: read here; the database in a worker thread.
        return await off_loop(self.write, self.pacer.flood_waits, self.pacer.flood_wait_seconds)

    def remove_leftovers(self) -> None:
        """Temporary files of a write a kill cut short: node_exporter ignores them, but they would stay."""
        with suppress(OSError):
            for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
                with suppress(OSError):
                    stale.unlink()

    async def run(self) -> None:
        log.info("metrics_textfile", path=str(self.path), interval=self.interval)
        await asyncio.to_thread(self.remove_leftovers)
        while not self._stop.is_set():
            await self.write_now()
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
        await self.write_now()  # the figures of the stop: what node_exporter shows until the next start

    def start(self) -> Metrics:
        self._task = asyncio.create_task(self.run())
        return self

    async def close(self) -> None:
        """Stop the loop after one last write (waited for at most CLOSE_TIMEOUT)."""
        if self._task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), CLOSE_TIMEOUT)
        except asyncio.TimeoutError:
            log.warning("metrics_last_write_timed_out", path=str(self.path))
        except Exception:  # noqa: BLE001 - a courtesy at stop; the stop goes on
            log.exception("metrics_loop_crashed")


def start_metrics(settings: Settings, store: Store, okdesk: Okdesk, pacer: Pacer) -> Metrics | None:
    """The metrics loop, started; None when ``metrics.textfile`` is unset."""
    if not settings.metrics.textfile:
        return None
    return Metrics(Path(settings.metrics.textfile), settings.metrics.interval, store, okdesk, pacer).start()


def _unix(iso: Any) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp() if isinstance(iso, str) else None
    except ValueError:
        return None
