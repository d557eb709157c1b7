"""When each outside service last worked: tells an item's own failure from a whole-service outage."""

from __future__ import annotations

import threading
from datetime import datetime

from syncd.clock import utcnow


class Health:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ok_at: dict[str, datetime] = {}
        self._last_error: dict[str, tuple[datetime, str]] = {}

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
