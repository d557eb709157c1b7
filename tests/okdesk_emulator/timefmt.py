"""Time handling: the account time zone, response timestamps and filter dates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_OFFSET_RE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
# Filter formats accepted by the emulator (§2.6): dd-mm-yyyy[ HH:MM[:SS]] and
# yyyy-mm-dd[ HH:MM[:SS]].  Anything else is a 422 "Неверный формат даты".
_DMY_RE = re.compile(r"^(\d{2})-(\d{2})-(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$")
_YMD_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$")


def parse_offset(text: str) -> timezone:
    """'+03:00' / '-0530' / 'Z' -> a fixed-offset timezone (Okdesk accounts have one)."""
    if text in ("Z", "UTC", "+00:00"):
        return timezone.utc
    match = _OFFSET_RE.match(text)
    if not match:
        raise ValueError(f"bad tz offset {text!r}, expected like '+03:00'")
    sign = -1 if match.group(1) == "-" else 1
    delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    return timezone(sign * delta)


def now(tz: timezone) -> datetime:
    """The real clock in the account zone, cut to milliseconds.

    Cutting keeps the stored value equal to what the API shows, so a client that
    compares timestamps it has read sees consistent ordering.
    """
    moment = datetime.now(tz)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime | None) -> str | None:
    """'2026-11-28T04:05:17.568+03:00' as in the Okdesk examples."""
    return None if moment is None else moment.isoformat(timespec="milliseconds")


def parse_filter_date(text: str, tz: timezone) -> datetime | None:
    """Parse a list-filter date in the account zone; None when the format is wrong."""
    match = _DMY_RE.match(text)
    if match:
        day, month, year = match.group(1, 2, 3)
    else:
        match = _YMD_RE.match(text)
        if not match:
            return None
        year, month, day = match.group(1, 2, 3)
    hour, minute, second = (int(part or 0) for part in match.group(4, 5, 6))
    try:
        return datetime(int(year), int(month), int(day), hour, minute, second, tzinfo=tz)
    except ValueError:  # 31-02-2026, 25:00 ...
        return None


def parse_any_datetime(text: str, tz: timezone) -> datetime | None:
    """Filter formats or ISO-8601 (used for deadline_at / delay_to in bodies)."""
    parsed = parse_filter_date(text, tz)
    if parsed is not None:
        return parsed
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)


def to_minute(moment: datetime) -> datetime:
    """Okdesk honours filter times only to the minute: seconds are dropped."""
    return moment.replace(second=0, microsecond=0)


def duration_ru(seconds: float) -> str:
    """Format a duration like status_times: '134 д., 14 ч., 57 м.'."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{days} д., {hours} ч., {minutes} м."
