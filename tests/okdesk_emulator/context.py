"""Shared state of one emulator instance, and the request/response value types."""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .faults import FaultSet
from .model import Store
from .options import Options
from .storage import FileStore


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request as the emulator saw it (benchmarks count these)."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int | None  # None: no answer was sent (drop / timeout faults)
    started: float  # time.time() when the request line was read
    finished: float  # time.time() when the answer (or the drop) was issued
    fault: str | None = None  # kind of the fault applied, if any
    peer: tuple[str, int] | None = None  # the client's address (a proxy's, when one relays)


class RequestLog:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._changed:
            self._records.append(record)
            self._changed.notify_all()

    def snapshot(self) -> list[RequestRecord]:
        with self._changed:
            return list(self._records)

    def reset(self) -> None:
        with self._changed:
            self._records.clear()

    def count(
        self, path_regex: str | None = None, method: str | None = None, status: int | None = None
    ) -> int:
        """Requests matching all of what is given; ``status``: the answer's (None: any)."""
        with self._changed:
            return self._count(path_regex, method, status)

    def _count(self, path_regex: str | None, method: str | None, status: int | None = None) -> int:
        pattern = re.compile(path_regex) if path_regex is not None else None
        return sum(
            1
            for record in self._records
            if (method is None or record.method == method.upper())
            and (pattern is None or pattern.search(record.path))
            and (status is None or record.status == status)
        )

    def wait_for(
        self, count: int, path_regex: str | None, method: str | None, timeout: float
    ) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: self._count(path_regex, method) >= count, timeout=timeout
            )


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, Any]  # Rack-nested query parameters
    body: dict[str, Any]  # Rack-nested body parameters (JSON, form or multipart)

    def params(self, resource: str) -> dict[str, Any]:
        """Body fields, wrapped ({"comment": {...}}) or not (§1: both work).

        As with Rails param wrapping, wrapped keys win over top-level ones.
        """
        merged = {key: value for key, value in self.body.items() if key != resource}
        wrapped = self.body.get(resource)
        if isinstance(wrapped, dict):
            merged.update(wrapped)
        return merged


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    file: Path | None = None  # streamed from disk instead of `body`
    file_size: int = 0


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, headers=dict(headers or {}))


def error_response(status: int, errors: Any, headers: dict[str, str] | None = None) -> Response:
    return json_response({"errors": errors}, status, headers)


@dataclass
class Context:
    """Everything request handlers need; owned by OkdeskEmulator."""

    api_token: str
    options: Options
    store: Store
    files: FileStore
    faults: FaultSet = field(default_factory=FaultSet)
    log: RequestLog = field(default_factory=RequestLog)
    base_url: str = ""
    api_employee_id: int = 0  # the employee the api_token belongs to
    stopping: threading.Event = field(default_factory=threading.Event)
    internal_errors: list[str] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)  # comment shuffling
    login_links: Any = None  # routes_login.LoginLinks, made by OkdeskEmulator

    def pause(self, seconds: float) -> None:
        """Sleep that ends early when the emulator stops (so stop() is prompt)."""
        if seconds > 0:
            self.stopping.wait(seconds)
