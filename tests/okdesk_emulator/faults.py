"""Injected faults: wrong answers, slow answers and no answers at all.

Faults are matched in insertion order against every request the emulator receives
(API and storage downloads alike); the first live fault whose method and path regex
match is consumed and applied.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = frozenset(
    {
        "status",  # answer `status` with a Russian error body
        "retry_after",  # 429 + Retry-After: `retry_after` seconds
        "timeout",  # sleep `delay`, then drop the connection without answering
        "slow",  # sleep `delay`, then answer normally
        "error_body",  # 200 with an {"errors": ...} body (D3M-reported quirk)
        "malformed_json",  # 200 with a truncated JSON body
        "drop",  # close the socket at once
        "after_effect_timeout",  # perform the request, sleep `delay`, drop: a lost answer
    }
)

# Russian texts for error statuses, in the {"errors": "<text>"} shape of §1.1.
STATUS_TEXTS = {
    400: "Неверный запрос",
    401: "Неверный api_token",
    403: "Доступ запрещён",
    404: "Запись не найдена",
    409: "Конфликт при сохранении",
    422: "Невозможно обработать запрос",
    429: "Превышен лимит запросов, повторите позже",
    500: "Внутренняя ошибка сервера",
    502: "Внутренняя ошибка сервера: ошибка шлюза",
    503: "Внутренняя ошибка сервера: сервис временно недоступен",
    504: "Внутренняя ошибка сервера: превышено время ожидания",
}

DEFAULT_ERROR_BODY: dict[str, Any] = {"errors": {"base": ["Запись не найдена"]}}
# Cut mid-string, as a proxy that lost the tail of the response would deliver it.
MALFORMED_JSON = b'[{"id": 1, "title": "\xd0\x97\xd0\xb0\xd1\x8f\xd0\xb2'


def status_text(status: int) -> str:
    if status in STATUS_TEXTS:
        return STATUS_TEXTS[status]
    return "Внутренняя ошибка сервера" if status >= 500 else f"Ошибка {status}"


@dataclass
class Fault:
    """One injected fault.

    `times` is how many requests it hits (None = every matching request forever).
    `path` is a regex searched (re.search) in the URL path, e.g. r"/issues/\\d+/comments$".
    `body` overrides the JSON body of "status" and "error_body" faults.
    """

    kind: str
    status: int = 500
    path: str | None = None
    method: str | None = None
    times: int | None = 1
    delay: float = 5.0
    retry_after: int = 1
    body: Any = None
    hits: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {sorted(FAULT_KINDS)}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None")
        self._regex = re.compile(self.path) if self.path is not None else None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._regex is None or self._regex.search(path) is not None


class FaultSet:
    """Thread-safe ordered list of faults with their remaining hit counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[list[Any]] = []  # [fault, remaining or None]

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._entries.append([fault, fault.times])
        return fault

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [entry[0] for entry in self._entries]

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return the first matching fault, if any."""
        with self._lock:
            for entry in self._entries:
                fault, remaining = entry
                if not fault.matches(method, path):
                    continue
                fault.hits += 1
                if remaining is not None:
                    entry[1] = remaining - 1
                    if entry[1] == 0:
                        self._entries.remove(entry)
                return fault
        return None
