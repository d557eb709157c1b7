"""``syncd status [--json]``: is the service healthy, at a glance, and while it runs.

Reads the database the daemon's config names (SQLite in WAL mode and PostgreSQL both let it
read while the daemon writes) and never creates or migrates one: a missing, older or newer
database is refused with exit code 3. Phones and secrets never reach the output.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncd.clock import utcnow
from syncd.config import Settings
from syncd.durations import ago, duration_words
from syncd.logs import redact
from syncd.store.states import (
    OKDESK_COMMENT_BUMP_KEY,
    OKDESK_UPDATED_SINCE_KEY,
    TELEGRAM_CATCH_UP_KEY,
)
from syncd.sync.account import BumpVerdict, UpdatedSince, bump_words, updated_since_words

if TYPE_CHECKING:  # the database libraries load only when a command runs, not for `syncd --help`
    from sqlalchemy.exc import SQLAlchemyError

    from syncd.store import Store
    from syncd.store.status_repo import Backlog

ORDER = 20
# Ten digits or more, with the separators a phone is written with: in an error text, perhaps a
# client's number (which the linked phones are not registered for: thousands of them would slow
# every command down). Chat and issue ids are shown in columns of their own, not through this.
_PHONE_LIKE = re.compile(r"\+?\d(?:[\s()-]{0,2}\d){9,}")


class CannotOpen(Exception):
    """The database cannot be read by a command; the message is for a person, ``code`` for a script."""

    def __init__(self, message: str, code: str = "database_unreadable") -> None:
        super().__init__(message)
        self.code = code


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("status", help="show the service's state: clients, queues, failures, the last poll",
                            description="Show the service's state, read from its database (safe while it runs).")
    parser.add_argument("--json", action="store_true", help="one JSON object for monitoring (keys: see README)")
    parser.set_defaults(handler=handle, needs_secrets=False)


def open_store(settings: Settings) -> Store:
    """The daemon's database as it is, refused when missing or at another schema (CannotOpen)."""
    from sqlalchemy.exc import SQLAlchemyError

    from syncd.store import Store
    from syncd.store.db import SchemaError, check_schema_current, open_existing

    # Alembic announces every look at the schema version at INFO: noise in a command's output.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        engine = open_existing(settings.database_url)
    except SchemaError as exc:
        raise CannotOpen(str(exc), exc.code) from None
    try:
        check_schema_current(engine)
    except SchemaError as exc:
        engine.dispose()
        raise CannotOpen(str(exc), exc.code) from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise CannotOpen(db_problem(exc)) from None
    return Store(engine)


def db_problem(exc: SQLAlchemyError) -> str:
    """One plain line: the driver's first line (no SQL, no URL), redacted."""
    from syncd.store.db import driver_reason

    # An error the driver did not raise is named by its class only: SQLAlchemy's own message
    # may quote the statement or the URL.
    reason = driver_reason(exc) if getattr(exc, "orig", None) is not None else type(exc).__name__
    return "cannot read the database: " + redact(reason)


def with_store(settings: Settings, command: str, action: Callable[[Store], int]) -> int:
    """Run ``action`` on the service's database; CommandFailed (exit 3) when it cannot be read."""
    from sqlalchemy.exc import SQLAlchemyError

    from syncd.commands import CommandFailed

    try:
        store = open_store(settings)
        try:
            return action(store)
        finally:
            store.engine.dispose()
    except CannotOpen as exc:
        raise CommandFailed(exc.code, str(exc), 3) from None
    except SQLAlchemyError as exc:
        raise CommandFailed("database_unreadable", db_problem(exc), 3) from None


def handle(args: argparse.Namespace, settings: Settings) -> int:
    def show(store: Store) -> int:
        report = collect(store, utcnow())
        print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else render(report))
        return 0

    return with_store(settings, "status", show)


# ------------------------------------------------------------ the report (the JSON object itself)

