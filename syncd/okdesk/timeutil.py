"""Okdesk timestamps: parsing what the API returns, formatting what its filters take.

Responses carry ISO-8601 with milliseconds and the account's offset
(``2026-11-28T04:05:17.568+03:00``). Date filters are *not* ISO: ``dd-mm-yyyy HH:MM`` in the
account's time zone. The account zone is therefore learned from the offsets Okdesk itself
sends, so a filter lands on the same wall clock the server compares against.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

# Okdesk's home market is Moscow (UTC+3, no DST since 2014): the safest guess before any
# timestamp has been seen and when nothing was configured.
MOSCOW = timezone(timedelta(hours=3), "MSK")

_ISO = re.compile(
    r"""^\s*
    (?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})
    (?:[T\s](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?)?
    \s*(?P<tz>Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?
    \s*$""",
    re.VERBOSE,
)
# What the API's own filters use; tolerated in answers too, just in case.
_DMY = re.compile(
    r"^\s*(?P<d>\d{1,2})[-.](?P<mo>\d{1,2})[-.](?P<y>\d{4})"
    r"(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?\s*$"
)


def _offset(text: str) -> timezone | None:
    """``+03:00`` / ``+0300`` / ``+03`` / ``Z`` -> a fixed timezone (None when unusable)."""
    if text in ("Z", "z", "UTC"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_timestamp(value: Any, default_tz: tzinfo) -> tuple[datetime | None, timezone | None]:
    """Parse leniently; returns (aware datetime or None, explicit numeric offset or None).

    A value without an offset is read as account-local wall time (``default_tz``). Garbage
    gives (None, None) rather than an exception: one odd field must not lose a whole answer.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=default_tz), None
        return value, None
    if not isinstance(value, str) or not value.strip():
        return None, None
    m = _ISO.match(value) or _DMY.match(value)
    if m is None:
        return None, None
    g = m.groupdict()
    frac = g.get("frac") or ""
    micro = int((frac + "000000")[:6]) if frac else 0
    tz_text = g.get("tz")
    explicit = _offset(tz_text) if tz_text else None
    if tz_text and explicit is None:
        return None, None
    try:
        parsed = datetime(
            int(g["y"]),
            int(g["mo"]),
            int(g["d"]),
            int(g.get("h") or 0),
            int(g.get("mi") or 0),
            int(g.get("s") or 0),
            micro,
            tzinfo=explicit or default_tz,
        )
    except ValueError:
        return None, None
    # "Z" says the value was rendered in UTC, not in the account's zone: it tells nothing
    # about the account, so only numeric offsets are reported for learning.
    learned = explicit if tz_text and tz_text not in ("Z", "z", "UTC") else None
    return parsed, learned


def format_filter(moment: datetime | date, tz: tzinfo) -> str:
    """``dd-mm-yyyy HH:MM`` in ``tz`` (seconds are dropped, i.e. the moment is floored to the
    minute: the filter then includes slightly more, never less). A naive datetime is taken as
    account-local wall time already."""
    if isinstance(moment, datetime):
        local = moment.astimezone(tz) if moment.tzinfo is not None else moment
        return local.strftime("%d-%m-%Y %H:%M")
    return moment.strftime("%d-%m-%Y")


class TimestampParser:
    """Parses response timestamps and remembers the last explicit offset seen (the account
    zone). Shared by all threads of one client, hence the lock."""

    def __init__(self, configured: tzinfo | None = None) -> None:
        self._configured = configured
        self._learned: tzinfo | None = None
        self._lock = threading.Lock()

    @property
    def account_tz(self) -> tzinfo:
        # A configured zone is the sysadmin's word and wins; otherwise Okdesk's own offsets tell.
        with self._lock:
            return self._configured or self._learned or MOSCOW

    def __call__(self, value: Any) -> datetime | None:
        parsed, learned = parse_timestamp(value, self.account_tz)
        if learned is not None:
            with self._lock:
                self._learned = learned
        return parsed
