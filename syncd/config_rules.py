"""The rules a built configuration must keep (syncd.config), beyond each value's type: ranges, formats,
what one setting requires of another. Every problem is collected, none raised: syncd.config reports
them all at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.proxies import ProxyUrlError, check_okdesk_proxy, parse_telegram_proxy


def apply_defaults_and_checks(built: dict[str, dict[str, Any]], env: Mapping[str, str], problems: list[str]) -> None:
    """Fill what has a default from the environment, and add every value problem to ``problems``."""
    state = built["state"]
    if not state["dir"]:
        state["dir"] = env.get("STATE_DIRECTORY", "").split(":")[0] or "state"
    # 0 would have every start take a running daemon's lease as expired: two daemons acting at once.
    if state.get("lease_timeout") is not None and state["lease_timeout"] <= 0:
        problems.append("state.lease_timeout must be greater than 0")
    okdesk, sync, log, tg = built["okdesk"], built["sync"], built["log"], built["telegram"]
    url = okdesk.get("url") or ""
    if url and not url.startswith(("http://", "https://")):
        problems.append(f"okdesk.url must start with https:// (got {url!r})")
    positive = ("poll_interval", "bump_evidence", "updated_since_check", "retry_base", "retry_cap", "retry_budget",
                "global_rate", "max_file_mb", "photo_max_mb", "client_messages_per_minute", "inbound_concurrency",
                "recheck_interval", "question_ttl", "own_change_window", "comment_window")
    for key in positive:
        if sync.get(key) is not None and sync[key] <= 0:
            problems.append(f"sync.{key} must be greater than 0")
    for key in ("poll_overlap", "per_chat_interval", "shutdown_grace", "reconcile_min_period", "duplicate_window",
                "file_retry_window", "album_settle", "burst_window", "hang_timeout",
                "personal_data_days", "ack_after"):
        if sync.get(key) is not None and sync[key] < 0:
            problems.append(f"sync.{key} must not be negative")
    share = sync.get("reconcile_share")
    if share is not None and not 0 < share < 1:
        problems.append("sync.reconcile_share must be between 0 and 1")
    if sync.get("poll_share") is not None and not 0 < sync["poll_share"] <= 1:
        problems.append("sync.poll_share must be greater than 0 and at most 1")
    if sync.get("max_file_mb") and sync["max_file_mb"] > 2000:
        problems.append("sync.max_file_mb: Telegram bots cannot send files over 2000 MB")
    interval, rpm, share = sync.get("poll_interval"), okdesk.get("max_requests_per_minute"), sync.get("reconcile_share")
    if interval and rpm and rpm >= 6 and share and 0 < share < 1 and 60.0 / interval > rpm * (1 - share):
        # Polls beyond that leave the sweep nothing (the budget keeps room for the foreground), and a
        # comment that does not bump updated_at would never be found.
        problems.append(f"sync.poll_interval {interval:g} s makes {60.0 / interval:.0f} polls a minute, more than the "
                        f"{rpm * (1 - share):.0f} okdesk.max_requests_per_minute leaves beside the reconcile sweep's "
                        f"share: at least {60.0 / (rpm * (1 - share)):.2f} s, or unset (adaptive)")
    if okdesk.get("reopen_days") is not None and okdesk["reopen_days"] < 0:
        problems.append("okdesk.reopen_days must not be negative")
    if okdesk.get("company_clients") and not str(okdesk.get("company_inn_parameter") or "").strip():
        problems.append("okdesk.company_inn_parameter is required while okdesk.company_clients is on")
    rpm = okdesk.get("max_requests_per_minute")
    if rpm is not None and rpm < 6:
        problems.append("okdesk.max_requests_per_minute must be at least 6")
    if log.get("level") and str(log["level"]).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append("log.level must be one of DEBUG, INFO, WARNING, ERROR")
    if log.get("format") not in ("auto", "json", "console"):
        problems.append("log.format must be one of auto, json, console")
    if tg.get("default_language") not in ("ru", "en"):
        problems.append("telegram.default_language must be ru or en")
    if tg.get("reply_flood_max") is not None and tg["reply_flood_max"] < 0:
        problems.append("telegram.reply_flood_max must not be negative")
    # 0 would take every RANDOM_ID_DUPLICATE as delivered at once: the belief that loses messages.
    if tg.get("in_flight_window") is not None and tg["in_flight_window"] <= 0:
        problems.append("telegram.in_flight_window must be greater than 0")
    if tg.get("recover_max_messages") is not None and tg["recover_max_messages"] < 0:
        problems.append("telegram.recover_max_messages must not be negative")
    metrics = built.get("metrics", {})
    if metrics.get("interval") is not None and metrics["interval"] <= 0:
        problems.append("metrics.interval must be greater than 0")
    textfile = metrics.get("textfile")
    if textfile and not str(textfile).endswith(".prom"):
        # node_exporter's textfile collector reads only *.prom: any other name would be written in vain.
        problems.append(f"metrics.textfile must end in .prom, node_exporter reads no other (got {textfile!r})")
    tz = okdesk.get("timezone")
    if tz and parse_utc_offset(tz) is None:
        problems.append(f"okdesk.timezone must look like +03:00 (got {tz!r})")
    for where, section, check in (("okdesk.proxy", okdesk, check_okdesk_proxy),
                                  ("telegram.proxy", tg, parse_telegram_proxy)):
        if section.get("proxy"):
            try:
                check(section["proxy"])
            except ProxyUrlError as exc:  # its text never repeats the URL (it may hold a password)
                problems.append(f"{where}: {exc}")


def parse_utc_offset(text: str) -> Any:
    """'+03:00' -> timezone(timedelta(hours=3)); None when malformed."""
    from datetime import timedelta, timezone

    text = text.strip()
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(delta if text[0] == "+" else -delta)