def collect(store: Store, now: datetime) -> dict[str, Any]:
    from syncd.store.db import current_revision
    from syncd.store.states import (
        LAST_ERROR_KEY,
        LAST_POLL_KEY,
        LAST_POLL_OK_KEY,
        RECONCILE_PERIOD_KEY,
    )

    counts = store.status_counts()
    poll = _json(store.get_value(LAST_POLL_KEY))
    poll = poll if isinstance(poll, dict) else {}
    poll_at = _when(poll.get("at"))
    ok_at = _when(store.get_value(LAST_POLL_OK_KEY))
    period = _json(store.get_value(RECONCILE_PERIOD_KEY))
    seconds = period.get("seconds") if isinstance(period, dict) else None
    error = _json(store.get_value(LAST_ERROR_KEY))
    error_at = _when(error.get("at")) if isinstance(error, dict) else None
    return {
        "now": now.isoformat(),
        "schema": current_revision(store.engine),
        "linked_clients": counts.linked_clients,
        "blocked_clients": counts.blocked_clients,
        "followed_issues": counts.followed_issues,
        "outbox": {**_backlog("waiting", counts.outbox_waiting, now), **_backlog("failed", counts.outbox_failed, now)},
        "inbound": {**_backlog("waiting", counts.inbound_waiting, now), "asking": counts.inbound_asking,
                    **_backlog("failed", counts.inbound_failed, now)},
        "last_poll": {"at": _iso(poll_at), "age_seconds": _age(now, poll_at),
                      "ok": bool(poll.get("ok")) if poll_at else None},
        "last_successful_poll": {"at": _iso(ok_at), "age_seconds": _age(now, ok_at)},
        "last_error": None if error_at is None else {
            "at": _iso(error_at), "age_seconds": _age(now, error_at), "service": str(error.get("service", "")),
            "message": clean(str(error.get("message", "")))},
        "reconcile_period_seconds": round(float(seconds), 1) if isinstance(seconds, (int, float)) else None,
        "telegram_catch_up": _catch_up(store, now),
        "okdesk_account": _account(store, period if isinstance(period, dict) else {}),
        "daemon": _daemon(store),
    }


def _daemon(store: Store) -> dict[str, Any] | None:
    """The daemon holding the database's lease (syncd.store.lease), by the database's clock; None: none."""
    from syncd.store.lease import read_holder

    holder = read_holder(store.engine)
    if holder is None:
        return None
    return {"host": holder.host, "pid": holder.pid, "since": _iso(holder.started_at),
            "lease_renewed_age_seconds": round(max(holder.age, 0.0), 1), "lease_timeout_seconds": holder.timeout,
            "lease_expired": holder.expires_in < 0}


def _daemon_words(daemon: dict[str, Any] | None) -> str:
    if daemon is None:
        return "not running (no daemon holds the database)"
    since = _when(daemon["since"])
    who = f"host {daemon['host']}, pid {daemon['pid']}"
    if since is not None:
        who += f", since {since:%Y-%m-%d %H:%M:%S} UTC"
    renewed = f"lease renewed {ago(daemon['lease_renewed_age_seconds'])}"
    if daemon["lease_expired"]:
        return f"NOT RUNNING or frozen: {who}; {renewed}, past its {daemon['lease_timeout_seconds']:g} s"
    return f"running on {who}; {renewed}"


def _account(store: Store, period: dict[str, Any]) -> dict[str, Any]:
    """What the daemon learned of the Okdesk account (syncd.sync.account), and what it buys."""
    since = UpdatedSince.from_json(store.get_value(OKDESK_UPDATED_SINCE_KEY))
    bump = BumpVerdict.from_json(store.get_value(OKDESK_COMMENT_BUMP_KEY))
    interval, worst = period.get("poll_interval"), period.get("worst_comment_delay")
    return {
        "updated_since": {"mode": since.mode, "words": updated_since_words(since), "issue_id": since.issue_id},
        "comments_bump_updated_at": {"verdict": bump.verdict, "words": bump_words(bump),
                                     "seen_on_issues": bump.supported_by, "proof_issue_id": bump.proof_issue_id,
                                     "proof_seconds": bump.proof_seconds},
        "poll_interval_seconds": round(float(interval), 2) if isinstance(interval, (int, float)) else None,
        "worst_comment_delay_seconds": round(float(worst), 1) if isinstance(worst, (int, float)) else None,
    }


