"""When each outside service last worked: tells an item's own failure from a whole-service outage."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

from syncd.clock import utcnow
from syncd.logs import redact
from syncd.store.states import LAST_ERROR_KEY

# How often the daemon writes it (a burst of errors is one write, not one per error).
LAST_ERROR_SAVE_EVERY = 2.0


class Health:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ok_at: dict[str, datetime] = {}
        self._last_error: dict[str, tuple[datetime, str]] = {}
        self._saved: tuple[datetime, str, str] | None = None

    def mark(self, service: str) -> None:
        with self._lock:
            self._ok_at[service] = utcnow()

    def error(self, service: str, message: str) -> None:
        with self._lock:
            self._last_error[service] = (utcnow(), message)

    def ok_at(self, service: str) -> datetime | None:
        with self._lock:
            return self._ok_at.get(service)

    def last_error(self, service: str) -> tuple[datetime, str] | None:
        with self._lock:
            return self._last_error.get(service)

    def ok_since(self, service: str, moment: datetime | None) -> bool:
        """Did the service work for anyone since ``moment``? (No moment: this is the first failure.)"""
        if moment is None:
            return True
        ok = self.ok_at(service)
        return ok is not None and ok > moment

    def save_latest_error(self, store: Any) -> bool:
        """The newest error of any service into the store's kv, once per error; True if written."""
        with self._lock:
            latest = max(((at, service, message) for service, (at, message) in self._last_error.items()),
                         default=None)
            if latest is None or latest == self._saved:
                return False
        at, service, message = latest
        store.set_value(LAST_ERROR_KEY, json.dumps({"at": at.isoformat(), "service": service,
                                                    "message": redact(message)[:500]}, ensure_ascii=False))
        with self._lock:
            self._saved = latest  # only once written: a failed write is tried again next time
        return True