def _catch_up(store: Store, now: datetime) -> dict[str, Any]:
    """Gaps Telegram skipped in its updates (syncd.telegram.catchup) and what was read back of them."""
    saved = _json(store.get_value(TELEGRAM_CATCH_UP_KEY))
    saved = saved if isinstance(saved, dict) else {}
    last = saved.get("last_gap") if isinstance(saved.get("last_gap"), dict) else None
    if last is not None:
        at = _when(last.get("at"))
        last = {"at": _iso(at), "age_seconds": _age(now, at), "skipped_updates": last.get("skipped_updates"),
                "recovered_messages": last.get("recovered_messages"), "scanned_ids": last.get("scanned_ids"),
                "complete": bool(last.get("complete"))}
    return {"gaps": int(saved.get("gaps") or 0), "incomplete_gaps": int(saved.get("incomplete_gaps") or 0),
            "last_gap": last}


def _backlog(name: str, backlog: Backlog, now: datetime) -> dict[str, Any]:
    return {name: backlog.count, f"{name}_oldest_age_seconds": _age(now, backlog.oldest)}


def _json(raw: str | None) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max((now - then).total_seconds(), 0.0), 1)


def clean(text: str) -> str:
    """One line, no secrets, no phones: error texts come from Okdesk and Telegram."""
    return _PHONE_LIKE.sub("***", redact(" ".join(text.split())))


# ------------------------------------------------------------ words for a person

def _queue_line(count: int, oldest: float | None, extra: str = "") -> str:
    if not count:
        return "0" + extra
    return f"{count}{extra}, the oldest from {ago(oldest)}"


def _poll_words(account: dict[str, Any]) -> str:
    interval, worst = account["poll_interval_seconds"], account["worst_comment_delay_seconds"]
    if interval is None:
        return "not known yet"
    words = f"{interval:g} s"
    if worst is not None:
        # Rounded up: "at most" must not promise less than the sum does.
        words += f"; a staff comment waits at most {duration_words(math.ceil(worst))} to be seen"
    return words


def _catch_up_words(catch_up: dict[str, Any]) -> str:
    last = catch_up["last_gap"]
    if last is None:
        return "no gap in Telegram's updates"
    words = (f"{catch_up['gaps']} gap(s) Telegram skipped; the last {ago(last['age_seconds'])}: "
             f"{last['recovered_messages']} client message(s) read back")
    if catch_up["incomplete_gaps"]:
        words += f"; {catch_up['incomplete_gaps']} NOT read back in full (see the log: telegram_gap_not_recovered)"
    return words


def render(report: dict[str, Any]) -> str:
    out, inb = report["outbox"], report["inbound"]
    blocked = report["blocked_clients"]
    poll, ok_poll, error = report["last_poll"], report["last_successful_poll"], report["last_error"]
    period = report["reconcile_period_seconds"]
    lines = [
        ("linked clients", f"{report['linked_clients']}" + (f" ({blocked} blocked the bot)" if blocked else "")),
        ("followed issues", str(report["followed_issues"])),
        ("outbox waiting", _queue_line(out["waiting"], out["waiting_oldest_age_seconds"])),
        ("outbox failed", _queue_line(out["failed"], out["failed_oldest_age_seconds"])),
        ("inbound waiting", _queue_line(inb["waiting"], inb["waiting_oldest_age_seconds"],
                                        f" ({inb['asking']} asking the client)" if inb["asking"] else "")),
        ("inbound failed", _queue_line(inb["failed"], inb["failed_oldest_age_seconds"])),
        ("last successful poll", ago(ok_poll["age_seconds"])),
        ("last poll", ago(poll["age_seconds"]) + ("" if poll["ok"] is None else
                                                   " (ok)" if poll["ok"] else " (Okdesk did not answer)")),
        ("last error", "none recorded" if error is None else
         f"{ago(error['age_seconds'])}, {error['service']}: {error['message']}"),
        ("reconcile period", "not known yet" if period is None else
         f"{duration_words(period)} (every followed issue is looked at again within it)"),
        ("telegram catch-up", _catch_up_words(report["telegram_catch_up"])),
        ("comments bump updated_at", report["okdesk_account"]["comments_bump_updated_at"]["words"]),
        ("okdesk updated_since", report["okdesk_account"]["updated_since"]["words"]),
        ("poll interval", _poll_words(report["okdesk_account"])),
        ("daemon", _daemon_words(report["daemon"])),
    ]
    width = max(len(label) for label, _ in lines)
    text = [f"{label.ljust(width)}  {value}" for label, value in lines]
    if out["failed"] or inb["failed"]:
        text.append("")
        text.append("Failed items wait for you: `syncd retry` lists them, `syncd retry --all` re-queues them.")
    return "\n".join(text)
